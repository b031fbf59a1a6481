// Package spike finds bursts in a series of counts (articles per day or
// week) that an analyst can act on: each flagged bucket carries the count
// expected from its trailing window and the probability of seeing at least
// as many by chance.
//
// The test is one-sided against a Poisson baseline, widened to a negative
// binomial when the window varies more than a Poisson would, so that
// a naturally bursty topic does not flag every busy day. It stays quiet
// without enough history and on a past with no counts at all: "40 against
// nothing" is a new topic or a new feed, not a spike, and a test against a
// zero rate would call anything infinitely surprising.
package spike

import (
	"math"
)

// Config tunes the detector. The zero value is not usable; start from
// Default.
type Config struct {
	// Window is how many earlier buckets the baseline is taken from.
	Window int
	// MinHistory is how many observed buckets the window needs at least.
	MinHistory int
	// MinCount is the smallest count that may be a spike, so that 0→3 on a
	// quiet topic is not news.
	MinCount int
	// Alpha is the largest p-value flagged.
	Alpha float64
	// RateFloor is the least expected count per bucket: a prior that keeps
	// a window of nearly nothing from making small counts look impossible.
	RateFloor float64
}

// Default is the configuration the Trends page uses: four weeks of
// trailing days, one week of them at least, 5 articles at least and a
// one-in-a-thousand chance. The floor of one a bucket makes a topic that
// averages less need 6 to flag.
var Default = Config{Window: 28, MinHistory: 7, MinCount: 5, Alpha: 0.001, RateFloor: 1}

// Spike is one flagged bucket.
type Spike struct {
	Index int // into the series
	Count int
	// Expected is the baseline mean of the trailing window.
	Expected float64
	// P is the chance of a count at least this high under the baseline.
	P float64
}

// Detect flags the buckets of counts from index first on. Buckets before
// observed are an empty past (before any data exists) and never count as
// history; observed = 0 treats every bucket as observed. A flagged bucket
// is left out of later windows, so that one burst does not hide the next.
func Detect(counts []int, first, observed int, cfg Config) []Spike {
	var out []Spike
	flagged := make([]bool, len(counts))
	window := make([]float64, 0, cfg.Window)
	for i := max(first, 0); i < len(counts); i++ {
		window = window[:0]
		for j := i - 1; j >= max(observed, 0) && len(window) < cfg.Window; j-- {
			if !flagged[j] {
				window = append(window, float64(counts[j]))
			}
		}
		s, ok := Test(counts[i], window, cfg)
		if !ok {
			continue
		}
		s.Index = i
		flagged[i] = true
		out = append(out, s)
	}
	return out
}

// Test checks one count against a window of earlier counts. ok is false
// when the count is not a spike, including when the window is too short
// or holds only zeros.
func Test(count int, window []float64, cfg Config) (s Spike, ok bool) {
	if len(window) < cfg.MinHistory || count < cfg.MinCount {
		return s, false
	}
	mean, variance := meanVar(window)
	if mean == 0 {
		return s, false
	}
	m := math.Max(mean, cfg.RateFloor)
	p := PoissonUpper(count, m)
	// Overdispersed: a negative binomial with the window's variance
	// (method of moments), which is never less conservative.
	if variance > mean {
		size := mean * mean / (variance - mean)
		p = NegBinomialUpper(count, m, size)
	}
	if p > cfg.Alpha {
		return s, false
	}
	return Spike{Count: count, Expected: mean, P: p}, true
}

func meanVar(xs []float64) (mean, variance float64) {
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	if len(xs) < 2 {
		return mean, 0
	}
	for _, x := range xs {
		variance += (x - mean) * (x - mean)
	}
	return mean, variance / float64(len(xs)-1)
}

// PoissonUpper is P(X ≥ k) for X ~ Poisson(mean).
func PoissonUpper(k int, mean float64) float64 {
	if k <= 0 {
		return 1
	}
	if mean <= 0 {
		return 0
	}
	// log pmf(x) = x log m − m − log x!
	logPMF := func(x int) float64 {
		lg, _ := math.Lgamma(float64(x) + 1)
		return float64(x)*math.Log(mean) - mean - lg
	}
	return upperTail(k, mean, logPMF, func(x int) float64 { return mean / float64(x+1) })
}

// NegBinomialUpper is P(X ≥ k) for a negative binomial of the given mean
// and size (dispersion; variance = mean + mean²/size).
func NegBinomialUpper(k int, mean, size float64) float64 {
	if k <= 0 {
		return 1
	}
	if mean <= 0 {
		return 0
	}
	if size <= 0 || math.IsInf(size, 1) {
		return PoissonUpper(k, mean)
	}
	q := mean / (size + mean) // chance of a "success" per trial
	lgSize, _ := math.Lgamma(size)
	logPMF := func(x int) float64 {
		a, _ := math.Lgamma(float64(x) + size)
		b, _ := math.Lgamma(float64(x) + 1)
		return a - lgSize - b + size*math.Log1p(-q) + float64(x)*math.Log(q)
	}
	return upperTail(k, mean, logPMF, func(x int) float64 { return (float64(x) + size) / float64(x+1) * q })
}

// upperTail sums pmf(x) for x ≥ k: directly when k is past the mean,
// where the terms shrink, and as one minus the lower sum otherwise.
// ratio(x) is pmf(x+1)/pmf(x).
func upperTail(k int, mean float64, logPMF func(int) float64, ratio func(int) float64) float64 {
	if float64(k) <= mean {
		lower := 0.0
		for x := range k {
			lower += math.Exp(logPMF(x))
		}
		return math.Min(1, math.Max(0, 1-lower))
	}
	term := math.Exp(logPMF(k))
	sum := term
	for x := k; term > sum*1e-15 && x < k+100000; x++ {
		term *= ratio(x)
		sum += term
	}
	return math.Min(1, sum)
}
