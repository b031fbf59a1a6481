package store_test

import (
	"context"
	"sync"
	"testing"

	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/store/storetest"
)

func TestMigrationsMatchAcrossDialects(t *testing.T) {
	lite, err := store.LoadMigrations(store.SQLite)
	if err != nil {
		t.Fatal(err)
	}
	pg, err := store.LoadMigrations(store.Postgres)
	if err != nil {
		t.Fatal(err)
	}
	if len(lite) == 0 {
		t.Fatal("no sqlite migrations embedded")
	}
	if len(lite) != len(pg) {
		t.Fatalf("sqlite has %d migrations, postgres %d", len(lite), len(pg))
	}
	for i := range lite {
		if lite[i].Version != pg[i].Version || lite[i].Name != pg[i].Name {
			t.Errorf("migration %d: sqlite %04d_%s, postgres %04d_%s",
				i, lite[i].Version, lite[i].Name, pg[i].Version, pg[i].Name)
		}
	}
}

func TestMigrateUpAndStatus(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			db, err := store.Open(ctx, storetest.URL(t, d))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			want, _ := store.LoadMigrations(d)

			before, err := db.MigrationStatus(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(before) != len(want) {
				t.Fatalf("status lists %d migrations, want %d", len(before), len(want))
			}
			for _, m := range before {
				if !m.Pending() {
					t.Errorf("fresh database: migration %d not pending", m.Version)
				}
			}

			applied, err := db.Migrate(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(applied) != len(want) {
				t.Fatalf("applied %d migrations, want %d", len(applied), len(want))
			}
			again, err := db.Migrate(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(again) != 0 {
				t.Fatalf("second migrate applied %d, want 0", len(again))
			}
			after, err := db.MigrationStatus(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range after {
				if m.Pending() || m.Modified || m.Unknown {
					t.Errorf("after migrate: %+v", m)
				}
			}
		})
	}
}

// Replicas starting together all run migrations; each must be applied once
// and none of them may fail.
func TestMigrateConcurrent(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			url := storetest.URL(t, d)
			const replicas = 4
			var (
				wg    sync.WaitGroup
				mu    sync.Mutex
				total int
			)
			for range replicas {
				wg.Add(1)
				go func() {
					defer wg.Done()
					db, err := store.Open(ctx, url)
					if err != nil {
						t.Error(err)
						return
					}
					defer db.Close()
					applied, err := db.Migrate(ctx)
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					total += len(applied)
					mu.Unlock()
				}()
			}
			wg.Wait()
			want, _ := store.LoadMigrations(d)
			if total != len(want) {
				t.Errorf("replicas applied %d migrations in all, want %d", total, len(want))
			}
		})
	}
}

func TestUnknownMigrationReported(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := db.Exec(ctx, "INSERT INTO schema_migrations (version, name, sha256, applied_at) VALUES (?, ?, ?, CURRENT_TIMESTAMP)",
			9999, "from_the_future", "x"); err != nil {
			t.Fatal(err)
		}
		status, err := db.MigrationStatus(ctx)
		if err != nil {
			t.Fatal(err)
		}
		last := status[len(status)-1]
		if last.Version != 9999 || !last.Unknown || last.Pending() {
			t.Fatalf("last status row = %+v, want unknown 9999", last)
		}
	})
}

func TestRebind(t *testing.T) {
	for _, d := range storetest.Dialects() {
		db := storetest.Open(t, d)
		got := db.Rebind("SELECT a FROM t WHERE b = ? AND c IN (?, ?)")
		want := "SELECT a FROM t WHERE b = ? AND c IN (?, ?)"
		if d == store.Postgres {
			want = "SELECT a FROM t WHERE b = $1 AND c IN ($2, $3)"
		}
		if got != want {
			t.Errorf("%s: rebind = %q, want %q", d, got, want)
		}
	}
}
