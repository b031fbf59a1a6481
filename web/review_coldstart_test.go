package web

import (
	"net/http"
	"strings"
	"testing"

	"github.com/newsintel/newsintel/inference/classify"
)

// The diagnostic names how claims pick, and a diversity claim in the
// served model's cold start picks by coverage.
func TestClaimPickFollowsColdStart(t *testing.T) {
	tests := []struct {
		name      string
		strategy  string
		coldStart func() bool
		want      string
	}{
		{"uncertainty strategy", classify.Margin, func() bool { return true }, "priority"},
		{"diversity", classify.Diversity, func() bool { return false }, "diversity"},
		{"diversity, no cold-start probe", classify.Diversity, nil, "diversity"},
		{"diversity in the cold start", classify.Diversity, func() bool { return true }, "coverage"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := reviewServer(t, 4)
			s.cfg.Review = classify.ReviewRule{Strategy: tt.strategy, Threshold: 0.2}
			s.coldStart = tt.coldStart
			h := jsonHeader(oldKey)
			rec := s.do(t, http.MethodGet, "/review/active-learning", nil, h)
			if rec.Code != http.StatusOK {
				t.Fatalf("%d %s", rec.Code, rec.Body)
			}
			if al := decodeTo[ActiveLearningJSON](t, rec.Body.Bytes()); al.Pick != tt.want {
				t.Fatalf("pick %q, want %q", al.Pick, tt.want)
			}
			// Whatever the pick, a claim hands out what was asked for.
			rec = s.do(t, http.MethodPost, "/review/claim", strings.NewReader(`{"n":3,"reviewer":"a@x.org"}`), h)
			if rec.Code != http.StatusOK {
				t.Fatalf("claim: %d %s", rec.Code, rec.Body)
			}
			if got := decodeTo[ClaimResponse](t, rec.Body.Bytes()); len(got.Items) != 3 {
				t.Fatalf("claimed %d items, want 3", len(got.Items))
			}
		})
	}
}
