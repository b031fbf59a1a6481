package inference

import (
	"context"
	"errors"
	"testing"
)

func TestLoaderStates(t *testing.T) {
	release := make(chan struct{})
	boom := errors.New("npm is not installed")
	l := Load(context.Background(), func(ctx context.Context) (*Encoder, error) {
		<-release
		return nil, boom
	})
	if err := l.Ready(); !errors.Is(err, ErrNotReady) {
		t.Fatalf("while loading: Ready = %v", err)
	}
	if _, err := l.Encode(context.Background(), []string{"x"}); !errors.Is(err, ErrNotReady) {
		t.Fatalf("while loading: Encode = %v", err)
	}
	close(release)
	if err := l.Wait(context.Background()); !errors.Is(err, boom) {
		t.Fatalf("after a failed load: Wait = %v", err)
	}
	if err := l.Ready(); !errors.Is(err, boom) || errors.Is(err, ErrNotReady) {
		t.Fatalf("after a failed load: Ready = %v", err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestLoaderCloseCancelsLoad(t *testing.T) {
	l := Load(context.Background(), func(ctx context.Context) (*Encoder, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	})
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Ready(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Ready after Close = %v", err)
	}
}
