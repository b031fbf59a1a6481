package views

import (
	"bytes"
	"context"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"
)

func TestLayoutOnNarrowScreens(t *testing.T) {
	cases := []struct {
		name     string
		user     *UserView
		wantMenu bool
	}{
		{"logged in", &UserView{Email: "a@example.com", Role: "admin"}, true},
		{"anonymous", nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := LayoutView{Title: "Review", CSSURL: "/static/app.css", User: tc.user,
				Nav: []NavItem{{Label: "Review", URL: "/console/review", TestID: "nav-review", Active: true}, {Label: "Trends", URL: "/console/trends", TestID: "nav-trends"}}}
			var buf bytes.Buffer
			if err := Layout(v, templ.NopComponent).Render(context.Background(), &buf); err != nil {
				t.Fatal(err)
			}
			doc, err := goquery.NewDocumentFromReader(&buf)
			if err != nil {
				t.Fatal(err)
			}
			// Phones lay the page out at their own width only when asked.
			if got, _ := doc.Find(`head meta[name="viewport"]`).Attr("content"); got != "width=device-width, initial-scale=1" {
				t.Errorf("viewport meta %q", got)
			}
			// The links sit in a <details> whose <summary> is the Menu
			// button, so it opens without script and by keyboard.
			toggle := doc.Find(`[data-testid="sidebar"] details[data-testid="sidebar-menu"] > summary[data-testid="menu-toggle"]`)
			links := doc.Find(`[data-testid="sidebar-menu"] a[data-testid^="nav-"]`)
			if got := toggle.Length() == 1 && links.Length() == 2; got != tc.wantMenu {
				t.Errorf("menu toggle %d, links inside it %d; want a menu: %v", toggle.Length(), links.Length(), tc.wantMenu)
			}
		})
	}
}
