package web

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/newsintel/newsintel/inference/artifacts"
	"github.com/newsintel/newsintel/inference/topic"
	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/store/storetest"
)

// adminConsole is consoleServer with a handle on the Server (to swap its
// fine-tuner or data directory) and raw SQL on its database.
type adminConsole struct {
	ts  *httptest.Server
	db  *store.DB
	raw *storetest.Raw
	srv *testServer
	ft  *fakeFinetuner
}

func newAdminConsole(t *testing.T) *adminConsole {
	t.Helper()
	db, raw, _ := storetest.OpenRaw(t, store.SQLite)
	hash, err := HashPassword(testPassword)
	if err != nil {
		t.Fatal(err)
	}
	for _, role := range store.Roles {
		if _, err := db.CreateUser(context.Background(), role+"@example.com", hash, role, "test"); err != nil {
			t.Fatal(err)
		}
	}
	srv := newTestServerWith(t, testConfig(), db, &fakeEncoder{})
	ft := &fakeFinetuner{}
	srv.finetuner = ft
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &adminConsole{ts: ts, db: db, raw: raw, srv: srv, ft: ft}
}

// as logs a new client in as role and returns it with its CSRF token.
func (a *adminConsole) as(t *testing.T, role string) (*http.Client, string) {
	t.Helper()
	c := browser(t)
	if res, _ := logIn(t, c, a.ts.URL, role+"@example.com", testPassword); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("log in as %s: %d", role, res.StatusCode)
	}
	// Every console page's layout carries the token (the logout form).
	_, page := fetch(t, c, http.MethodGet, a.ts.URL+"/console/articles", nil, nil)
	return c, formToken(t, page)
}

// post sends a console form with the CSRF token.
func (a *adminConsole) post(t *testing.T, c *http.Client, csrf, path string, form url.Values) (*http.Response, string) {
	t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf_token", csrf)
	return fetch(t, c, http.MethodPost, a.ts.URL+path, form, http.Header{"Accept": {"text/html"}})
}

func (a *adminConsole) get(t *testing.T, c *http.Client, path string) (*http.Response, *goquery.Document) {
	t.Helper()
	res, body := fetch(t, c, http.MethodGet, a.ts.URL+path, nil, http.Header{"Accept": {"text/html"}})
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return res, doc
}

func adminDoc(t *testing.T, body string) *goquery.Document {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func findTestID(doc *goquery.Document, id string) *goquery.Selection {
	return doc.Find(`[data-testid="` + id + `"]`)
}

// seedModels registers the built-in agnews-v1 (active) and a fine-tuned
// agnews-v2.
func seedModels(t *testing.T, db *store.DB) {
	t.Helper()
	ctx := context.Background()
	if _, err := db.EnsureModel(ctx, store.NewModelVersion{Version: "agnews-v1", Encoder: "enc", Labels: []string{"World", "Sports"},
		Source: store.ModelBuiltin, Metrics: json.RawMessage(`{"n": 100, "accuracy": 0.9, "macro_f1": 0.89}`)}, "test"); err != nil {
		t.Fatal(err)
	}
	if err := db.RegisterModel(ctx, store.NewModelVersion{Version: "agnews-v2", Encoder: "enc", Labels: []string{"World", "Sports"},
		Source: store.ModelFinetune, ParentVersion: "agnews-v1", Path: "topic-models/agnews-v2",
		Metrics: json.RawMessage(`{"n": 120, "accuracy": 0.92, "macro_f1": 0.915}`)}); err != nil {
		t.Fatal(err)
	}
}

func activeVersion(t *testing.T, db *store.DB) string {
	t.Helper()
	m, err := db.ActiveModel(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return m.Version
}

func TestConsoleAdminPagesRefuseOtherRoles(t *testing.T) {
	a := newAdminConsole(t)
	seedModels(t, a.db)
	adminOnly := []string{"/console/models", "/console/models/rollback", "/console/models/finetune", "/console/models/agnews-v2/promote",
		"/console/taxonomies", "/console/taxonomies/new", "/console/users", "/console/keys"}
	for _, role := range []string{store.RoleReviewer, store.RoleAnalyst, store.RoleAdmin} {
		c, csrf := a.as(t, role)
		for _, p := range adminOnly {
			res, doc := a.get(t, c, p)
			want := http.StatusForbidden
			if role == store.RoleAdmin {
				want = http.StatusOK
			}
			if res.StatusCode != want {
				t.Errorf("%s GET %s: %d, want %d", role, p, res.StatusCode, want)
			}
			if want == http.StatusForbidden && findTestID(doc, "error-status").Text() != "403" {
				t.Errorf("%s GET %s: no 403 page", role, p)
			}
		}
		if res, _ := a.get(t, c, "/console/articles"); res.StatusCode != http.StatusOK {
			t.Errorf("%s GET /console/articles: %d", role, res.StatusCode)
		}
		if role != store.RoleAdmin {
			if res, _ := a.post(t, c, csrf, "/console/models/agnews-v2/promote", nil); res.StatusCode != http.StatusForbidden {
				t.Errorf("%s promote: %d", role, res.StatusCode)
			}
		}
	}
	if v := activeVersion(t, a.db); v != "agnews-v1" {
		t.Fatalf("refused promotions changed the active version to %s", v)
	}
	// The sidebar shows admins' links to admins only.
	c, _ := a.as(t, store.RoleReviewer)
	if _, doc := a.get(t, c, "/console/articles"); findTestID(doc, "nav-"+RouteConsoleModels).Length() != 0 ||
		findTestID(doc, "nav-"+RouteConsoleArticles).Length() != 1 {
		t.Error("a reviewer's sidebar links to Models or lacks Articles")
	}
}

func TestConsolePromoteAndRollback(t *testing.T) {
	a := newAdminConsole(t)
	seedModels(t, a.db)
	c, csrf := a.as(t, store.RoleAdmin)

	res, doc := a.get(t, c, "/console/models")
	if res.StatusCode != http.StatusOK || findTestID(doc, "model-agnews-v1").Find(`[data-testid="model-active-badge"]`).Length() != 1 ||
		findTestID(doc, "model-agnews-v2").Find(`[data-testid="model-active-badge"]`).Length() != 0 {
		t.Fatalf("models page: %d, active badge not on agnews-v1", res.StatusCode)
	}
	if got := findTestID(doc, "model-agnews-v2").Text(); !strings.Contains(got, "0.920") || !strings.Contains(got, "0.915") || !strings.Contains(got, "agnews-v1") {
		t.Errorf("agnews-v2 row lacks metrics or parent: %q", got)
	}
	// The first active version has nothing before it to roll back to.
	_, doc = a.get(t, c, "/console/models/rollback")
	if findTestID(doc, "flash-error").Length() != 1 {
		t.Error("rollback confirmation does not say there is nothing to roll back to")
	}
	res, body := a.post(t, c, csrf, "/console/models/rollback", nil)
	if res.StatusCode != http.StatusConflict || !strings.Contains(findTestID(adminDoc(t, body), "flash-error").Text(), "no earlier active version") {
		t.Errorf("rollback past the first version: %d %q", res.StatusCode, findTestID(adminDoc(t, body), "flash-error").Text())
	}
	// The confirmation step, then the promotion.
	res, doc = a.get(t, c, "/console/models/agnews-v2/promote")
	action, _ := findTestID(doc, "confirm-page").Find("form").Attr("action")
	if res.StatusCode != http.StatusOK || action != "/console/models/agnews-v2/promote" {
		t.Fatalf("confirm page: %d, form action %q", res.StatusCode, action)
	}
	if res, _ := fetch(t, c, http.MethodPost, a.ts.URL+action, url.Values{}, nil); res.StatusCode != http.StatusForbidden {
		t.Errorf("promote without CSRF token: %d", res.StatusCode)
	}
	res, _ = a.post(t, c, csrf, action, nil)
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/console/models?") {
		t.Fatalf("promote: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	if v := activeVersion(t, a.db); v != "agnews-v2" {
		t.Fatalf("active %s after promote", v)
	}
	hist, err := a.db.ModelActivations(context.Background(), 1)
	if err != nil || hist[0].Actor != "admin@example.com" || hist[0].Action != store.ActionPromote {
		t.Fatalf("activation %+v, %v", hist, err)
	}
	if n := a.raw.Int(t, `SELECT COUNT(*) FROM audit_log WHERE actor = 'admin@example.com' AND action = 'model.promote' AND target = 'agnews-v2'`); n != 1 {
		t.Errorf("%d audit rows for the promotion", n)
	}
	_, doc = a.get(t, c, res.Header.Get("Location"))
	if got := findTestID(doc, "flash-notice").Text(); !strings.Contains(got, "Promoted agnews-v2") {
		t.Errorf("notice %q", got)
	}
	// Promoting the active version again is a conflict, shown in place.
	res, body = a.post(t, c, csrf, action, nil)
	if res.StatusCode != http.StatusConflict || !strings.Contains(findTestID(adminDoc(t, body), "flash-error").Text(), "active already") {
		t.Errorf("promote twice: %d %q", res.StatusCode, findTestID(adminDoc(t, body), "flash-error").Text())
	}
	// Roll back, through its confirmation.
	_, doc = a.get(t, c, "/console/models/rollback")
	if got := findTestID(doc, "confirm-page").Text(); !strings.Contains(got, "agnews-v1") {
		t.Errorf("rollback confirmation does not name agnews-v1: %q", got)
	}
	res, _ = a.post(t, c, csrf, "/console/models/rollback", nil)
	if res.StatusCode != http.StatusSeeOther || activeVersion(t, a.db) != "agnews-v1" {
		t.Fatalf("rollback: %d, active %s", res.StatusCode, activeVersion(t, a.db))
	}
	hist, _ = a.db.ModelActivations(context.Background(), 1)
	if hist[0].Action != store.ActionRollback || hist[0].Actor != "admin@example.com" {
		t.Errorf("rollback activation %+v", hist[0])
	}
	// Rolling back again returns to the version active before: agnews-v2.
	if res, _ = a.post(t, c, csrf, "/console/models/rollback", nil); res.StatusCode != http.StatusSeeOther || activeVersion(t, a.db) != "agnews-v2" {
		t.Errorf("second rollback: %d, active %s", res.StatusCode, activeVersion(t, a.db))
	}
	if res, _ := a.post(t, c, csrf, "/console/models/nope/promote", nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("promote unknown version: %d", res.StatusCode)
	}
}

func TestConsoleFinetune(t *testing.T) {
	a := newAdminConsole(t)
	seedModels(t, a.db)
	c, csrf := a.as(t, store.RoleAdmin)
	_, doc := a.get(t, c, "/console/models/finetune")
	if findTestID(doc, "confirm-force").Length() != 1 || findTestID(doc, "confirm-dry_run").Length() != 1 {
		t.Fatal("fine-tune confirmation lacks its options")
	}
	res, _ := a.post(t, c, csrf, "/console/models/finetune", url.Values{"dry_run": {"1"}})
	if res.StatusCode != http.StatusSeeOther || !strings.Contains(res.Header.Get("Location"), "run=42") {
		t.Fatalf("finetune: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	if len(a.ft.got) != 1 || a.ft.got[0].Actor != "admin@example.com" || !a.ft.got[0].DryRun || a.ft.got[0].Force {
		t.Fatalf("fine-tuner got %+v", a.ft.got)
	}
	a.ft.err = &store.RunningError{Run: store.TrainingRun{ID: 7, TriggeredBy: store.TriggerAuto, StartedAt: time.Now()}}
	res, body := a.post(t, c, csrf, "/console/models/finetune", url.Values{"force": {"1"}})
	doc = adminDoc(t, body)
	if res.StatusCode != http.StatusConflict || !strings.Contains(findTestID(doc, "flash-error").Text(), "Training run 7 is running") {
		t.Fatalf("finetune while running: %d %q", res.StatusCode, findTestID(doc, "flash-error").Text())
	}
	if _, ok := findTestID(doc, "confirm-force").Attr("checked"); !ok {
		t.Error("the refused form lost its options")
	}
	a.ft.err = errors.New("boom")
	if res, _ := a.post(t, c, csrf, "/console/models/finetune", nil); res.StatusCode != http.StatusInternalServerError {
		t.Errorf("a failing fine-tuner: %d", res.StatusCode)
	}
}

// untarGz lists a tar.gz's entries by name.
func untarGz(t *testing.T, body string) map[string][]byte {
	t.Helper()
	zr, err := gzip.NewReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	out := map[string][]byte{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		out[h.Name] = b
	}
}

func TestConsoleModelBundle(t *testing.T) {
	a := newAdminConsole(t)
	seedModels(t, a.db)
	c, _ := a.as(t, store.RoleAdmin)

	// The built-in version comes from the binary.
	res, body := fetch(t, c, http.MethodGet, a.ts.URL+"/console/models/agnews-v1/bundle", nil, nil)
	if res.StatusCode != http.StatusOK || !strings.Contains(res.Header.Get("Content-Disposition"), `attachment; filename="agnews-v1.tar.gz"`) {
		t.Fatalf("bundle: %d, %q", res.StatusCode, res.Header.Get("Content-Disposition"))
	}
	files := untarGz(t, body)
	var man artifacts.Manifest
	if err := json.Unmarshal(files[artifacts.ManifestFile], &man); err != nil || man.Label != "agnews-v1" || len(files[topic.WeightsFile]) == 0 {
		t.Fatalf("manifest %+v (%v), entries %d", man, err, len(files))
	}

	// Others come from the data directory.
	dataDir := t.TempDir()
	a.srv.modelPath = func(p string) string { return filepath.Join(dataDir, p) }
	if res, _ := fetch(t, c, http.MethodGet, a.ts.URL+"/console/models/agnews-v2/bundle", nil, http.Header{"Accept": {"text/html"}}); res.StatusCode != http.StatusNotFound {
		t.Errorf("bundle of a missing folder: %d", res.StatusCode)
	}
	m, err := topic.Default()
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Save(filepath.Join(dataDir, "topic-models", "agnews-v2")); err != nil {
		t.Fatal(err)
	}
	res, body = fetch(t, c, http.MethodGet, a.ts.URL+"/console/models/agnews-v2/bundle", nil, nil)
	if res.StatusCode != http.StatusOK || len(untarGz(t, body)[topic.WeightsFile]) == 0 {
		t.Fatalf("bundle of agnews-v2: %d", res.StatusCode)
	}
}
