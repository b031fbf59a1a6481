package web

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/newsintel/newsintel/inference/finetune"
	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/views"
)

// The candidate beside the active version, metric by metric. A change is
// shown only where both scores are on the same examples: the gate's
// evaluation sets of one run that scored both versions, or the frozen
// set (a seeded split of the base data) scored by different runs when
// its size matches. Each version's own dev split differs between
// versions, so its rows have no change.

// sameExamplesTolerance is below the precision shown (three decimals):
// smaller changes read as none.
const sameExamplesTolerance = 0.0005

// compareVersions builds the comparison; active is nil when no version is
// active.
func compareVersions(active *store.ModelVersion, cand store.ModelVersion, gate gateVerdict, runs []store.TrainingRun) views.ModelCompareView {
	v := views.ModelCompareView{Candidate: cand.Version}
	if active != nil {
		v.Active = active.Version
	}
	var a, c *finetune.VersionMetrics
	if active != nil {
		a, c = pairedEval(active.Version, cand.Version, gate, runs)
	}
	// Only one run's human sets are the same examples for both.
	paired := a != nil && a.Human != nil && c.Human != nil
	if a == nil {
		c = evalOf(cand.Version, gate, runs)
		if active != nil {
			a = evalOf(active.Version, gate, runs)
		}
	}
	var af, cf, ah, ch *finetune.Summary
	if a != nil {
		af = &a.Frozen
		if paired {
			ah = a.Human
		}
	}
	if c != nil {
		cf = &c.Frozen
		if paired {
			ch = c.Human
		}
	}
	labels := cand.Labels
	if active != nil {
		for _, l := range active.Labels {
			if !slices.Contains(labels, l) {
				labels = append(slices.Clone(labels), l)
			}
		}
	}
	if af != nil || cf != nil {
		v.Rows = append(v.Rows, setRows("frozen", "frozen eval", af, cf, labels)...)
	}
	if ah != nil && ch != nil {
		v.Rows = append(v.Rows, setRows("human", "held-out human labels", ah, ch, labels)...)
	}
	v.Rows = append(v.Rows, ownRows(active, cand)...)
	return v
}

// pairedEval finds a run that scored both versions on the same sets: the
// run that made the candidate when it compared with the active version,
// else the newest run that compared the two either way round.
func pairedEval(active, cand string, gate gateVerdict, runs []store.TrainingRun) (a, c *finetune.VersionMetrics) {
	try := func(g gateMetrics) bool {
		switch {
		case g.Current.Version == active && g.Candidate.Version == cand:
			a, c = g.Current, g.Candidate
		case g.Current.Version == cand && g.Candidate.Version == active:
			a, c = g.Candidate, g.Current
		default:
			return false
		}
		return true
	}
	if gate.Run != nil && try(gate.Metrics) {
		return a, c
	}
	for _, r := range runs {
		if g, ok := runGateMetrics(r.Metrics); ok && try(g) {
			return a, c
		}
	}
	return nil, nil
}

// evalOf is version's score on the gate's sets from the candidate's run
// or else the newest run that scored it. Only its frozen score is
// comparable across runs: the human set is the newest labels of each.
func evalOf(version string, gate gateVerdict, runs []store.TrainingRun) *finetune.VersionMetrics {
	pick := func(g gateMetrics) *finetune.VersionMetrics {
		for _, m := range []*finetune.VersionMetrics{g.Candidate, g.Current} {
			if m.Version == version {
				return m
			}
		}
		return nil
	}
	if gate.Run != nil {
		if m := pick(gate.Metrics); m != nil {
			return m
		}
	}
	for _, r := range runs {
		if g, ok := runGateMetrics(r.Metrics); ok {
			if m := pick(g); m != nil {
				return m
			}
		}
	}
	return nil
}

// setRows compares two scores on one of the gate's sets (either may be
// missing): accuracy, macro-F1, then each topic's F1 when stored.
func setRows(key, set string, a, c *finetune.Summary, labels []string) []views.CompareRow {
	same := a != nil && c != nil && a.N == c.N
	label := set
	switch {
	case same:
		label = fmt.Sprintf("%s (%d examples)", set, a.N)
	case a != nil && c != nil:
		label = fmt.Sprintf("%s (%d / %d examples)", set, a.N, c.N)
	}
	get := func(s *finetune.Summary, f func(finetune.Summary) (float64, bool)) *float64 {
		if s == nil {
			return nil
		}
		if x, ok := f(*s); ok {
			return &x
		}
		return nil
	}
	rows := []views.CompareRow{
		compareRow(key+"-accuracy", "Accuracy", label, get(a, func(s finetune.Summary) (float64, bool) { return s.Accuracy, true }),
			get(c, func(s finetune.Summary) (float64, bool) { return s.Accuracy, true }), same),
		compareRow(key+"-macro_f1", "Macro-F1", label, get(a, func(s finetune.Summary) (float64, bool) { return s.MacroF1, true }),
			get(c, func(s finetune.Summary) (float64, bool) { return s.MacroF1, true }), same),
	}
	for _, l := range labels {
		f1 := func(s finetune.Summary) (float64, bool) { x, ok := s.PerTopicF1[l]; return x, ok }
		av, cv := get(a, f1), get(c, f1)
		if av == nil && cv == nil {
			continue
		}
		rows = append(rows, compareRow(key+"-f1-"+l, "F1: "+l, label, av, cv, same))
	}
	return rows
}

// ownRows shows each version's score on its own dev split, by set name.
func ownRows(active *store.ModelVersion, cand store.ModelVersion) []views.CompareRow {
	byName := func(ms []views.MetricView) map[string]views.MetricView {
		out := map[string]views.MetricView{}
		for _, m := range ms {
			out[m.Set] = m
		}
		return out
	}
	cs, as := byName(metricSets(cand.Metrics)), map[string]views.MetricView{}
	if active != nil {
		as = byName(metricSets(active.Metrics))
	}
	var names []string
	for n := range cs {
		names = append(names, n)
	}
	for n := range as {
		if _, ok := cs[n]; !ok {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	var rows []views.CompareRow
	for _, n := range names {
		am, cm := as[n], cs[n]
		set := "own " + n + " split"
		note := "not the same examples"
		rows = append(rows,
			views.CompareRow{Key: "own-" + n + "-accuracy", Metric: "Accuracy", Set: set, Active: orDash(am.Accuracy), Candidate: orDash(cm.Accuracy), Note: note},
			views.CompareRow{Key: "own-" + n + "-macro_f1", Metric: "Macro-F1", Set: set, Active: orDash(am.MacroF1), Candidate: orDash(cm.MacroF1), Note: note})
	}
	return rows
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// compareRow formats one metric; same says both are on the same examples.
func compareRow(key, metric, set string, a, c *float64, same bool) views.CompareRow {
	f := func(p *float64) string {
		if p == nil {
			return "—"
		}
		return strconv.FormatFloat(*p, 'f', 3, 64)
	}
	r := views.CompareRow{Key: key, Metric: metric, Set: set, Active: f(a), Candidate: f(c)}
	switch {
	case a == nil || c == nil:
		r.Note = "—"
	case !same:
		r.Note = "not the same examples"
	default:
		d := *c - *a
		switch {
		case math.Abs(d) < sameExamplesTolerance:
			r.Trend, d = "same", 0
		case d > 0:
			r.Trend = "up"
		default:
			r.Trend = "down"
		}
		r.Delta = signed(d, 3)
	}
	return r
}
