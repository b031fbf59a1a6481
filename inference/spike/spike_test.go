package spike

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestPoissonUpper(t *testing.T) {
	for _, tc := range []struct {
		k    int
		mean float64
		want float64
	}{
		{0, 3, 1},
		{1, 2, 1 - math.Exp(-2)},
		{3, 1, 1 - math.Exp(-1)*(1+1+0.5)},
		{12, 2, 1.364615e-6}, // P(X ≥ 12 | 2), summed exactly
		{5, 10, 0.970747},
	} {
		if got := PoissonUpper(tc.k, tc.mean); math.Abs(got-tc.want) > 1e-4*math.Max(tc.want, 1e-6) && math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("P(X ≥ %d | %g) = %g, want %g", tc.k, tc.mean, got, tc.want)
		}
	}
	// A negative binomial of huge size is the Poisson; a small size has a
	// fatter tail.
	if p, nb := PoissonUpper(15, 5), NegBinomialUpper(15, 5, 1e7); math.Abs(p-nb) > 1e-6 {
		t.Errorf("Poisson %g vs NB(size 1e7) %g", p, nb)
	}
	if p, nb := PoissonUpper(15, 5), NegBinomialUpper(15, 5, 2); nb <= p {
		t.Errorf("NB(size 2) tail %g not fatter than Poisson %g", nb, p)
	}
}

func TestDetect(t *testing.T) {
	flat := func(n, v int) []int {
		out := make([]int, n)
		for i := range out {
			out[i] = v
		}
		return out
	}
	with := func(xs []int, i, v int) []int { xs[i] = v; return xs }
	for _, tc := range []struct {
		name     string
		counts   []int
		first    int
		observed int
		want     []int // flagged indexes
	}{
		{"burst after a steady past", with(flat(30, 5), 20, 45), 0, 0, []int{20}},
		{"steady", flat(30, 5), 0, 0, nil},
		{"zero past: a new topic, not a spike", with(flat(30, 0), 25, 40), 0, 0, nil},
		{"empty past: before the data begins", with(flat(30, 5), 10, 45), 0, 5, nil},
		{"enough history once the data begins", with(flat(30, 5), 20, 45), 0, 5, []int{20}},
		{"too little history", with(flat(10, 5), 5, 45), 0, 0, nil},
		{"below the minimum count", with(flat(30, 0), 20, 4), 0, 0, nil},
		{"a small rate is floored", with(with(flat(30, 0), 3, 1), 20, 5), 0, 0, nil},
		{"before first is history only", with(flat(30, 5), 8, 45), 10, 0, nil},
		{"one burst does not hide the next", with(with(flat(40, 5), 20, 45), 22, 45), 0, 0, []int{20, 22}},
		{"everything today after nothing (the old z-score's 229)", with(flat(60, 0), 59, 229), 0, 0, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Detect(tc.counts, tc.first, tc.observed, Default)
			var idx []int
			for _, s := range got {
				idx = append(idx, s.Index)
				if s.P > Default.Alpha || s.Expected <= 0 || s.Count != tc.counts[s.Index] {
					t.Errorf("spike %+v", s)
				}
			}
			if len(idx) != len(tc.want) {
				t.Fatalf("flagged %v, want %v", idx, tc.want)
			}
			for i := range idx {
				if idx[i] != tc.want[i] {
					t.Fatalf("flagged %v, want %v", idx, tc.want)
				}
			}
		})
	}
}

// poisson draws from Poisson(mean) by Knuth's method (small means).
func poisson(r *rand.Rand, mean float64) int {
	l, k, p := math.Exp(-mean), 0, 1.0
	for {
		p *= r.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

// TestDetectRates measures the detector over 1,000 seeded synthetic
// series of 60 days at about 5 a day: how often it finds a planted burst
// of +40 on one day, and how often it flags a day of flat noise.
func TestDetectRates(t *testing.T) {
	const (
		series = 1000
		days   = 60
		base   = 5.0
		burst  = 40
	)
	var hits, alarms, tested int
	r := rand.New(rand.NewPCG(13, 2026))
	for range series {
		// Flat noise: every day tested once history allows.
		counts := make([]int, days)
		for i := range counts {
			counts[i] = poisson(r, base)
		}
		alarms += len(Detect(counts, 0, 0, Default))
		tested += days - Default.MinHistory
		// The same kind of series with one burst after at least a week.
		burstDay := Default.MinHistory + r.IntN(days-Default.MinHistory)
		planted := make([]int, days)
		for i := range planted {
			planted[i] = poisson(r, base)
		}
		planted[burstDay] += burst
		for _, s := range Detect(planted, 0, 0, Default) {
			if s.Index == burstDay {
				hits++
			}
		}
	}
	hitRate := float64(hits) / series
	falseAlarmRate := float64(alarms) / float64(tested)
	t.Logf("planted bursts of +%d over Poisson(%g): hit rate %.3f (%d of %d series)", burst, base, hitRate, hits, series)
	t.Logf("flat Poisson(%g) noise: false-alarm rate %.5f per series-day (%d alarms in %d series-days)", base, falseAlarmRate, alarms, tested)
	if hitRate < 0.9 {
		t.Errorf("hit rate %.3f, want ≥ 0.9", hitRate)
	}
	if falseAlarmRate > 0.01 {
		t.Errorf("false-alarm rate %.5f, want ≤ 0.01", falseAlarmRate)
	}
}
