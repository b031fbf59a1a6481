package topic

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
)

// ClassMetrics are one label's scores.
type ClassMetrics struct {
	Label     string  `json:"label"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	Support   int     `json:"support"`
}

// CalibrationBin is one confidence bin of the reliability diagram.
type CalibrationBin struct {
	Lo         float64 `json:"lo"`
	Hi         float64 `json:"hi"`
	Count      int     `json:"count"`
	Confidence float64 `json:"mean_confidence"`
	Accuracy   float64 `json:"accuracy"`
}

// Metrics summarise predictions against gold labels.
type Metrics struct {
	N        int     `json:"n"`
	Accuracy float64 `json:"accuracy"`
	MacroF1  float64 `json:"macro_f1"`
	// LogLoss is the mean negative log probability of the gold label
	// (probabilities floored at 1e-15).
	LogLoss float64 `json:"log_loss"`
	// ECE is the expected calibration error of the top probability over
	// ten equal-width bins.
	ECE      float64        `json:"ece"`
	Labels   []string       `json:"labels"`
	PerClass []ClassMetrics `json:"per_class"`
	// Confusion[i][j] counts examples of label i predicted as label j.
	Confusion   [][]int          `json:"confusion"`
	Calibration []CalibrationBin `json:"calibration"`
	// Unknown counts gold labels outside Labels; they count as errors.
	Unknown int `json:"unknown_labels,omitempty"`
}

// eceBins is the number of calibration bins.
const eceBins = 10

// Evaluate scores predictions against gold labels. labels fixes the order
// of the per-class rows and of the confusion matrix; each prediction's
// Confidence is its top probability, and Scores, when set, give the
// probability of the gold label for the log loss.
func Evaluate(labels, gold []string, preds []Prediction) Metrics {
	if len(gold) != len(preds) {
		panic(fmt.Sprintf("topic: Evaluate: %d gold labels for %d predictions", len(gold), len(preds)))
	}
	idx := map[string]int{}
	for i, l := range labels {
		idx[l] = i
	}
	K := len(labels)
	m := Metrics{N: len(gold), Labels: slices.Clone(labels), Confusion: make([][]int, K)}
	for i := range m.Confusion {
		m.Confusion[i] = make([]int, K)
	}
	bins := make([]CalibrationBin, eceBins)
	for b := range bins {
		bins[b].Lo, bins[b].Hi = float64(b)/eceBins, float64(b+1)/eceBins
	}
	correct := 0
	predCount := make([]int, K)
	var logLoss float64
	for i, g := range gold {
		p := preds[i]
		ok := p.Label == g
		if ok {
			correct++
		}
		gi, known := idx[g]
		pi, predKnown := idx[p.Label]
		if !known {
			m.Unknown++
		} else if predKnown {
			m.Confusion[gi][pi]++
		}
		if predKnown {
			predCount[pi]++
		}
		pg := 0.0
		if p.Scores != nil {
			pg = p.Scores[g]
		} else if ok {
			pg = p.Confidence
		}
		logLoss -= math.Log(math.Max(pg, 1e-15))
		b := min(int(math.Ceil(p.Confidence*eceBins))-1, eceBins-1)
		b = max(b, 0)
		bins[b].Count++
		bins[b].Confidence += p.Confidence
		if ok {
			bins[b].Accuracy++
		}
	}
	if m.N == 0 {
		return m
	}
	m.Accuracy = float64(correct) / float64(m.N)
	m.LogLoss = logLoss / float64(m.N)
	for b := range bins {
		if n := bins[b].Count; n > 0 {
			bins[b].Confidence /= float64(n)
			bins[b].Accuracy /= float64(n)
			m.ECE += float64(n) / float64(m.N) * math.Abs(bins[b].Accuracy-bins[b].Confidence)
		}
	}
	m.Calibration = bins
	for k, l := range labels {
		tp := m.Confusion[k][k]
		support := 0
		for _, c := range m.Confusion[k] {
			support += c
		}
		// Gold examples of this label whose prediction is outside labels.
		for i, g := range gold {
			if g == l {
				if _, ok := idx[preds[i].Label]; !ok {
					support++
				}
			}
		}
		cm := ClassMetrics{Label: l, Support: support}
		if predCount[k] > 0 {
			cm.Precision = float64(tp) / float64(predCount[k])
		}
		if support > 0 {
			cm.Recall = float64(tp) / float64(support)
		}
		if cm.Precision+cm.Recall > 0 {
			cm.F1 = 2 * cm.Precision * cm.Recall / (cm.Precision + cm.Recall)
		}
		m.PerClass = append(m.PerClass, cm)
		m.MacroF1 += cm.F1
	}
	if K > 0 {
		m.MacroF1 /= float64(K)
	}
	return m
}

// Table formats the metrics as plain text: the summary, the per-class
// scores and the confusion matrix.
func (m Metrics) Table() string {
	var b strings.Builder
	fmt.Fprintf(&b, "examples  %d\naccuracy  %.4f\nmacro-F1  %.4f\nlog loss  %.4f\nECE       %.4f (%d bins)\n", m.N, m.Accuracy, m.MacroF1, m.LogLoss, m.ECE, eceBins)
	if m.Unknown > 0 {
		fmt.Fprintf(&b, "unknown   %d gold labels not in the model\n", m.Unknown)
	}
	b.WriteString("\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "label\tprecision\trecall\tF1\tsupport\t")
	for _, c := range m.PerClass {
		fmt.Fprintf(tw, "%s\t%.4f\t%.4f\t%.4f\t%d\t\n", c.Label, c.Precision, c.Recall, c.F1, c.Support)
	}
	tw.Flush()
	b.WriteString("\nconfusion (rows: gold, columns: predicted)\n")
	tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "\t")
	for _, l := range m.Labels {
		fmt.Fprintf(tw, "%s\t", l)
	}
	fmt.Fprintln(tw)
	for i, row := range m.Confusion {
		fmt.Fprintf(tw, "%s\t", m.Labels[i])
		for _, c := range row {
			fmt.Fprintf(tw, "%d\t", c)
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
	return b.String()
}

// Uncertainty describes how sure a score vector is.
type Uncertainty struct {
	// Top is the largest probability.
	Top float64 `json:"top"`
	// Margin is the largest probability minus the second largest.
	Margin float64 `json:"margin"`
	// Entropy is the Shannon entropy divided by ln(K): 0 for a one-hot
	// vector, 1 for the uniform distribution.
	Entropy float64 `json:"entropy"`
}

// UncertaintyOf measures a probability vector (it is renormalised to sum
// to 1; negative entries count as 0).
func UncertaintyOf(probs []float64) Uncertainty {
	var sum float64
	for _, p := range probs {
		sum += max(p, 0)
	}
	if len(probs) == 0 || sum == 0 {
		return Uncertainty{}
	}
	var u Uncertainty
	top, second := 0.0, 0.0
	for _, p := range probs {
		p = max(p, 0) / sum
		if p > top {
			top, second = p, top
		} else if p > second {
			second = p
		}
		if p > 0 {
			u.Entropy -= p * math.Log(p)
		}
	}
	u.Top, u.Margin = top, top-second
	if len(probs) > 1 {
		u.Entropy /= math.Log(float64(len(probs)))
	} else {
		u.Entropy = 0
	}
	return u
}
