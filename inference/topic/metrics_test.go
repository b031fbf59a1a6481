package topic

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
)

func pred(label string, conf float64, scores map[string]float64) Prediction {
	return Prediction{Label: label, Confidence: conf, Scores: scores}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestEvaluate(t *testing.T) {
	type class struct{ p, r, f1 float64 }
	tests := []struct {
		name      string
		labels    []string
		gold      []string
		preds     []Prediction
		acc, f1   float64
		ece       float64
		logLoss   float64
		perClass  []class
		confusion string
	}{
		{
			name:   "two classes, one bin each",
			labels: []string{"A", "B"},
			gold:   []string{"A", "A", "B", "B"},
			preds: []Prediction{
				pred("A", 0.85, map[string]float64{"A": 0.85, "B": 0.15}),
				pred("B", 0.65, map[string]float64{"A": 0.35, "B": 0.65}),
				pred("B", 0.75, map[string]float64{"A": 0.25, "B": 0.75}),
				pred("A", 0.55, map[string]float64{"A": 0.55, "B": 0.45}),
			},
			acc: 0.5, f1: 0.5,
			// |1-.85| + |0-.65| + |1-.75| + |0-.55|, each a quarter.
			ece:       0.4,
			logLoss:   -(math.Log(0.85) + math.Log(0.35) + math.Log(0.75) + math.Log(0.45)) / 4,
			perClass:  []class{{0.5, 0.5, 0.5}, {0.5, 0.5, 0.5}},
			confusion: "[[1 1] [1 1]]",
		},
		{
			name:   "a class never predicted",
			labels: []string{"A", "B", "C"},
			gold:   []string{"A", "A", "A", "B", "C"},
			preds: []Prediction{
				pred("A", 0.95, nil), pred("A", 0.95, nil), pred("B", 0.95, nil), pred("B", 0.95, nil), pred("A", 0.95, nil),
			},
			acc: 0.6, f1: 4.0 / 9,
			ece: 0.35,
			// Without scores, a wrong prediction gives the gold label 1e-15.
			logLoss:   -(3*math.Log(0.95) + 2*math.Log(1e-15)) / 5,
			perClass:  []class{{2.0 / 3, 2.0 / 3, 2.0 / 3}, {0.5, 1, 2.0 / 3}, {0, 0, 0}},
			confusion: "[[2 1 0] [0 1 0] [1 0 0]]",
		},
		{
			name:   "all right and sure",
			labels: []string{"A", "B"},
			gold:   []string{"B", "A"},
			preds:  []Prediction{pred("B", 1, map[string]float64{"B": 1}), pred("A", 1, map[string]float64{"A": 1})},
			acc:    1, f1: 1, ece: 0, logLoss: 0,
			perClass:  []class{{1, 1, 1}, {1, 1, 1}},
			confusion: "[[1 0] [0 1]]",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := Evaluate(tt.labels, tt.gold, tt.preds)
			if m.N != len(tt.gold) || !near(m.Accuracy, tt.acc) || !near(m.MacroF1, tt.f1) || !near(m.ECE, tt.ece) || !near(m.LogLoss, tt.logLoss) {
				t.Errorf("got n %d acc %.6f macro-F1 %.6f ECE %.6f log loss %.6f; want acc %.6f macro-F1 %.6f ECE %.6f log loss %.6f",
					m.N, m.Accuracy, m.MacroF1, m.ECE, m.LogLoss, tt.acc, tt.f1, tt.ece, tt.logLoss)
			}
			for i, c := range tt.perClass {
				got := m.PerClass[i]
				if got.Label != tt.labels[i] || !near(got.Precision, c.p) || !near(got.Recall, c.r) || !near(got.F1, c.f1) {
					t.Errorf("class %s = %+v, want %+v", tt.labels[i], got, c)
				}
			}
			if got := fmt.Sprint(m.Confusion); got != tt.confusion {
				t.Errorf("confusion = %s, want %s", got, tt.confusion)
			}
			var n int
			for _, b := range m.Calibration {
				n += b.Count
			}
			if len(m.Calibration) != 10 || n != m.N {
				t.Errorf("%d calibration bins holding %d examples", len(m.Calibration), n)
			}
			raw, err := json.Marshal(m)
			if err != nil || !strings.Contains(string(raw), `"macro_f1":`) || !strings.Contains(string(raw), `"ece":`) {
				t.Errorf("JSON %s, %v", raw, err)
			}
			table := m.Table()
			for _, want := range append([]string{"accuracy", "macro-F1", "ECE", "confusion"}, tt.labels...) {
				if !strings.Contains(table, want) {
					t.Errorf("table lacks %q:\n%s", want, table)
				}
			}
		})
	}
}

func TestEvaluateUnknownLabel(t *testing.T) {
	m := Evaluate([]string{"A", "B"}, []string{"A", "Z"}, []Prediction{pred("A", 0.9, nil), pred("A", 0.9, nil)})
	if m.Unknown != 1 || m.Accuracy != 0.5 {
		t.Errorf("unknown %d accuracy %.2f, want 1 and 0.5", m.Unknown, m.Accuracy)
	}
}

func TestUncertaintyOf(t *testing.T) {
	tests := []struct {
		name                 string
		probs                []float64
		top, margin, entropy float64
	}{
		{"peaked", []float64{0.7, 0.2, 0.1}, 0.7, 0.5, -(0.7*math.Log(0.7) + 0.2*math.Log(0.2) + 0.1*math.Log(0.1)) / math.Log(3)},
		{"uniform", []float64{0.25, 0.25, 0.25, 0.25}, 0.25, 0, 1},
		{"one-hot", []float64{0, 1, 0}, 1, 1, 0},
		{"order does not matter", []float64{0.1, 0.2, 0.7}, 0.7, 0.5, -(0.7*math.Log(0.7) + 0.2*math.Log(0.2) + 0.1*math.Log(0.1)) / math.Log(3)},
		{"renormalised", []float64{2, 1, 1}, 0.5, 0.25, -(0.5*math.Log(0.5) + 0.5*math.Log(0.25)) / math.Log(3)},
		{"single label", []float64{1}, 1, 1, 0},
		{"empty", nil, 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := UncertaintyOf(tt.probs)
			if !near(u.Top, tt.top) || !near(u.Margin, tt.margin) || !near(u.Entropy, tt.entropy) {
				t.Errorf("UncertaintyOf(%v) = %+v, want top %.4f margin %.4f entropy %.4f", tt.probs, u, tt.top, tt.margin, tt.entropy)
			}
		})
	}
}
