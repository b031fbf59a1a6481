package web

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestTaxonomyAPI(t *testing.T) {
	s := newTestServer(t, testConfig())
	h := keyHeader(newKey)
	h.Set("Content-Type", "application/json")
	body := `{"topics":[{"name":"Markets","description":"stocks and bonds","examples":["Shares fell."]},{"name":"Climate"}]}`

	steps := []struct {
		name, method, path, body string
		status                   int
		check                    func(t *testing.T, body string)
	}{
		{"create", "PUT", "/taxonomies/desk", body, 201, func(t *testing.T, b string) {
			var got TaxonomyJSON
			json.Unmarshal([]byte(b), &got)
			if got.Name != "desk" || len(got.Topics) != 2 || got.Topics[1].Examples == nil || got.CreatedAt == nil {
				t.Fatalf("created %s", b)
			}
		}},
		{"replace", "PUT", "/taxonomies/desk", `{"topics":[{"name":"A"},{"name":"B"},{"name":"C"}]}`, 200, nil},
		{"get", "GET", "/taxonomies/desk", "", 200, func(t *testing.T, b string) {
			if !strings.Contains(b, `"name":"C"`) || strings.Contains(b, "Markets") {
				t.Fatalf("after replace: %s", b)
			}
		}},
		{"list", "GET", "/taxonomies", "", 200, func(t *testing.T, b string) {
			if !strings.Contains(b, `"taxonomies":[{"name":"desk"`) {
				t.Fatalf("list: %s", b)
			}
		}},
		{"invalid name", "PUT", "/taxonomies/Bad%20Name", body, 422, func(t *testing.T, b string) {
			if !strings.Contains(b, `"field":"name"`) {
				t.Fatalf("%s", b)
			}
		}},
		{"duplicate topics", "PUT", "/taxonomies/x", `{"topics":[{"name":"A"},{"name":"a"}]}`, 422, func(t *testing.T, b string) {
			if !strings.Contains(b, `"field":"topics[1].name"`) {
				t.Fatalf("%s", b)
			}
		}},
		{"wrong type", "PUT", "/taxonomies/x", `{"topics":[{"name":1}]}`, 422, nil},
		{"delete", "DELETE", "/taxonomies/desk", "", 204, nil},
		{"gone", "GET", "/taxonomies/desk", "", 404, nil},
		{"delete again", "DELETE", "/taxonomies/desk", "", 404, nil},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			rec := s.do(t, st.method, st.path, strings.NewReader(st.body), h)
			if rec.Code != st.status {
				t.Fatalf("%s %s: %d, want %d: %s", st.method, st.path, rec.Code, st.status, rec.Body)
			}
			if st.check != nil {
				st.check(t, rec.Body.String())
			}
		})
	}
}
