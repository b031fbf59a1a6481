package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/store/storetest"
)

func digestByName(t *testing.T, db *store.DB, keepRows bool) map[string]store.TableDigest {
	t.Helper()
	ds, err := db.Digest(context.Background(), keepRows)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]store.TableDigest{}
	for _, d := range ds {
		out[d.Name] = d
	}
	return out
}

func addArticles(t *testing.T, db *store.DB, prefix string, n int) {
	t.Helper()
	for i := range n {
		c := classification(fmt.Sprintf("%s %d", prefix, i), "The body.", "", true)
		if _, err := db.RecordClassifications(context.Background(), []store.Classification{c}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestDigest: a digest is stable, covers every table, and any changed
// value changes its table's checksum and no other.
func TestDigest(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			db, raw, _ := storetest.OpenRaw(t, d)
			addArticles(t, db, "Story", 3)
			first := digestByName(t, db, true)
			if first["articles"].Rows != 3 || first["predictions"].Rows != 3 || first["schema_migrations"].Rows == 0 {
				t.Fatalf("counts: articles %d, predictions %d, migrations %d",
					first["articles"].Rows, first["predictions"].Rows, first["schema_migrations"].Rows)
			}
			if len(first["articles"].RowSums) != 3 {
				t.Fatalf("RowSums: %d", len(first["articles"].RowSums))
			}
			again := digestByName(t, db, false)
			for name, td := range first {
				if again[name].SHA256 != td.SHA256 || again[name].Rows != td.Rows {
					t.Errorf("%s: digest of an unchanged table changed", name)
				}
			}
			raw.Exec(t, "UPDATE articles SET source = ? WHERE id = (SELECT MIN(id) FROM articles)", "wire ")
			changed := digestByName(t, db, false)
			for name, td := range first {
				if moved := changed[name].SHA256 != td.SHA256; moved != (name == "articles") {
					t.Errorf("%s: checksum changed %v after an edit of one article", name, moved)
				}
			}
		})
	}
}

func TestEncodeValueKeepsTypes(t *testing.T) {
	seen := map[string]any{}
	for _, v := range []any{nil, "", []byte{}, int64(0), "0", float64(0), false, "N", time.Unix(0, 0)} {
		e := store.EncodeValue(v)
		if prev, dup := seen[e]; dup {
			t.Errorf("%#v and %#v both encode as %q", prev, v, e)
		}
		seen[e] = v
	}
}

func TestIsEmpty(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			db, err := store.Open(ctx, storetest.URL(t, d))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if empty, err := db.IsEmpty(ctx); err != nil || !empty {
				t.Fatalf("new database: empty %v, %v", empty, err)
			}
			if _, err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			if empty, err := db.IsEmpty(ctx); err != nil || empty {
				t.Fatalf("migrated database: empty %v, %v", empty, err)
			}
		})
	}
}

func TestCheckSchemaVersions(t *testing.T) {
	files, err := store.LoadMigrations(store.SQLite)
	if err != nil {
		t.Fatal(err)
	}
	var all []int
	for _, f := range files {
		all = append(all, f.Version)
	}
	if v, err := store.CheckSchemaVersions(store.SQLite, all); err != nil || v != all[len(all)-1] {
		t.Errorf("every migration: %d, %v", v, err)
	}
	if v, err := store.CheckSchemaVersions(store.SQLite, all[:1]); err != nil || v != all[0] {
		t.Errorf("an older schema: %d, %v", v, err)
	}
	if _, err := store.CheckSchemaVersions(store.SQLite, nil); err == nil || !strings.Contains(err.Error(), "not a newsintel database") {
		t.Errorf("no migrations: %v", err)
	}
	if _, err := store.CheckSchemaVersions(store.SQLite, append(all, 9999)); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("a newer schema: %v", err)
	}
}

// TestBackupAndRestoreWhileOpen: a backup taken while writers commit is a
// verified snapshot, and a restore into a database another handle (a
// running server) holds open and writes to is seen whole by that handle,
// which carries on writing.
func TestBackupAndRestoreWhileOpen(t *testing.T) {
	ctx := context.Background()
	src := storetest.Open(t, store.SQLite)
	addArticles(t, src, "Source", 5)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var writeErr error
	var mu sync.Mutex
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				c := classification(fmt.Sprintf("Live %d-%d", w, i), "The body.", "", true)
				if _, err := src.RecordClassifications(ctx, []store.Classification{c}); err != nil {
					mu.Lock()
					writeErr = err
					mu.Unlock()
					return
				}
			}
		}()
	}
	file := filepath.Join(t.TempDir(), "b.db")
	info, err := src.Backup(ctx, file)
	close(stop)
	wg.Wait()
	if err != nil || writeErr != nil {
		t.Fatalf("backup: %v; writers: %v", err, writeErr)
	}
	files, _ := store.LoadMigrations(store.SQLite)
	if info.SchemaVersion != files[len(files)-1].Version || info.Rows < 15 || info.Tables < 10 {
		t.Fatalf("backup info %+v", info)
	}
	if _, err := src.Backup(ctx, file); err == nil || !strings.Contains(err.Error(), "exists already") {
		t.Fatalf("backup over a file: %v", err)
	}
	backedUp := digestByName(t, src, false)["articles"].Rows

	// The "server": a handle on the target that keeps its connections.
	targetURL := storetest.URL(t, store.SQLite)
	server, err := store.Open(ctx, targetURL)
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	if _, err := server.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	addArticles(t, server, "Target", 2)
	operator, err := store.Open(ctx, targetURL)
	if err != nil {
		t.Fatal(err)
	}
	defer operator.Close()
	if _, err := operator.RestoreFrom(ctx, file); err != nil {
		t.Fatal(err)
	}
	got := digestByName(t, server, false)["articles"].Rows
	if got < 5 || got > backedUp {
		t.Fatalf("the open handle sees %d articles after the restore; the backup has between 5 and %d", got, backedUp)
	}
	addArticles(t, server, "After", 1)
	if after := digestByName(t, server, false)["articles"].Rows; after != got+1 {
		t.Fatalf("write after the restore: %d articles, want %d", after, got+1)
	}
}

func TestBackupIsSQLiteOnly(t *testing.T) {
	if !hasPostgres() {
		t.Skip(storetest.EnvPostgres + " not set")
	}
	db := storetest.Open(t, store.Postgres)
	ctx := context.Background()
	if _, err := db.Backup(ctx, filepath.Join(t.TempDir(), "x")); err == nil || !strings.Contains(err.Error(), "pg_dump") {
		t.Errorf("Backup on Postgres: %v", err)
	}
	if _, err := db.RestoreFrom(ctx, filepath.Join(t.TempDir(), "x")); err == nil || !strings.Contains(err.Error(), "pg_restore") {
		t.Errorf("RestoreFrom on Postgres: %v", err)
	}
}

func hasPostgres() bool {
	for _, d := range storetest.Dialects() {
		if d == store.Postgres {
			return true
		}
	}
	return false
}
