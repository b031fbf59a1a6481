package summarize

import (
	"strings"
)

// Score is a precision, recall and F1 triple.
type Score struct {
	P  float64 `json:"p"`
	R  float64 `json:"r"`
	F1 float64 `json:"f1"`
}

// RougeScores holds ROUGE-1, ROUGE-2, ROUGE-L and ROUGE-Lsum.
type RougeScores struct {
	R1    Score `json:"rouge1"`
	R2    Score `json:"rouge2"`
	RL    Score `json:"rougeL"`
	RLsum Score `json:"rougeLsum"`
}

// RougeOptions configures ROUGE.
type RougeOptions struct {
	// Stem applies the Porter stemmer to tokens longer than 3 characters,
	// as rouge-score's use_stemmer=True does. It is off by default: the
	// figures newsintel reports are unstemmed, which is rouge-score's
	// default and keeps the metric free of the stemmer's version quirks.
	Stem bool
}

// Tokens returns ROUGE tokens as Google's rouge-score makes them: lower
// case, runs of [a-z0-9] (every other character separates tokens, so
// "don't" is "don" "t" and non-ASCII letters are dropped), with optional
// Porter stemming of tokens longer than 3 characters.
func Tokens(text string, opt RougeOptions) []string {
	var out []string
	lower := strings.ToLower(text)
	start := -1
	for i := 0; i <= len(lower); i++ {
		alnum := i < len(lower) && (lower[i] >= 'a' && lower[i] <= 'z' || lower[i] >= '0' && lower[i] <= '9')
		switch {
		case alnum && start < 0:
			start = i
		case !alnum && start >= 0:
			tok := lower[start:i]
			if opt.Stem && len(tok) > 3 {
				tok = Stem(tok)
			}
			out = append(out, tok)
			start = -1
		}
	}
	return out
}

// Rouge scores candidate against reference. ROUGE-N counts clipped
// n-gram matches (P over the candidate's n-grams, R over the reference's);
// ROUGE-L uses the longest common subsequence of the whole token
// sequences; ROUGE-Lsum splits both texts into sentences (with Split) and
// uses the union LCS of each reference sentence against all candidate
// sentences, as rouge-score's rougeLsum does with newline-separated
// sentences.
func Rouge(candidate, reference string, opt RougeOptions) RougeScores {
	c, r := Tokens(candidate, opt), Tokens(reference, opt)
	return RougeScores{
		R1:    rougeN(c, r, 1),
		R2:    rougeN(c, r, 2),
		RL:    rougeL(c, r),
		RLsum: RougeLsum(sentenceTokens(candidate, opt), sentenceTokens(reference, opt)),
	}
}

// RougeSents is Rouge for a candidate already split into sentences (the
// sentences are joined with spaces for ROUGE-1/2/L).
func RougeSents(candidate []string, reference string, opt RougeOptions) RougeScores {
	var c []string
	var cs [][]string
	for _, s := range candidate {
		t := Tokens(s, opt)
		c = append(c, t...)
		cs = append(cs, t)
	}
	r := Tokens(reference, opt)
	return RougeScores{
		R1:    rougeN(c, r, 1),
		R2:    rougeN(c, r, 2),
		RL:    rougeL(c, r),
		RLsum: RougeLsum(cs, sentenceTokens(reference, opt)),
	}
}

func sentenceTokens(text string, opt RougeOptions) [][]string {
	var out [][]string
	for _, s := range Split(text) {
		out = append(out, Tokens(s.Text, opt))
	}
	return out
}

func fmeasure(p, r float64) float64 {
	if p+r > 0 {
		return 2 * p * r / (p + r)
	}
	return 0
}

// rougeN is rouge-score's _score_ngrams: P = overlap/max(#candidate
// n-grams, 1), R = overlap/max(#reference n-grams, 1).
func rougeN(cand, ref []string, n int) Score {
	cn, rn := ngrams(cand, n), ngrams(ref, n)
	overlap, ct, rt := 0, 0, 0
	for g, k := range rn {
		overlap += min(k, cn[g])
		rt += k
	}
	for _, k := range cn {
		ct += k
	}
	p := float64(overlap) / float64(max(ct, 1))
	r := float64(overlap) / float64(max(rt, 1))
	return Score{P: p, R: r, F1: fmeasure(p, r)}
}

func ngrams(toks []string, n int) map[string]int {
	m := make(map[string]int, len(toks))
	for i := 0; i+n <= len(toks); i++ {
		m[strings.Join(toks[i:i+n], " ")]++
	}
	return m
}

// rougeL is rouge-score's _score_lcs.
func rougeL(cand, ref []string) Score {
	if len(cand) == 0 || len(ref) == 0 {
		return Score{}
	}
	l := lcsLen(ref, cand)
	p := float64(l) / float64(len(cand))
	r := float64(l) / float64(len(ref))
	return Score{P: p, R: r, F1: fmeasure(p, r)}
}

// lcsLen is the length of the longest common subsequence, in O(len(b))
// memory.
func lcsLen(a, b []string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			if a[i-1] == b[j-1] {
				cur[j] = prev[j-1] + 1
			} else {
				cur[j] = max(cur[j-1], prev[j])
			}
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// lcsIndices returns the indices into ref of one LCS of ref and cand,
// backtracking as rouge-score's _backtrack_norec does.
func lcsIndices(ref, cand []string) []int {
	t := make([][]int, len(ref)+1)
	for i := range t {
		t[i] = make([]int, len(cand)+1)
	}
	for i := 1; i <= len(ref); i++ {
		for j := 1; j <= len(cand); j++ {
			if ref[i-1] == cand[j-1] {
				t[i][j] = t[i-1][j-1] + 1
			} else {
				t[i][j] = max(t[i-1][j], t[i][j-1])
			}
		}
	}
	var out []int
	i, j := len(ref), len(cand)
	for i > 0 && j > 0 {
		switch {
		case ref[i-1] == cand[j-1]:
			out = append(out, i-1)
			i--
			j--
		case t[i][j-1] > t[i-1][j]:
			j--
		default:
			i--
		}
	}
	for l, r := 0, len(out)-1; l < r; l, r = l+1, r-1 {
		out[l], out[r] = out[r], out[l]
	}
	return out
}

// RougeLsum is rouge-score's summary-level LCS over tokenized sentences:
// for each reference sentence, the union of its LCS with every candidate
// sentence, counting each token at most as often as it occurs in both
// texts.
func RougeLsum(cand, ref [][]string) Score {
	m, n := 0, 0
	refCount, candCount := map[string]int{}, map[string]int{}
	for _, s := range ref {
		m += len(s)
		for _, t := range s {
			refCount[t]++
		}
	}
	for _, s := range cand {
		n += len(s)
		for _, t := range s {
			candCount[t]++
		}
	}
	if m == 0 || n == 0 {
		return Score{}
	}
	hits := 0
	for _, r := range ref {
		union := map[int]bool{}
		for _, c := range cand {
			for _, i := range lcsIndices(r, c) {
				union[i] = true
			}
		}
		for i, t := range r {
			if !union[i] {
				continue
			}
			if candCount[t] > 0 && refCount[t] > 0 {
				hits++
				candCount[t]--
				refCount[t]--
			}
		}
	}
	p := float64(hits) / float64(n)
	r := float64(hits) / float64(m)
	return Score{P: p, R: r, F1: fmeasure(p, r)}
}
