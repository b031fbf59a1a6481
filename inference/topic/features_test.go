package topic

import (
	"math"
	"testing"
)

func TestHashingFeatures(t *testing.T) {
	shared := func(h Hashing, a, b string) int {
		fa, fb := h.featurize(a, nil), h.featurize(b, nil)
		in := map[int32]bool{}
		for _, i := range fa.Idx {
			in[i] = true
		}
		n := 0
		for _, i := range fb.Idx {
			if in[i] {
				n++
			}
		}
		return n
	}
	words := Hashing{Bits: 20, Bigrams: true}
	chars := Hashing{Bits: 20, Bigrams: true, Chars: 5}
	if n := shared(words, "acquisition talks", "acquires rival"); n != 0 {
		t.Errorf("words+bigrams: %d shared features between unrelated words", n)
	}
	// <ac, acq, acqu, <acq, <acqu: the shared prefix gives char n-grams in common.
	if n := shared(chars, "acquisition talks", "acquires rival"); n < 5 {
		t.Errorf("char n-grams: %d shared features, want at least 5", n)
	}
	tri := Hashing{Bits: 20, Bigrams: true, Trigrams: true}
	// Three words: 3 unigrams, 2 bigrams, 1 trigram (no collision at 2^20).
	if n := len(tri.featurize("oil prices rise", nil).Idx); n != 6 {
		t.Errorf("words+bigrams+trigrams of three words: %d features, want 6", n)
	}
	for _, h := range []Hashing{words, chars, tri} {
		v := h.featurize("Oil prices rise as OPEC cuts output", nil)
		var norm float64
		for _, x := range v.Val {
			norm += float64(x) * float64(x)
		}
		if math.Abs(norm-1) > 1e-5 {
			t.Errorf("%s: squared norm %.6f, want 1", h.describe(), norm)
		}
	}
	if got := chars.describe(); got != "words+bigrams+char 3-5-grams (idf false)" {
		t.Errorf("describe = %q", got)
	}
}
