package classify

import (
	"testing"

	"github.com/newsintel/newsintel/inference/topic"
)

func TestServiceColdStart(t *testing.T) {
	labels := []string{"World", "Sports", "Business", "Sci/Tech"}
	tests := []struct {
		name     string
		training *topic.Training
		want     bool
	}{
		{"no training record (built-in)", nil, false},
		{"a seed set of 8", &topic.Training{Train: 4, Dev: 4}, true},
		{"8 per topic", &topic.Training{Train: 28, Dev: 4}, true},
		{"one short of 16 per topic", &topic.Training{Train: 57, Dev: 6}, true},
		{"16 per topic", &topic.Training{Train: 58, Dev: 6}, false},
		{"the full data", &topic.Training{Train: 15952, Dev: 1773}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &topic.Model{Meta: topic.Meta{Labels: labels, Training: tt.training}}
			if got := New(nil, m, nil, nil).ColdStart(); got != tt.want {
				t.Fatalf("ColdStart() = %v, want %v", got, tt.want)
			}
		})
	}
}
