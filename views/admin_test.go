package views

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"
)

func adminRender(t *testing.T, c templ.Component) *goquery.Document {
	t.Helper()
	var buf bytes.Buffer
	if err := c.Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	doc, err := goquery.NewDocumentFromReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func adminTID(doc *goquery.Document, id string) *goquery.Selection {
	return doc.Find(`[data-testid="` + id + `"]`)
}

func TestModelsPage(t *testing.T) {
	doc := adminRender(t, ModelsPage(ModelsView{
		Flash:  AdminFlash{Notice: "Promoted agnews-v2."},
		Active: "agnews-v2",
		Versions: []ModelVersionView{
			{Version: "agnews-v2", Active: true, Source: "finetune", Parent: "agnews-v1", RunID: 3,
				Metrics:    []MetricView{{Set: "dev", N: "100", Accuracy: "0.920", MacroF1: "0.915"}, {Set: "human eval", N: "20", Accuracy: "0.800", MacroF1: "0.790"}},
				PromoteURL: "/p2", BundleURL: "/b2"},
			{Version: "agnews-v1", Source: "builtin", PromoteURL: "/p1", BundleURL: "/b1"},
		},
		Runs:        []TrainingRunView{{ID: 3, Status: "succeeded", Decision: "promoted: better on both sets", Counts: []AdminFact{{Label: "human", Value: "12"}}}},
		History:     []ActivationView{{Action: "promote", Version: "agnews-v2", Previous: "agnews-v1", Actor: "admin@example.com"}},
		FinetuneURL: "/ft", RollbackURL: "/rb",
	}))
	if got := adminTID(doc, "flash-notice").Text(); got != "Promoted agnews-v2." {
		t.Errorf("notice %q", got)
	}
	if adminTID(doc, "model-agnews-v2").Find(`[data-testid="model-active-badge"]`).Length() != 1 || adminTID(doc, "model-agnews-v1").Find(`[data-testid="model-active-badge"]`).Length() != 0 {
		t.Error("the active badge is misplaced")
	}
	if adminTID(doc, "promote-agnews-v2").Length() != 0 || adminTID(doc, "promote-agnews-v1").Length() != 1 {
		t.Error("the active version offers promotion, or the other does not")
	}
	if b, _ := adminTID(doc, "bundle-agnews-v1").Attr("hx-boost"); b != "false" {
		t.Error("the download link is boosted (htmx would fetch the archive into the page)")
	}
	if got := adminTID(doc, "model-agnews-v2").Find("table").Text(); !strings.Contains(got, "human eval") || !strings.Contains(got, "0.915") {
		t.Errorf("metrics %q", got)
	}
	if got := adminTID(doc, "run-3").Find(`[data-testid="run-decision"]`).Text(); !strings.Contains(got, "promoted: better") {
		t.Errorf("decision %q", got)
	}
	if href, _ := adminTID(doc, "model-agnews-v2").Find(`a[href="#run-3"]`).Attr("href"); href != "#run-3" {
		t.Error("the version does not link to its run")
	}
	if adminTID(doc, "flash-error").Length() != 0 {
		t.Error("an error shown without one")
	}
}

func TestAdminConfirmPage(t *testing.T) {
	doc := adminRender(t, AdminConfirmPage(AdminConfirmView{Title: "Promote x", Question: "Make x active?", ActionURL: "/console/models/x/promote",
		CSRF: "tok", Submit: "Promote x", CancelURL: "/console/models", Error: "Training run 7 is running.",
		Checks: []AdminCheck{{Name: "force", Label: "Force", Checked: true}, {Name: "dry_run", Label: "Dry run"}}}))
	form := adminTID(doc, "confirm-page").Find("form")
	if a, _ := form.Attr("action"); a != "/console/models/x/promote" {
		t.Errorf("action %q", a)
	}
	if m, _ := form.Attr("method"); m != "post" {
		t.Errorf("method %q", m)
	}
	if v, _ := form.Find(`input[name="csrf_token"]`).Attr("value"); v != "tok" {
		t.Errorf("csrf %q", v)
	}
	if _, ok := adminTID(doc, "confirm-force").Attr("checked"); !ok {
		t.Error("force not checked")
	}
	if _, ok := adminTID(doc, "confirm-dry_run").Attr("checked"); ok {
		t.Error("dry run checked")
	}
	if id, _ := adminTID(doc, "confirm-force").Attr("id"); doc.Find(`label[for="`+id+`"]`).Length() != 1 {
		t.Error("the checkbox has no label")
	}
	if role, _ := adminTID(doc, "flash-error").Attr("role"); role != "alert" || adminTID(doc, "flash-error").Text() != "Training run 7 is running." {
		t.Error("the error is not announced")
	}
}

func TestArticlesPage(t *testing.T) {
	doc := adminRender(t, ArticlesPage(ArticlesView{ActionURL: "/console/articles",
		Filters: ArticleFilters{Q: "cup", Topic: "Gone", Source: "wire", From: "2025-03-01"},
		Topics:  []string{"Sports", "World"}, Sources: []string{"wire"},
		Rows: []ArticleRowView{{ID: 4, URL: "/console/articles/4", Title: "<b>Cup</b>", Topic: "Sports", Confidence: "90.0%"}},
		Page: 2, PrevURL: "/console/articles?page=1", NextURL: "/console/articles?page=3"}))
	if v, _ := adminTID(doc, "articles-q").Attr("value"); v != "cup" {
		t.Errorf("query %q", v)
	}
	// A topic no longer offered (from an old Trends link) stays selected.
	if v, _ := adminTID(doc, "articles-topic").Find("option[selected]").Attr("value"); v != "Gone" {
		t.Errorf("selected topic %q", v)
	}
	row := adminTID(doc, "article-4")
	if row.Find("a").Text() != "<b>Cup</b>" || row.Find("b").Length() != 0 {
		t.Error("the title is not escaped")
	}
	if adminTID(doc, "articles-prev").Length() != 1 || adminTID(doc, "articles-next").Length() != 1 {
		t.Error("pager links missing")
	}
	empty := adminRender(t, ArticlesPage(ArticlesView{Page: 1, Error: "Bad date."}))
	if adminTID(empty, "articles-empty").Length() != 1 || adminTID(empty, "articles-prev").Length() != 0 || adminTID(empty, "flash-error").Text() != "Bad date." {
		t.Error("empty page")
	}
}

func TestArticlePage(t *testing.T) {
	doc := adminRender(t, ArticlePage(ArticleView{ID: 9, Title: "Derby", Body: "A late winner.", Link: "https://news.example/d",
		Predictions: []ArticlePredictionView{{ID: 1, Model: "agnews-v1", Label: "World", RequestID: "req-1"}},
		Labels: []ArticleLabelView{{ID: 5, Label: "Sports", By: "rev@x", Final: true, Runs: "3"},
			{ID: 6, Label: "World", By: "other@x", Retracted: "2025-03-01 10:00 UTC"}, {ID: 7, Label: "World", By: "third@x"}},
		Runs: []TrainingRunView{{ID: 3, Status: "succeeded", Decision: "promoted"}},
	}))
	status := func(id string) string { return adminTID(doc, id).Find(`[data-testid="label-status"]`).Text() }
	if !strings.Contains(status("label-5"), "final") || !strings.Contains(status("label-6"), "retracted") || !strings.Contains(status("label-7"), "not final") {
		t.Errorf("label statuses %q, %q, %q", status("label-5"), status("label-6"), status("label-7"))
	}
	if !strings.Contains(adminTID(doc, "prediction-1").Text(), "req-1") || adminTID(doc, "article-run-3").Length() != 1 {
		t.Error("prediction or run missing")
	}
	if adminTID(doc, "article-items-empty").Length() != 1 || adminTID(doc, "article-feedback-empty").Length() != 1 {
		t.Error("empty sections not explained")
	}
}

func TestTaxonomyForm(t *testing.T) {
	doc := adminRender(t, TaxonomyForm(TaxonomyFormView{Title: "New taxonomy", Create: true, Name: "Bad Name", NameError: "Not a name.",
		Topics: []TopicFormView{{Name: "Politics"}, {Name: "politics", NameError: "Appears twice."}}, Error: "Not saved.", CSRF: "tok", ActionURL: "/console/taxonomies"}))
	if got := adminTID(doc, "topic-name-error-1").Text(); got != "Appears twice." {
		t.Errorf("row error %q", got)
	}
	if inv, _ := adminTID(doc, "topic-name-1").Attr("aria-invalid"); inv != "true" {
		t.Errorf("aria-invalid %q", inv)
	}
	if inv, _ := adminTID(doc, "topic-name-0").Attr("aria-invalid"); inv != "false" {
		t.Errorf("valid field aria-invalid %q", inv)
	}
	if d, _ := adminTID(doc, "topic-name-1").Attr("aria-describedby"); d != "topic-name-error-1" {
		t.Errorf("describedby %q", d)
	}
	if adminTID(doc, "taxonomy-name-error").Text() != "Not a name." || adminTID(doc, "flash-error").Text() != "Not saved." {
		t.Error("name error or summary missing")
	}
	edit := adminRender(t, TaxonomyForm(TaxonomyFormView{Name: "desk", Topics: []TopicFormView{{}, {}}}))
	if adminTID(edit, "taxonomy-name").Is("input") {
		t.Error("an edit lets the name change")
	}
}

func TestUsersPage(t *testing.T) {
	doc := adminRender(t, UsersPage(UsersView{CSRF: "tok", Roles: []string{"reviewer", "analyst", "admin"},
		Rows: []UserRowView{{Email: "admin@x", Role: "admin", Self: true}, {Email: "rev@x", Role: "reviewer"},
			{Email: "gone@x", Role: "analyst", Disabled: "2025-01-01 00:00 UTC"}},
		Shown: &ShownPassword{Email: "rev@x", Password: "s3cret-s3cret"}}))
	self := adminTID(doc, "user-admin@x")
	if self.Find("form").Length() != 0 {
		t.Error("the admin's own row has forms")
	}
	if v, _ := adminTID(doc, "user-rev@x").Find("select option[selected]").Attr("value"); v != "reviewer" {
		t.Errorf("selected role %q", v)
	}
	if adminTID(doc, "user-gone@x").Find(`[data-testid="user-enable"]`).Length() != 1 || adminTID(doc, "user-rev@x").Find(`[data-testid="user-disable"]`).Length() != 1 {
		t.Error("enable/disable buttons wrong")
	}
	if adminTID(doc, "shown-password-value").Text() != "s3cret-s3cret" {
		t.Error("password not shown")
	}
	doc.Find("form").Each(func(_ int, f *goquery.Selection) {
		if v, _ := f.Find(`input[name="csrf_token"]`).Attr("value"); v != "tok" {
			t.Error("a form lacks the CSRF token")
		}
	})
	if adminTID(adminRender(t, UsersPage(UsersView{})), "shown-password").Length() != 0 {
		t.Error("a password box without a password")
	}
}

func TestKeysPage(t *testing.T) {
	doc := adminRender(t, KeysPage(KeysView{Uptime: "5m0s", Rows: []KeyRowView{{Name: "old", LastUsed: "never", Requests: "3"}}}))
	if adminTID(doc, "key-old").Find(`[data-testid="key-requests"]`).Text() != "3" || !strings.Contains(adminTID(doc, "keys-scope").Text(), "5m0s") {
		t.Error("row or scope wrong")
	}
	none := adminRender(t, KeysPage(KeysView{AuthDisabled: true}))
	if adminTID(none, "keys-empty").Length() != 1 || adminTID(none, "keys-auth-disabled").Length() != 1 {
		t.Error("empty or auth-disabled notice missing")
	}
}

func TestSourcesPage(t *testing.T) {
	doc := adminRender(t, SourcesPage(SourcesView{CSRF: "tok", AddURL: "/console/sources", Rows: []SourceRowView{
		{Name: "wire", URL: "https://wire.test/rss", Every: "15m", LastFetch: "2026-10-05 08:00", Status: "200", ArticlesPerDay: "3.4",
			NextFetch: "2026-10-05 08:15", ToggleURL: "/console/sources/wire/pause"},
		{Name: "broken", URL: "https://x.test/", Every: "1h", Paused: true, LastFetch: "never", Status: "—", LastError: "parse: EOF",
			Failures: 3, ArticlesPerDay: "0.0", ToggleURL: "/console/sources/broken/resume"},
	}}))
	wire := adminTID(doc, "source-wire")
	if wire.Find(`[data-testid="source-per-day"]`).Text() != "3.4" || wire.Find(`[data-testid="source-status"]`).Text() != "200" {
		t.Errorf("wire row: %q", wire.Text())
	}
	if adminTID(doc, "source-pause-wire").Length() != 1 || adminTID(doc, "source-resume-wire").Length() != 0 {
		t.Error("an active source offers Pause, not Resume")
	}
	broken := adminTID(doc, "source-broken")
	if !strings.Contains(broken.Find(`[data-testid="source-error"]`).Text(), "parse: EOF") || !strings.Contains(broken.Text(), "3 failed in a row") {
		t.Errorf("broken row lacks its error: %q", broken.Text())
	}
	if adminTID(doc, "source-resume-broken").Length() != 1 || broken.Find(`[data-testid="source-paused"]`).Length() != 1 {
		t.Error("a paused source shows so and offers Resume")
	}
	if v, _ := adminTID(doc, "source-add").Find(`input[name="csrf_token"]`).Attr("value"); v != "tok" {
		t.Errorf("add form token %q", v)
	}
	empty := adminRender(t, SourcesPage(SourcesView{}))
	if adminTID(empty, "sources-empty").Length() != 1 {
		t.Error("no sources: no empty note")
	}
}
