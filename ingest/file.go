package ingest

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/riverqueue/river"

	"github.com/newsintel/newsintel/store"
)

// FileStore is what importing a file needs from storage.
type FileStore interface {
	ImportStore
	CreateImport(ctx context.Context, n store.NewImport) (store.Import, error)
	UnfinishedImport(ctx context.Context, fileHash string) (store.Import, error)
	PendingRanges(ctx context.Context, origin string, size int) ([][2]int64, error)
}

// FileImport says what file to import and how.
type FileImport struct {
	Path     string
	Format   string   // "" guesses from the name
	Columns  []string // of a CSV without a header row
	Source   string   // default source of rows that name none
	Taxonomy string
	By       string
	// Progress is called with the rows read so far; nil: not called.
	Progress func(rows int)
}

// ImportFile stages a file's rows for the ingest jobs of client. A file
// whose earlier import was cut short (same content, reading unfinished)
// resumes it: rows already staged are skipped, and their pending items
// are enqueued again, as the crashed process may have held their jobs.
// It returns when every row is staged, not processed.
func ImportFile(ctx context.Context, st FileStore, client *river.Client[*sql.Tx], f FileImport) (im store.Import, resumed bool, err error) {
	format := f.Format
	if format == "" {
		if format, err = FormatOf(f.Path); err != nil {
			return im, false, err
		}
	}
	hash, err := hashFile(f.Path)
	if err != nil {
		return im, false, err
	}
	im, err = st.UnfinishedImport(ctx, hash)
	switch {
	case err == nil:
		resumed = true
		if _, err := Requeue(ctx, st, client, im.Origin()); err != nil {
			return im, true, err
		}
	case errors.Is(err, store.ErrNotFound):
		im, err = st.CreateImport(ctx, store.NewImport{Name: filepath.Base(f.Path), FileHash: hash, Format: format,
			Source: f.Source, Taxonomy: f.Taxonomy, By: f.By})
		if err != nil {
			return im, false, err
		}
	default:
		return im, false, err
	}
	file, err := os.Open(f.Path)
	if err != nil {
		return im, resumed, fmt.Errorf("ingest: %w", err)
	}
	defer file.Close()
	rr, err := NewReader(file, im.Format, f.Columns)
	if err != nil {
		return im, resumed, fmt.Errorf("ingest: %s: %w", f.Path, err)
	}
	return im, resumed, ReadImport(ctx, st, im, rr, Enqueue(client), f.Progress)
}

// Requeue enqueues the pending items of origin again, under new job
// arguments so that River's uniqueness does not fold them into the jobs
// a crashed process holds. Items done meanwhile are skipped by
// RecordIngested, so overlapping jobs ingest nothing twice.
func Requeue(ctx context.Context, st interface {
	PendingRanges(ctx context.Context, origin string, size int) ([][2]int64, error)
}, client *river.Client[*sql.Tx], origin string) (int, error) {
	ranges, err := st.PendingRanges(ctx, origin, BatchSize)
	if err != nil || len(ranges) == 0 {
		return 0, err
	}
	nonce := time.Now().UnixNano()
	params := make([]river.InsertManyParams, len(ranges))
	for i, r := range ranges {
		params[i] = river.InsertManyParams{Args: Args{From: r[0], To: r[1], Retry: nonce}}
	}
	if _, err := client.InsertMany(ctx, params); err != nil {
		return 0, fmt.Errorf("ingest: requeue %d ranges of %s: %w", len(ranges), origin, err)
	}
	return len(ranges), nil
}

func hashFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("ingest: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("ingest: hash %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
