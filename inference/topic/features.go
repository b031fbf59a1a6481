package topic

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode"
)

// Hashing describes the sparse word features: lower-cased words (runs of
// letters and digits) and word bigrams, hashed with 64-bit FNV-1a into
// 2^Bits signed buckets; each document's values are 1+ln(count), scaled to
// unit length.
type Hashing struct {
	Bits    int  `json:"bits"`
	Bigrams bool `json:"bigrams"`
	// IDF weights each bucket by its smoothed inverse document frequency
	// in the training texts, ln((1+N)/(1+df))+1, before the scaling.
	IDF bool `json:"idf,omitempty"`
	// Trigrams adds word trigrams.
	Trigrams bool `json:"trigrams,omitempty"`
	// Chars, when at least 3, adds the character n-grams of each word,
	// with "<" and ">" marking its ends, of lengths 3 to Chars (as
	// fastText's subwords): "acquisition" and "acquires" then share
	// features, which helps on words seen once or never in 15k articles.
	Chars int `json:"chars,omitempty"`
}

// describe names the features for the model card: "words+bigrams (idf
// true)" for the built-in agnews-v1 and agnews-v2.
func (h Hashing) describe() string {
	f := "words"
	if h.Bigrams {
		f += "+bigrams"
	}
	if h.Trigrams {
		f += "+trigrams"
	}
	if h.Chars >= 3 {
		f += fmt.Sprintf("+char 3-%d-grams", h.Chars)
	}
	return fmt.Sprintf("%s (idf %v)", f, h.IDF)
}

// Buckets is the feature width.
func (h Hashing) Buckets() int { return 1 << h.Bits }

// sparseVec is a sparse row: sorted distinct indices and their values.
type sparseVec struct {
	Idx []int32
	Val []float32
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// words splits normalised text into lower-cased words.
func words(text string) []string {
	return strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !isWordRune(r) })
}

func fnv64(parts ...string) uint64 {
	h := uint64(14695981039346656037)
	for i, p := range parts {
		if i > 0 {
			h ^= ' '
			h *= 1099511628211
		}
		for j := 0; j < len(p); j++ {
			h ^= uint64(p[j])
			h *= 1099511628211
		}
	}
	// Finalise (splitmix64) so that the low bits mix well.
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	return h
}

// featurize returns the sparse features of one normalised text; idf, when
// not nil, weights the buckets.
func (h Hashing) featurize(text string, idf []float32) sparseVec {
	ws := words(text)
	counts := map[uint64]float64{}
	add := func(hv uint64) { counts[hv]++ }
	for i, w := range ws {
		add(fnv64("u", w))
		if h.Bigrams && i+1 < len(ws) {
			add(fnv64("b", w, ws[i+1]))
		}
		if h.Trigrams && i+2 < len(ws) {
			add(fnv64("t", w, ws[i+1], ws[i+2]))
		}
		if h.Chars >= 3 {
			r := []rune("<" + w + ">")
			for n := 3; n <= h.Chars; n++ {
				for j := 0; j+n <= len(r); j++ {
					add(fnv64("c", string(r[j:j+n])))
				}
			}
		}
	}
	mask := uint64(h.Buckets() - 1)
	acc := map[int32]float64{}
	for hv, c := range counts {
		v := 1 + math.Log(c)
		if hv>>63 == 1 {
			v = -v
		}
		acc[int32(hv&mask)] += v
	}
	if idf != nil {
		for i := range acc {
			acc[i] *= float64(idf[i])
		}
	}
	out := sparseVec{Idx: make([]int32, 0, len(acc)), Val: make([]float32, 0, len(acc))}
	for i := range acc {
		out.Idx = append(out.Idx, i)
	}
	slices.Sort(out.Idx)
	var norm float64
	for _, i := range out.Idx {
		norm += acc[i] * acc[i]
	}
	norm = math.Sqrt(norm)
	for _, i := range out.Idx {
		v := acc[i]
		if norm > 0 {
			v /= norm
		}
		out.Val = append(out.Val, float32(v))
	}
	return out
}

func (h Hashing) featurizeAll(texts []string, idf []float32) []sparseVec {
	out := make([]sparseVec, len(texts))
	for i, t := range texts {
		out[i] = h.featurize(t, idf)
	}
	return out
}

// computeIDF returns the smoothed inverse document frequency of every
// bucket in texts.
func (h Hashing) computeIDF(texts []string) []float32 {
	df := make([]int, h.Buckets())
	for _, t := range texts {
		for _, i := range h.featurize(t, nil).Idx {
			df[i]++
		}
	}
	idf := make([]float32, len(df))
	n := float64(len(texts))
	for i, d := range df {
		idf[i] = float32(math.Log((1+n)/(1+float64(d))) + 1)
	}
	return idf
}
