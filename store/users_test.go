package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/store/storetest"
)

func TestUsersAndSessions(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		u, err := db.CreateUser(ctx, " Ann@Example.com ", "hash-1", store.RoleReviewer, "cli")
		if err != nil || u.Email != "ann@example.com" {
			t.Fatalf("create: %+v, %v", u, err)
		}
		if _, err := db.CreateUser(ctx, "ann@example.com", "h", store.RoleAdmin, "cli"); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("duplicate email: %v", err)
		}
		var v store.ValidationError
		if _, err := db.CreateUser(ctx, "not-an-email", "h", "boss", "cli"); !errors.As(err, &v) || len(v) != 2 {
			t.Fatalf("invalid user: %v", err)
		}

		token, _, err := db.CreateSession(ctx, u, time.Hour, "10.0.0.1", "test")
		if err != nil {
			t.Fatal(err)
		}
		got, _, err := db.SessionUser(ctx, token, time.Hour)
		if err != nil || got.Email != u.Email || got.Role != store.RoleReviewer {
			t.Fatalf("session user: %+v, %v", got, err)
		}
		if _, _, err := db.SessionUser(ctx, token+"x", time.Hour); !errors.Is(err, store.ErrSessionEnded) {
			t.Fatalf("forged token: %v", err)
		}
		time.Sleep(5 * time.Millisecond)
		if _, _, err := db.SessionUser(ctx, token, time.Millisecond); !errors.Is(err, store.ErrSessionEnded) {
			t.Fatalf("idle session: %v", err)
		}
		short, _, err := db.CreateSession(ctx, u, time.Millisecond, "", "")
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
		if _, _, err := db.SessionUser(ctx, short, time.Hour); !errors.Is(err, store.ErrSessionEnded) {
			t.Fatalf("expired session: %v", err)
		}

		// Logout ends the session; so does disabling the user.
		if err := db.EndSession(ctx, token, u.Email); err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.SessionUser(ctx, token, time.Hour); !errors.Is(err, store.ErrSessionEnded) {
			t.Fatalf("after logout: %v", err)
		}
		second, _, _ := db.CreateSession(ctx, u, time.Hour, "", "")
		yes := true
		if _, err := db.UpdateUser(ctx, u.Email, store.UserUpdate{Disabled: &yes}, "admin@example.com"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.SessionUser(ctx, second, time.Hour); !errors.Is(err, store.ErrSessionEnded) {
			t.Fatalf("disabled user's session: %v", err)
		}

		// Failed logins count per account and per address; a login clears
		// the account's.
		since := time.Now().Add(-time.Minute)
		for _, ip := range []string{"10.0.0.1", "10.0.0.1", "10.0.0.2"} {
			if err := db.RecordLoginFailure(ctx, "Bob@example.com", ip, "bad password"); err != nil {
				t.Fatal(err)
			}
		}
		byEmail, byIP, oldest, err := db.LoginFailures(ctx, "bob@example.com", "10.0.0.1", since)
		if err != nil || byEmail != 3 || byIP != 2 || oldest.IsZero() {
			t.Fatalf("failures: %d %d %v %v", byEmail, byIP, oldest, err)
		}

		gen := func(v string) func() (string, error) { return func() (string, error) { return v, nil } }
		a, err1 := db.Secret(ctx, "session", gen("first"))
		b, err2 := db.Secret(ctx, "session", gen("second"))
		if err1 != nil || err2 != nil || a != "first" || b != "first" {
			t.Fatalf("secret: %q %q %v %v", a, b, err1, err2)
		}
		users, err := db.Users(ctx)
		if err != nil || len(users) != 1 || !users[0].Disabled() {
			t.Fatalf("users: %+v, %v", users, err)
		}
	})
}
