package web

import (
	"net/http"
	"strings"
	"testing"

	"github.com/newsintel/newsintel/store"
)

// TestConsoleTaxonomyErrorSummary checks that the form's summary points at
// marked fields only when some field is marked.
func TestConsoleTaxonomyErrorSummary(t *testing.T) {
	a := newAdminConsole(t)
	c, csrf := a.as(t, store.RoleAdmin)
	empty := [3]string{"", "", ""}
	cases := []struct {
		name       string
		form       [][3]string
		taxonomy   string
		wantMarked bool
		wantText   string
	}{
		{"only a taxonomy-wide problem", [][3]string{{"Politics", "", ""}, empty, empty}, "desk", false, "at least 2 topics"},
		{"a field's problem", [][3]string{{"Politics", "", ""}, {"politics", "", ""}, empty}, "desk", true, "fields marked below"},
		{"a bad name", [][3]string{{"Politics", "", ""}, {"Culture", "", ""}, empty}, "Bad Name", true, "fields marked below"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, body := a.post(t, c, csrf, "/console/taxonomies", topicForm(tc.taxonomy, tc.form...))
			if res.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("status %d", res.StatusCode)
			}
			doc := adminDoc(t, body)
			summary := findTestID(doc, "flash-error").Text()
			marked := doc.Find(`[aria-invalid="true"]`).Length() > 0
			if marked != tc.wantMarked {
				t.Fatalf("fields marked: %v, want %v", marked, tc.wantMarked)
			}
			if !strings.Contains(summary, tc.wantText) {
				t.Errorf("summary %q lacks %q", summary, tc.wantText)
			}
			if says := strings.Contains(summary, "marked"); says != marked {
				t.Errorf("summary %q speaks of marked fields: %v; fields marked: %v", summary, says, marked)
			}
		})
	}
}
