package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/store/storetest"
	"github.com/newsintel/newsintel/web"
)

// TestFinetuneFromConsoleRecordsUser starts a fine-tune from the console's
// Models page: the run is recorded as started by the admin through the
// console, not "by api".
func TestFinetuneFromConsoleRecordsUser(t *testing.T) {
	db, raw, dbURL := storetest.OpenRaw(t, store.SQLite)
	ctx := context.Background()
	s := startServer(t, map[string]string{"DB_URL": dbURL, "API_KEYS": testKey, "DATA_DIR": t.TempDir(),
		"FINETUNE_BASE_DATA": finetuneBase})
	for _, l := range testLabels[:2] {
		storetest.AddLabel(t, db, raw, l)
	}
	const password = "correct horse battery"
	hash, err := web.HashPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateUser(ctx, "ed@example.com", hash, store.RoleAdmin, "test"); err != nil {
		t.Fatal(err)
	}

	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	page := func(method, path string, form url.Values) string {
		t.Helper()
		var res *http.Response
		if method == http.MethodPost {
			res, err = c.PostForm(s.URL+path, form)
		} else {
			res, err = c.Get(s.URL + path)
		}
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s %s: %d\n%s", method, path, res.StatusCode, b)
		}
		return string(b)
	}
	login := page(http.MethodGet, "/console/login", nil)
	confirm := page(http.MethodPost, "/console/login", url.Values{"email": {"ed@example.com"}, "password": {password},
		"csrf_token": {csrfInput.FindStringSubmatch(login)[1]}, "next": {"/console/models/finetune"}})
	token := csrfInput.FindStringSubmatch(confirm)
	if token == nil {
		t.Fatalf("no form on the fine-tune page:\n%s", confirm)
	}
	page(http.MethodPost, "/console/models/finetune", url.Values{"csrf_token": {token[1]}, "dry_run": {"1"}})

	var runs []store.TrainingRun
	waitFor(t, "the console's run to finish", func() bool {
		runs, err = db.TrainingRuns(ctx, 1)
		return err == nil && len(runs) == 1 && runs[0].Status != store.RunRunning
	})
	if r := runs[0]; r.TriggeredBy != store.TriggerConsole || r.StartedBy != "ed@example.com" {
		t.Fatalf("run %d: triggered by %q, started by %q; want console, ed@example.com", r.ID, r.TriggeredBy, r.StartedBy)
	}
	// The Models page and the API say so too.
	if models := page(http.MethodGet, "/console/models", nil); !strings.Contains(models, "by ed@example.com (console)") {
		t.Errorf("the Models page does not name the admin:\n%s", models)
	}
	_, body := get(t, fmt.Sprintf("%s/admin/training-runs/%d", s.URL, runs[0].ID), http.Header{"X-Api-Key": {"ci-secret-0123456789abcdef"}})
	if !strings.Contains(string(body), `"triggered_by":"console"`) || !strings.Contains(string(body), `"started_by":"ed@example.com"`) {
		t.Errorf("the API's run: %s", body)
	}
}
