package views

import (
	"strings"
	"testing"
)

// TestArticlePageSummary shows the article page's summary three ways: the
// one stored at ingest, one computed for the view (labelled as not
// stored), and none with the reason.
func TestArticlePageSummary(t *testing.T) {
	base := ArticleView{ID: 7, Title: "Summit", Body: "Leaders met in Geneva. They agreed on a plan.", Ingested: "2026-12-03 10:00", BackURL: "/console/articles"}

	stored := base
	stored.Summary, stored.SummaryVersion = "Leaders met in Geneva.", "learned/3 scorer=s1"
	doc := adminRender(t, ArticlePage(stored))
	sum := adminTID(doc, "article-summary")
	if got := strings.TrimSpace(sum.Text()); got != "Leaders met in Geneva." {
		t.Errorf("stored summary %q", got)
	}
	if src, _ := sum.Attr("data-summary-source"); src != "stored" {
		t.Errorf("stored summary marked %q", src)
	}
	if note := adminTID(doc, "article-summary-note").Text(); !strings.Contains(note, "Stored when ingested") || !strings.Contains(note, "learned/3 scorer=s1") {
		t.Errorf("stored summary note %q", note)
	}
	if adminTID(doc, "article-summary-empty").Length() != 0 {
		t.Error("a stored summary is also reported missing")
	}
	if got := adminTID(doc, "article-body").Text(); got != base.Body {
		t.Errorf("body %q", got)
	}

	computed := base
	computed.Summary, computed.SummaryVersion, computed.SummaryComputed = "Leaders met in Geneva.", "learned/3 scorer=s1", true
	doc = adminRender(t, ArticlePage(computed))
	if src, _ := adminTID(doc, "article-summary").Attr("data-summary-source"); src != "computed" {
		t.Errorf("computed summary marked %q", src)
	}
	if note := adminTID(doc, "article-summary-note").Text(); !strings.Contains(note, "Computed on view") || !strings.Contains(note, "not stored") {
		t.Errorf("computed summary note %q", note)
	}

	missing := base
	missing.Body, missing.SummaryMissing = "— —", ": its text has no sentences"
	doc = adminRender(t, ArticlePage(missing))
	if adminTID(doc, "article-summary").Length() != 0 || adminTID(doc, "article-summary-note").Length() != 0 {
		t.Error("a missing summary shows a summary")
	}
	if got := adminTID(doc, "article-summary-empty").Text(); got != "No summary stored: its text has no sentences." {
		t.Errorf("missing summary %q", got)
	}
}
