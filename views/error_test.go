package views

import (
	"bytes"
	"context"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

func TestErrorPage(t *testing.T) {
	cases := []struct {
		name      string
		view      ErrorView
		wantID    bool
		wantTexts map[string]string
	}{
		{
			name:   "with request id",
			view:   ErrorView{Status: 503, Title: "Service Unavailable", Message: "the request took too long", RequestID: "abc-1"},
			wantID: true,
			wantTexts: map[string]string{
				"error-status": "503", "error-title": "Service Unavailable",
				"error-message": "the request took too long", "error-request-id": "abc-1",
			},
		},
		{
			name:      "without request id",
			view:      ErrorView{Status: 404, Title: "Not Found", Message: "no such resource"},
			wantTexts: map[string]string{"error-status": "404", "error-title": "Not Found"},
		},
		{
			name:      "message is escaped",
			view:      ErrorView{Status: 422, Title: "Unprocessable", Message: "<script>alert(1)</script>"},
			wantTexts: map[string]string{"error-message": "<script>alert(1)</script>"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := ErrorPage(tc.view).Render(context.Background(), &buf); err != nil {
				t.Fatal(err)
			}
			doc, err := goquery.NewDocumentFromReader(&buf)
			if err != nil {
				t.Fatal(err)
			}
			for id, want := range tc.wantTexts {
				if got := doc.Find(`[data-testid="` + id + `"]`).Text(); got != want {
					t.Errorf("%s = %q, want %q", id, got, want)
				}
			}
			if got := doc.Find(`[data-testid="error-request-id"]`).Length() == 1; got != tc.wantID {
				t.Errorf("request id shown = %v, want %v", got, tc.wantID)
			}
			if doc.Find("script").Length() != 0 {
				t.Error("message was rendered as markup")
			}
		})
	}
}

func TestLayout(t *testing.T) {
	var buf bytes.Buffer
	body := ErrorPage(ErrorView{Status: 404, Title: "Not Found"})
	if err := Layout(LayoutView{Title: "Not Found", CSSURL: "/static/css/app.1.css"}, body).Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	doc, err := goquery.NewDocumentFromReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if got := doc.Find("title").Text(); got != "Not Found · newsintel" {
		t.Errorf("title %q", got)
	}
	if lang, _ := doc.Find("html").Attr("lang"); lang != "en" {
		t.Errorf("lang %q", lang)
	}
	if href, _ := doc.Find(`link[rel="stylesheet"]`).Attr("href"); href != "/static/css/app.1.css" {
		t.Errorf("stylesheet %q", href)
	}
	if doc.Find(`main [data-testid="error-page"]`).Length() != 1 {
		t.Error("body not inside main")
	}
}
