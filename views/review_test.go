package views

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"
)

func renderDoc(t *testing.T, c templ.Component) *goquery.Document {
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

func byTestID(doc *goquery.Document, id string) *goquery.Selection {
	return doc.Find(`[data-testid="` + id + `"]`)
}

func sampleWorkspace() ReviewWorkspaceView {
	return ReviewWorkspaceView{
		CSRF: "tok", Filters: ReviewFilters{Topic: "World"}, LabeledToday: 7, Open: 12,
		Item: &ReviewItemView{ID: 42, Title: "Rates <held>", Text: "The bank held rates. Markets shrugged.", Source: "wire",
			Reason: "least confidence", Summary: "The bank held rates.", Predicted: "World", Confidence: "61.0%", ModelVersion: "v1",
			Scores: []ScoreView{{Label: "World", Percent: 61, Text: "61.0%", Predicted: true}, {Label: "Business", Percent: 30, Text: "30.0%"},
				{Label: "Sports", Percent: 9, Text: "9.0%"}},
			Labels:   []LabelButton{{Key: 1, Label: "Business"}, {Key: 2, Label: "Sports"}, {Key: 3, Label: "World", Predicted: true}},
			LabelURL: "/console/review/items/42/label", SkipURL: "/console/review/items/42/skip",
			LeaseExpires: "2026-11-27T09:05:00Z", LeaseText: "09:05:00 UTC", LeaseSeconds: 300, ReclaimURL: "/console/review?item=42"},
		Claimed: []ClaimedItemView{{ID: 41, Title: "Before", URL: "/console/review?item=41"}, {ID: 42, Title: "Rates", URL: "/console/review?item=42", Current: true},
			{ID: 43, Title: "After", URL: "/console/review?item=43"}},
		PrevURL: "/console/review?item=41", NextURL: "/console/review?item=43",
		Undo: &UndoView{URL: "/console/review/items/40/undo", Description: "you labeled “Cup” Sports"},
	}
}

func TestReviewWorkspace(t *testing.T) {
	doc := renderDoc(t, ReviewWorkspace(sampleWorkspace()))
	for id, want := range map[string]string{
		"review-done-today": "7", "review-open": "12", "review-item-title": "Rates <held>",
		"review-summary": "The bank held rates.", "review-predicted": "World",
	} {
		if got := strings.TrimSpace(byTestID(doc, id).Text()); got != want {
			t.Errorf("%s = %q, want %q", id, got, want)
		}
	}
	if id, _ := byTestID(doc, "review-item").Attr("data-item-id"); id != "42" {
		t.Errorf("item id %q", id)
	}
	// Every score shows as text, not only as a bar.
	scores := byTestID(doc, "review-score")
	if scores.Length() != 3 {
		t.Fatalf("%d scores", scores.Length())
	}
	var values []string
	scores.Each(func(_ int, s *goquery.Selection) {
		values = append(values, s.Find(`[data-testid="review-score-value"]`).Text())
	})
	if strings.Join(values, ",") != "61.0%,30.0%,9.0%" {
		t.Errorf("score texts %v", values)
	}
	if style, _ := scores.First().Find(".score-fill").Attr("style"); !strings.Contains(style, "width: 61.0%") {
		t.Errorf("bar style %q", style)
	}
	if hidden, _ := scores.First().Find(".score-bar").Attr("aria-hidden"); hidden != "true" {
		t.Error("the bar is not hidden from screen readers, which read the text")
	}
	// Label buttons: numbered in order, the predicted one marked in words.
	buttons := byTestID(doc, "review-label")
	var keys []string
	buttons.Each(func(_ int, b *goquery.Selection) {
		k, _ := b.Attr("data-shortcut")
		l, _ := b.Attr("data-label")
		keys = append(keys, k+"="+l)
	})
	if strings.Join(keys, " ") != "1=Business 2=Sports 3=World" {
		t.Errorf("label keys %v", keys)
	}
	if p := buttons.Filter(".predicted"); p.Length() != 1 || !strings.Contains(p.Text(), "predicted") {
		t.Errorf("predicted marker: %q", p.Text())
	}
	// The label form posts the pressed button's label, the token, the
	// filters and the note.
	form := buttons.First().Closest("form")
	if form.Find(`[data-testid="review-label"]`).Length() != 3 || form.Find(`textarea[name="note"]`).Length() != 1 {
		t.Error("the label buttons and the note are not in one form")
	}
	var pressed []string
	buttons.Each(func(_ int, b *goquery.Selection) {
		n, _ := b.Attr("name")
		v, _ := b.Attr("value")
		pressed = append(pressed, n+"="+v)
	})
	if strings.Join(pressed, " ") != "label=Business label=Sports label=World" {
		t.Errorf("buttons post %v", pressed)
	}
	if a, _ := form.Attr("action"); a != "/console/review/items/42/label" {
		t.Errorf("label form action %q", a)
	}
	if hx, _ := form.Attr("hx-post"); hx != "/console/review/items/42/label" {
		t.Errorf("label form hx-post %q", hx)
	}
	for name, want := range map[string]string{"csrf_token": "tok", "topic": "World"} {
		if v, _ := form.Find(`input[name="` + name + `"]`).Attr("value"); v != want {
			t.Errorf("form field %s = %q, want %q", name, v, want)
		}
	}
	if form.Find(`input[name="source"]`).Length() != 0 {
		t.Error("an empty filter was carried")
	}
	for id, key := range map[string]string{"review-skip": "s", "review-undo": "u", "review-next": "j", "review-prev": "k"} {
		if k, _ := byTestID(doc, id).Attr("data-shortcut"); k != key {
			t.Errorf("%s shortcut %q, want %q", id, k, key)
		}
	}
	if got := byTestID(doc, "review-undo-what").Text(); !strings.Contains(got, "Cup") {
		t.Errorf("undo says %q", got)
	}
	lease := byTestID(doc, "review-lease")
	if s, _ := lease.Attr("data-lease-seconds"); s != "300" {
		t.Errorf("lease seconds %q", s)
	}
	if _, hidden := byTestID(doc, "review-reclaim").Attr("hidden"); !hidden {
		t.Error("the re-claim link shows before the lease ran out")
	}
	if cur := doc.Find(`[data-testid="review-claimed-item"][aria-current="true"]`); cur.Text() != "Rates" {
		t.Errorf("current claimed item %q", cur.Text())
	}
	if byTestID(doc, "review-error").Length() != 0 || byTestID(doc, "review-empty").Length() != 0 {
		t.Error("error or empty state shown")
	}
}

func TestReviewWorkspaceStates(t *testing.T) {
	t.Run("error inline and no summary", func(t *testing.T) {
		v := sampleWorkspace()
		v.Error = "Item 42 is claimed by another reviewer."
		v.Item.Summary, v.Item.SummaryError = "", "the summarizer failed"
		doc := renderDoc(t, ReviewWorkspace(v))
		e := byTestID(doc, "review-error")
		if e.Text() != v.Error {
			t.Errorf("error %q", e.Text())
		}
		if role, _ := e.Attr("role"); role != "alert" {
			t.Errorf("error role %q", role)
		}
		if !strings.Contains(byTestID(doc, "review-summary-unavailable").Text(), "the summarizer failed") || byTestID(doc, "review-summary").Length() != 0 {
			t.Error("no summary is not explained")
		}
	})
	t.Run("nothing to review", func(t *testing.T) {
		v := sampleWorkspace()
		v.Item, v.Claimed, v.Undo, v.PrevURL, v.NextURL = nil, nil, nil, "", ""
		doc := renderDoc(t, ReviewWorkspace(v))
		if byTestID(doc, "review-empty").Length() != 1 || byTestID(doc, "review-label").Length() != 0 || byTestID(doc, "review-undo").Length() != 0 {
			t.Error("empty state wrong")
		}
	})
	t.Run("more than nine labels", func(t *testing.T) {
		v := sampleWorkspace()
		v.Item.Labels = append(v.Item.Labels, LabelButton{Label: "Tenth"})
		doc := renderDoc(t, ReviewWorkspace(v))
		if _, has := doc.Find(`[data-label="Tenth"]`).Attr("data-shortcut"); has {
			t.Error("a label past the ninth got a key")
		}
	})
}

func TestReviewPage(t *testing.T) {
	v := ReviewPageView{
		Nav:     ReviewNav{SingleURL: "/console/review", BulkURL: "/console/review/bulk", Current: "single"},
		Filters: ReviewFilters{Topic: "Gone"}, Choices: ReviewChoices{Topics: []string{"Sports", "World"}, Sources: []string{"wire"}},
		ScriptURL: "/static/js/review.1.js", Workspace: sampleWorkspace(),
	}
	doc := renderDoc(t, ReviewPage(v))
	if mode, _ := byTestID(doc, "review-page").Attr("data-review-mode"); mode != "single" {
		t.Errorf("mode %q", mode)
	}
	if byTestID(doc, "review-workspace").Find(`[data-testid="review-item"]`).Length() != 1 {
		t.Error("the item is not inside the swappable workspace")
	}
	if src, _ := doc.Find("script").Attr("src"); src != "/static/js/review.1.js" {
		t.Errorf("script %q", src)
	}
	// The applied filter stays selected even when no open item has it.
	if sel := byTestID(doc, "review-filter-topic").Find("option[selected]"); sel.Text() != "Gone" {
		t.Errorf("selected topic %q", sel.Text())
	}
	if byTestID(doc, "review-filter-topic").Find("option").Length() != 4 { // Any, Sports, World, Gone
		t.Error("topic options")
	}
	if byTestID(doc, "review-mode-adjudication").Length() != 0 {
		t.Error("a reviewer sees the adjudication link")
	}
	if cur, _ := byTestID(doc, "review-mode-single").Attr("aria-current"); cur != "page" {
		t.Error("current mode not marked")
	}
	help := byTestID(doc, "review-help")
	if goquery.NodeName(help) != "dialog" || !strings.Contains(help.Text(), "Undo your last action") {
		t.Error("help dialog missing")
	}
	if doc.Find(`label[for="review-filter-topic"]`).Length() != 1 {
		t.Error("filter select has no label")
	}
}

func TestReviewBulk(t *testing.T) {
	v := ReviewBulkView{CSRF: "tok", ActionURL: "/console/review/bulk", Filters: ReviewFilters{Source: "wire"},
		Rows: []BulkRowView{{ID: 1, Title: "One", Predicted: "World", Confidence: "50.0%", Checked: true},
			{ID: 2, Title: "Two", Predicted: "Sports", Checked: true, Error: "item 2 is labeled already"}, {ID: 3, Title: "Three"}},
		Labels: []LabelButton{{Key: 1, Label: "Sports"}, {Key: 2, Label: "World"}},
		Error:  "Nothing was labeled: item 2 stopped the batch (item 2 is labeled already).", NextURL: "/console/review/bulk?cursor=x"}
	doc := renderDoc(t, ReviewBulk(v))
	rows := byTestID(doc, "review-bulk-row")
	if rows.Length() != 3 {
		t.Fatalf("%d rows", rows.Length())
	}
	if n := doc.Find(`[data-testid="review-bulk-check"][checked]`).Length(); n != 2 {
		t.Errorf("%d checked rows, want the selection kept (2)", n)
	}
	failed := doc.Find(`[data-testid="review-bulk-row"].failed`)
	if id, _ := failed.Attr("data-item-id"); id != "2" || failed.Find(`[data-testid="review-bulk-row-error"]`).Text() != "item 2 is labeled already" {
		t.Errorf("failed row %q: %q", id, failed.Text())
	}
	if byTestID(doc, "review-error").Text() != v.Error {
		t.Error("batch error not shown")
	}
	b := byTestID(doc, "review-bulk-label").First()
	if n, _ := b.Attr("name"); n != "label" {
		t.Errorf("label button name %q", n)
	}
	if k, _ := b.Attr("data-shortcut"); k != "1" {
		t.Errorf("bulk key %q", k)
	}
	form := byTestID(doc, "review-bulk-form")
	if v, _ := form.Find(`input[name="source"]`).Attr("value"); v != "wire" {
		t.Error("filters not carried")
	}
	// Every checkbox has a label: the row's title.
	if doc.Find(`label[for="bulk-item-3"]`).Text() != "Three" {
		t.Error("checkbox label")
	}
	if byTestID(doc, "review-bulk-next-page").Length() != 1 {
		t.Error("no next page link")
	}
	empty := renderDoc(t, ReviewBulk(ReviewBulkView{}))
	if byTestID(empty, "review-bulk-empty").Length() != 1 || byTestID(empty, "review-bulk-form").Length() != 0 {
		t.Error("empty bulk view")
	}
}

func TestAdjudication(t *testing.T) {
	k := "0.42"
	v := AdjudicationView{CSRF: "tok",
		Agreement: AgreementView{Pairs: 5, Observed: "80.0%", Kappa: k, PerLabel: []LabelKappa{{"Sports", "0.50"}, {"World", "n/a"}}},
		Items: []AdjudicationItemView{{ID: 9, Title: "Disputed", Predicted: "World", SettleURL: "/console/review/adjudication/9",
			Given:   []GivenLabelView{{Reviewer: "ann@example.com", Label: "Sports"}, {Reviewer: "bob@example.com", Label: "World"}},
			Options: []AdjudicationOption{{Label: "Sports", GivenBy: "ann@example.com"}, {Label: "World", GivenBy: "bob@example.com"}}}}}
	doc := renderDoc(t, Adjudication(v))
	for id, want := range map[string]string{"agreement-kappa": "0.42", "agreement-pairs": "5", "agreement-observed": "80.0%"} {
		if got := byTestID(doc, id).Text(); got != want {
			t.Errorf("%s = %q, want %q", id, got, want)
		}
	}
	if byTestID(doc, "agreement-label").Length() != 2 {
		t.Error("per-label kappa")
	}
	item := byTestID(doc, "adjudication-item")
	given := item.Find(`[data-testid="adjudication-given"] li`)
	if given.Length() != 2 || !strings.Contains(given.First().Text(), "ann@example.com") || !strings.Contains(given.Last().Text(), "World") {
		t.Errorf("given labels %q", given.Text())
	}
	settle := item.Find(`[data-testid="adjudication-settle"]`)
	if settle.Length() != 2 {
		t.Fatalf("%d settle buttons", settle.Length())
	}
	if a, _ := settle.First().Closest("form").Attr("action"); a != "/console/review/adjudication/9" {
		t.Errorf("settle action %q", a)
	}
	if v, _ := settle.First().Attr("value"); v != "Sports" {
		t.Errorf("settle value %q", v)
	}
	if byTestID(renderDoc(t, Adjudication(AdjudicationView{Agreement: AgreementView{Kappa: "n/a"}})), "adjudication-empty").Length() != 1 {
		t.Error("empty adjudication")
	}
}

func TestReviewWorkspaceGuideAndReject(t *testing.T) {
	v := sampleWorkspace()
	v.Item.Labels[0].Description = "companies, markets and the economy"
	v.Item.RejectURL = "/console/review/items/42/reject"
	doc := renderDoc(t, ReviewWorkspace(v))
	rows := byTestID(doc, "review-label-row")
	if rows.Length() != 3 {
		t.Fatalf("%d label rows", rows.Length())
	}
	if d := strings.TrimSpace(rows.First().Find(`[data-testid="review-label-desc"]`).Text()); d != "companies, markets and the economy" {
		t.Errorf("the first label's guideline %q", d)
	}
	if rows.Eq(1).Find(`[data-testid="review-label-desc"]`).Length() != 0 {
		t.Error("a label without a description shows an empty guideline")
	}
	form := byTestID(doc, "review-reject-form")
	if a, _ := form.Attr("hx-post"); a != "/console/review/items/42/reject" {
		t.Errorf("reject form posts to %q", a)
	}
	if form.Find(`input[name="why"]`).Length() != 1 || form.Find(`input[name="csrf_token"]`).Length() != 1 {
		t.Error("the reject form lacks its reason or token")
	}
	if k, _ := byTestID(doc, "review-reject-open").Attr("data-shortcut"); k != "n" {
		t.Errorf("none-of-these shortcut %q", k)
	}
	v.Item.RejectURL = ""
	if byTestID(renderDoc(t, ReviewWorkspace(v)), "review-reject").Length() != 0 {
		t.Error("a reject offer without a URL")
	}
}

func TestAdjudicationShortcuts(t *testing.T) {
	doc := renderDoc(t, AdjudicationPage(AdjudicationPageView{ScriptURL: "/static/js/review.js", Body: AdjudicationView{CSRF: "tok", Items: []AdjudicationItemView{
		{ID: 7, Title: "A", SettleURL: "/s/7", Options: []AdjudicationOption{{Label: "Sports"}, {Label: "World", GivenBy: "ann"}}},
		{ID: 8, Title: "B", SettleURL: "/s/8", Options: []AdjudicationOption{{Label: "Sports"}}},
	}}}))
	var keys []string
	doc.Find(`[data-dispute]`).First().Find(`[data-testid="adjudication-settle"]`).Each(func(_ int, b *goquery.Selection) {
		k, _ := b.Attr("data-settle-key")
		l, _ := b.Attr("data-label")
		keys = append(keys, k+"="+l)
	})
	if strings.Join(keys, " ") != "1=Sports 2=World" {
		t.Errorf("settle keys %v", keys)
	}
	if n := doc.Find(`[data-dispute-head][tabindex="-1"]`).Length(); n != 2 {
		t.Errorf("%d focusable dispute titles, want 2 (j/k move between them)", n)
	}
	if byTestID(doc, "review-help").Length() != 1 || byTestID(doc, "review-help-open").Length() != 1 {
		t.Error("no shortcuts help on the adjudication page")
	}
	if doc.Find(`script[src="/static/js/review.js"]`).Length() != 1 {
		t.Error("review.js not loaded")
	}
}
