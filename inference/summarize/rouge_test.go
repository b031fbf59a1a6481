package summarize

import (
	"math"
	"slices"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func checkScore(t *testing.T, what string, got Score, p, r float64) {
	t.Helper()
	f := 0.0
	if p+r > 0 {
		f = 2 * p * r / (p + r)
	}
	if !near(got.P, p) || !near(got.R, r) || !near(got.F1, f) {
		t.Errorf("%s = P %.4f R %.4f F %.4f, want P %.4f R %.4f F %.4f", what, got.P, got.R, got.F1, p, r, f)
	}
}

func TestTokens(t *testing.T) {
	tests := []struct {
		in   string
		stem bool
		want []string
	}{
		{"The Cat sat.", false, []string{"the", "cat", "sat"}},
		{"Don't stop—$10.9bn, 3.5%!", false, []string{"don", "t", "stop", "10", "9bn", "3", "5"}},
		{"Café naïve", false, []string{"caf", "na", "ve"}},
		{"  ", false, nil},
		{"Running runs ran the gunmen", true, []string{"run", "run", "ran", "the", "gunmen"}},
		{"cats are connected", true, []string{"cat", "are", "connect"}}, // "cats" > 3 chars is stemmed, "are" is not
	}
	for _, tt := range tests {
		if got := Tokens(tt.in, RougeOptions{Stem: tt.stem}); !slices.Equal(got, tt.want) {
			t.Errorf("Tokens(%q, stem=%v) = %q, want %q", tt.in, tt.stem, got, tt.want)
		}
	}
}

func TestRougeHandComputed(t *testing.T) {
	// 6 tokens each; unigram overlap the×2 cat on mat = 5; bigrams
	// "the cat" "on the" "the mat" = 3 of 5; LCS "the cat on the mat" = 5.
	s := Rouge("The cat sat on the mat.", "the cat lay on the mat", RougeOptions{})
	checkScore(t, "R1", s.R1, 5.0/6, 5.0/6)
	checkScore(t, "R2", s.R2, 3.0/5, 3.0/5)
	checkScore(t, "RL", s.RL, 5.0/6, 5.0/6)

	// Lin (2004): reference "police killed the gunman".
	ref := "police killed the gunman"
	s = Rouge("police kill the gunman", ref, RougeOptions{})
	checkScore(t, "S2 R1", s.R1, 3.0/4, 3.0/4)
	checkScore(t, "S2 RL", s.RL, 3.0/4, 3.0/4)
	s = Rouge("the gunman kill police", ref, RougeOptions{})
	checkScore(t, "S3 R2", s.R2, 1.0/3, 1.0/3) // only "the gunman"
	checkScore(t, "S3 RL", s.RL, 2.0/4, 2.0/4) // LCS "the gunman"
	s = Rouge("police kill the gunman", ref, RougeOptions{Stem: true})
	checkScore(t, "S2 stemmed R1", s.R1, 1, 1) // killed → kill

	// Different lengths: P and R differ.
	s = Rouge("a b c", "a b c d e f", RougeOptions{})
	checkScore(t, "R1", s.R1, 1, 0.5)
	checkScore(t, "R2", s.R2, 1, 2.0/5)
	checkScore(t, "RL", s.RL, 1, 0.5)

	// Counts are clipped: "the" is matched once.
	s = Rouge("the the the the", "the cat", RougeOptions{})
	checkScore(t, "clipped R1", s.R1, 1.0/4, 1.0/2)
	checkScore(t, "clipped R2", s.R2, 0, 0)

	// Nothing in common, and empty inputs.
	s = Rouge("x y", "a b", RougeOptions{})
	checkScore(t, "disjoint R1", s.R1, 0, 0)
	for _, pair := range [][2]string{{"", "a b"}, {"a b", ""}, {"", ""}} {
		s = Rouge(pair[0], pair[1], RougeOptions{})
		if s != (RougeScores{}) {
			t.Errorf("Rouge(%q, %q) = %+v, want zeros", pair[0], pair[1], s)
		}
	}
	// A single token has no bigram: R2 is 0 without dividing by zero.
	s = Rouge("a", "a", RougeOptions{})
	checkScore(t, "single R1", s.R1, 1, 1)
	checkScore(t, "single R2", s.R2, 0, 0)
}

func TestRougeLsum(t *testing.T) {
	// Lin (2004) §3.2: r = w1..w5, c1 = w1 w2 w6 w7 w8, c2 = w1 w3 w8 w9
	// w5. Union LCS = {w1 w2 w3 w5}: 4 hits of 5 reference and 10
	// candidate tokens.
	ref := [][]string{{"w1", "w2", "w3", "w4", "w5"}}
	cand := [][]string{{"w1", "w2", "w6", "w7", "w8"}, {"w1", "w3", "w8", "w9", "w5"}}
	checkScore(t, "Lin example", RougeLsum(cand, ref), 4.0/10, 4.0/5)

	// Sentence order does not matter to ROUGE-Lsum but does to ROUGE-L.
	s := Rouge("Cats dance. Apes bow.", "Apes bow. Cats dance.", RougeOptions{})
	checkScore(t, "swapped RL", s.RL, 2.0/4, 2.0/4)
	checkScore(t, "swapped RLsum", s.RLsum, 1, 1)

	// A reference token matched by two candidate sentences counts once.
	ref = [][]string{{"a", "b"}}
	cand = [][]string{{"a"}, {"a"}}
	checkScore(t, "clipped union", RougeLsum(cand, ref), 1.0/2, 1.0/2)
	checkScore(t, "empty", RougeLsum(nil, ref), 0, 0)
}

func TestRougeSentsMatchesRouge(t *testing.T) {
	cand := []string{"Profits rose 76%.", "The firm said so."}
	ref := "Quarterly profits rose 76%.The firm said so on Friday."
	a := RougeSents(cand, ref, RougeOptions{})
	b := Rouge("Profits rose 76%. The firm said so.", ref, RougeOptions{})
	if a != b {
		t.Errorf("RougeSents = %+v, Rouge = %+v", a, b)
	}
	// The reference's joined sentences are split for ROUGE-Lsum: both
	// candidate sentences are found.
	if a.RLsum.R <= a.RL.R-1e-9 {
		t.Errorf("RLsum recall %.3f below RL recall %.3f", a.RLsum.R, a.RL.R)
	}
}

func TestStem(t *testing.T) {
	// Examples from Porter (1980) and its reference vocabulary.
	cases := map[string]string{
		"caresses": "caress", "ponies": "poni", "ties": "ti", "caress": "caress", "cats": "cat",
		"feed": "feed", "agreed": "agre", "plastered": "plaster", "bled": "bled", "motoring": "motor",
		"sing": "sing", "conflated": "conflat", "troubled": "troubl", "sized": "size", "hopping": "hop",
		"tanned": "tan", "falling": "fall", "hissing": "hiss", "fizzed": "fizz", "failing": "fail",
		"filing": "file", "happy": "happi", "sky": "sky", "relational": "relat", "conditional": "condit",
		"rational": "ration", "digitizer": "digit", "operator": "oper", "feudalism": "feudal",
		"decisiveness": "decis", "hopefulness": "hope", "callousness": "callous", "formaliti": "formal",
		"sensitiviti": "sensit", "sensibiliti": "sensibl", "triplicate": "triplic", "formative": "form",
		"formalize": "formal", "electriciti": "electr", "electrical": "electr", "hopeful": "hope",
		"goodness": "good", "revival": "reviv", "allowance": "allow", "inference": "infer",
		"airliner": "airlin", "gyroscopic": "gyroscop", "adjustable": "adjust", "defensible": "defens",
		"irritant": "irrit", "replacement": "replac", "adjustment": "adjust", "dependent": "depend",
		"adoption": "adopt", "communism": "commun", "activate": "activ", "angulariti": "angular",
		"homologous": "homolog", "effective": "effect", "bowdlerize": "bowdler", "probate": "probat",
		"rate": "rate", "cease": "ceas", "controlling": "control", "roll": "roll",
		"generalizations": "gener", "oscillators": "oscil", "connection": "connect", "connected": "connect",
		"is": "is", "a": "a",
	}
	for in, want := range cases {
		if got := Stem(in); got != want {
			t.Errorf("Stem(%q) = %q, want %q", in, got, want)
		}
	}
}
