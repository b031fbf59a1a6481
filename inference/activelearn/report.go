package activelearn

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
)

// Summary is a strategy's learning curve averaged over its runs.
type Summary struct {
	Strategy string `json:"strategy"`
	Runs     int    `json:"runs"`
	// Labeled[i] labels gave the mean dev accuracy Accuracy[i] (and
	// MacroF1[i]); Min and Max are the range over the runs.
	Labeled  []int     `json:"labeled"`
	Accuracy []float64 `json:"accuracy"`
	MacroF1  []float64 `json:"macro_f1"`
	Min      []float64 `json:"min"`
	Max      []float64 `json:"max"`
}

// Summarize averages the curves of each strategy, point by point, in the
// order the strategies first appear. Curves of one strategy must have the
// same label counts (same seed size and batch); a shorter curve (the pool
// ran out) cuts the summary to its length.
func Summarize(curves []Curve) ([]Summary, error) {
	var order []string
	by := map[string][]Curve{}
	for _, c := range curves {
		if _, ok := by[c.Strategy]; !ok {
			order = append(order, c.Strategy)
		}
		by[c.Strategy] = append(by[c.Strategy], c)
	}
	var out []Summary
	for _, name := range order {
		cs := by[name]
		n := len(cs[0].Points)
		for _, c := range cs {
			n = min(n, len(c.Points))
		}
		s := Summary{Strategy: name, Runs: len(cs)}
		for i := range n {
			lab := cs[0].Points[i].Labeled
			var acc, f1 float64
			lo, hi := math.Inf(1), math.Inf(-1)
			for _, c := range cs {
				p := c.Points[i]
				if p.Labeled != lab {
					return nil, fmt.Errorf("activelearn: %s runs disagree on the labels of round %d (%d vs %d)", name, i, p.Labeled, lab)
				}
				acc += p.Accuracy
				f1 += p.MacroF1
				lo, hi = min(lo, p.Accuracy), max(hi, p.Accuracy)
			}
			s.Labeled = append(s.Labeled, lab)
			s.Accuracy = append(s.Accuracy, acc/float64(len(cs)))
			s.MacroF1 = append(s.MacroF1, f1/float64(len(cs)))
			s.Min, s.Max = append(s.Min, lo), append(s.Max, hi)
		}
		out = append(out, s)
	}
	return out, nil
}

// LabelsToReach is the fewest labels at which the mean accuracy reaches
// target, counting the seed set; ok is false when no round did. The
// answer moves in steps of the batch size.
func (s Summary) LabelsToReach(target float64) (labels int, ok bool) {
	for i, a := range s.Accuracy {
		if a >= target {
			return s.Labeled[i], true
		}
	}
	return 0, false
}

// LabelsToStay is the fewest labels from which the mean accuracy stays at
// or above target in every later round run; ok is false when the last
// round is below it. A mean over a few seeds wobbles by about half a
// point from round to round, so a curve that creeps up to the target
// first touches it, by chance, well before it holds there; the first
// touch (LabelsToReach) rewards the noisier curve.
func (s Summary) LabelsToStay(target float64) (labels int, ok bool) {
	i := len(s.Accuracy)
	for i > 0 && s.Accuracy[i-1] >= target {
		i--
	}
	if i == len(s.Accuracy) {
		return 0, false
	}
	return s.Labeled[i], true
}

// Comparison is the headline of a benchmark: for each strategy, the labels
// needed to reach Fraction of the full-data accuracy, against random's.
type Comparison struct {
	FullAccuracy float64   `json:"full_accuracy"`
	Fraction     float64   `json:"fraction"`
	Target       float64   `json:"target"`
	Rows         []CompRow `json:"rows"`
}

// CompRow is one strategy's line of a Comparison. Labels is 0 and Reached
// false when the strategy did not reach the target within the rounds run;
// Ratio is Labels over random's, 0 when either did not reach it.
type CompRow struct {
	Strategy string  `json:"strategy"`
	Labels   int     `json:"labels"`
	Reached  bool    `json:"reached"`
	Ratio    float64 `json:"ratio_to_random"`
	// Stay, StayReached and StayRatio are the same for LabelsToStay.
	Stay        int     `json:"labels_to_stay"`
	StayReached bool    `json:"stays"`
	StayRatio   float64 `json:"stay_ratio_to_random"`
	// Final is the mean accuracy after the last round, at FinalLabels.
	Final       float64 `json:"final_accuracy"`
	FinalLabels int     `json:"final_labels"`
}

// Compare builds the comparison of sums against the Random summary.
func Compare(sums []Summary, full, fraction float64) Comparison {
	c := Comparison{FullAccuracy: full, Fraction: fraction, Target: full * fraction}
	randLabels, randOK, randStay, randStays := 0, false, 0, false
	for _, s := range sums {
		if s.Strategy == Random {
			randLabels, randOK = s.LabelsToReach(c.Target)
			randStay, randStays = s.LabelsToStay(c.Target)
		}
	}
	for _, s := range sums {
		r := CompRow{Strategy: s.Strategy}
		r.Labels, r.Reached = s.LabelsToReach(c.Target)
		if r.Reached && randOK {
			r.Ratio = float64(r.Labels) / float64(randLabels)
		}
		r.Stay, r.StayReached = s.LabelsToStay(c.Target)
		if r.StayReached && randStays {
			r.StayRatio = float64(r.Stay) / float64(randStay)
		}
		if n := len(s.Accuracy); n > 0 {
			r.Final, r.FinalLabels = s.Accuracy[n-1], s.Labeled[n-1]
		}
		c.Rows = append(c.Rows, r)
	}
	return c
}

// Markdown writes the comparison as a markdown table.
func (c Comparison) Markdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Full-data accuracy %.4f; target %.0f%% of it: %.4f.\n\n", c.FullAccuracy, 100*c.Fraction, c.Target)
	b.WriteString("| strategy | labels to reach | × random | labels to stay | × random | accuracy at the last round |\n|---|---:|---:|---:|---:|---:|\n")
	cells := func(labels int, ok bool, ratio float64, missing string) (string, string) {
		switch {
		case !ok:
			return missing, "—"
		case ratio > 0:
			return fmt.Sprint(labels), fmt.Sprintf("%.2f", ratio)
		default:
			return fmt.Sprint(labels), "—"
		}
	}
	for _, r := range c.Rows {
		reach, reachRatio := cells(r.Labels, r.Reached, r.Ratio, "not reached")
		stay, stayRatio := cells(r.Stay, r.StayReached, r.StayRatio, "below at the end")
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %.4f (%d labels) |\n", r.Strategy, reach, reachRatio, stay, stayRatio, r.Final, r.FinalLabels)
	}
	b.WriteString("\nTo reach: the first round whose mean accuracy is at the target. To stay: the first from which every later round's is.\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// CurveMarkdown writes the mean accuracy of every strategy per label
// count as a markdown table, one row per round.
func CurveMarkdown(w io.Writer, sums []Summary) error {
	if len(sums) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString("| labels |")
	for _, s := range sums {
		fmt.Fprintf(&b, " %s |", s.Strategy)
	}
	b.WriteString("\n|---:|" + strings.Repeat("---:|", len(sums)) + "\n")
	n := slices.MaxFunc(sums, func(a, b Summary) int { return len(a.Labeled) - len(b.Labeled) })
	for i, lab := range n.Labeled {
		fmt.Fprintf(&b, "| %d |", lab)
		for _, s := range sums {
			if i < len(s.Accuracy) && s.Labeled[i] == lab {
				fmt.Fprintf(&b, " %.4f |", s.Accuracy[i])
			} else {
				b.WriteString(" |")
			}
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
