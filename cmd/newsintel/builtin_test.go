package main

import (
	"context"
	"strings"
	"testing"

	"github.com/newsintel/newsintel/inference/finetune"
	"github.com/newsintel/newsintel/inference/topic"
	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/store/storetest"
)

// TestServeAfterBuiltinUpgrade starts a server on a database made by a
// binary whose built-in model was agnews-v1, still active there: it keeps
// serving agnews-v1 (still embedded), registers the new built-in model
// inactive and says how to switch; once that is promoted it is served.
func TestServeAfterBuiltinUpgrade(t *testing.T) {
	const old = "agnews-v1"
	if old == topic.DefaultVersion {
		t.Skip("agnews-v1 is the default")
	}
	url, dataDir := storetest.URL(t, store.SQLite), t.TempDir()
	db := openDB(t, url)
	m, err := topic.Builtin(old)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := finetune.Registration(m, store.ModelBuiltin, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.EnsureModel(context.Background(), reg, "system"); err != nil {
		t.Fatal(err)
	}

	s := startServer(t, map[string]string{"DB_URL": url, "DATA_DIR": dataDir, "API_KEYS": testKey, "MODEL_POLL_INTERVAL": "50ms"})
	servedBy := func() string {
		var r struct {
			ModelVersion string `json:"model_version"`
		}
		_, body := get(t, s.URL+"/ready", nil)
		decode(t, body, &r)
		return r.ModelVersion
	}
	if got := servedBy(); got != old {
		t.Fatalf("after the upgrade the server serves %q, want %s until a promotion", got, old)
	}
	v, err := db.ModelVersion(context.Background(), topic.DefaultVersion)
	if err != nil || v.Source != store.ModelBuiltin || v.Active {
		t.Fatalf("the new built-in model: %+v, %v", v, err)
	}
	if !strings.Contains(s.Logs.String(), "an older built-in topic model is active") {
		t.Errorf("no hint to promote the new built-in model:\n%s", s.Logs)
	}
	if _, err := db.ActivateModel(context.Background(), topic.DefaultVersion, store.ActionPromote, "test", ""); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the server to serve "+topic.DefaultVersion, func() bool { return servedBy() == topic.DefaultVersion })
}

// TestServeBuiltinVersionTaken starts a server on a database where the
// built-in model's version names another model (a fine-tune made before
// it was built in): that one stays registered and served, with a warning.
func TestServeBuiltinVersionTaken(t *testing.T) {
	url, dataDir := storetest.URL(t, store.SQLite), t.TempDir()
	db := openDB(t, url)
	m, err := topic.Default()
	if err != nil {
		t.Fatal(err)
	}
	path, err := finetune.Models{DataDir: dataDir}.Save(m)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := finetune.Registration(m, store.ModelFinetune, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.EnsureModel(context.Background(), reg, "system"); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, map[string]string{"DB_URL": url, "DATA_DIR": dataDir, "API_KEYS": testKey})
	if !strings.Contains(s.Logs.String(), "the built-in topic model's version is taken") {
		t.Errorf("no warning about the taken version:\n%s", s.Logs)
	}
	v, err := db.ModelVersion(context.Background(), topic.DefaultVersion)
	if err != nil || v.Source != store.ModelFinetune || !v.Active {
		t.Fatalf("%s: %+v, %v", topic.DefaultVersion, v, err)
	}
}
