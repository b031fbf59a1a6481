package summarize

import (
	"context"
	"errors"
	"hash/fnv"
	"math"
	"slices"
	"strings"
	"testing"
)

// fakeEmbedder embeds a text as its hashed bag of words (unit length), or
// as a fixed vector when the text is in vecs. It counts calls.
type fakeEmbedder struct {
	vecs  map[string][]float32
	calls int
	texts int
	err   error
}

func (f *fakeEmbedder) Embed(_ context.Context, texts []string) ([][]float32, error) {
	f.calls++
	f.texts += len(texts)
	if f.err != nil {
		return nil, f.err
	}
	out := make([][]float32, len(texts))
	for i, t := range texts {
		if v, ok := f.vecs[t]; ok {
			out[i] = normalize(v)
			continue
		}
		v := make([]float32, 64)
		for _, w := range Tokens(t, RougeOptions{}) {
			h := fnv.New32a()
			h.Write([]byte(w))
			v[h.Sum32()%64]++
		}
		out[i] = normalize(v)
	}
	return out, nil
}

func normalize(v []float32) []float32 {
	var n float64
	for _, x := range v {
		n += float64(x) * float64(x)
	}
	out := make([]float32, len(v))
	if n == 0 {
		return out
	}
	for i, x := range v {
		out[i] = float32(float64(x) / math.Sqrt(n))
	}
	return out
}

const toyArticle = `Floods hit the northern town of Riverside on Monday, forcing hundreds of residents from their homes.
The river burst its banks after three days of heavy rain, officials said.
Emergency crews used boats to rescue families trapped by the floods in Riverside.
A local bakery gave free bread to volunteers.
The mayor said the floods in Riverside were the worst in fifty years and asked for government help.
Weather forecasters expect more rain later this week.`

func TestLead(t *testing.T) {
	d := NewDocument("", toyArticle)
	for _, tt := range []struct {
		l    Length
		want []int
	}{
		{Length{}, []int{0, 1, 2}},
		{Length{MaxSentences: 1}, []int{0}},
		{Length{MaxSentences: 10}, []int{0, 1, 2, 3, 4, 5}},
		{Length{Ratio: 0.5}, []int{0, 1, 2}},
		{Length{Ratio: 0.01}, []int{0}},
		{Length{MaxWords: 30}, []int{0, 1}}, // 16 + 13 words; the third (14) would exceed 30
	} {
		got, scores, err := Lead{Length: tt.l}.Extract(context.Background(), d, nil)
		if err != nil || !slices.Equal(got, tt.want) || len(scores) != len(got) {
			t.Errorf("Lead %+v = %v %v, %v; want %v", tt.l, got, scores, err, tt.want)
		}
	}
	if n := (Lead{}).Name(); n != "lead-3" {
		t.Errorf("name %q", n)
	}
}

func TestLeadSkipsFragments(t *testing.T) {
	d := NewDocument("", "By Jane Doe.\n\nThe first real sentence is here. The second real sentence is here. The third real sentence is here.")
	got, _, _ := Lead{}.Extract(context.Background(), d, nil)
	if !slices.Equal(got, []int{1, 2, 3}) {
		t.Errorf("Lead-3 = %v, want the three sentences after the byline", got)
	}
}

func TestTextRank(t *testing.T) {
	d := NewDocument("", toyArticle)
	got, scores, err := TextRank{Length: Length{MaxSentences: 2}}.Extract(context.Background(), d, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The sentences about floods in Riverside share the most words; the
	// bakery and weather sentences share none with the rest.
	if !slices.Equal(got, []int{0, 2}) && !slices.Equal(got, []int{0, 4}) && !slices.Equal(got, []int{2, 4}) {
		t.Errorf("TextRank-2 = %v, want two of the Riverside flood sentences 0, 2, 4", got)
	}
	if !slices.IsSorted(got) || len(scores) != 2 {
		t.Errorf("not in document order or scores missing: %v %v", got, scores)
	}
	pr := textRankScores(d)
	if pr[3] >= pr[0] || pr[3] >= pr[2] || pr[3] >= pr[4] {
		t.Errorf("isolated sentence 3 ranks too high: %v", pr)
	}
	sum := 0.0
	for _, p := range pr {
		sum += p
	}
	if math.Abs(sum-float64(len(pr))) > 1e-6 {
		// Without dangling nodes PageRank sums to 1 (× n here); the
		// isolated sentences leak mass, so only check it is below n.
		if sum > float64(len(pr))+1e-6 {
			t.Errorf("PageRank mass %v above %d", sum, len(pr))
		}
	}
}

func TestPageRank(t *testing.T) {
	// A star: the centre ranks first; the leaves tie.
	w := [][]float64{{0, 1, 1, 1}, {1, 0, 0, 0}, {1, 0, 0, 0}, {1, 0, 0, 0}}
	pr := pageRank(w, 0.85)
	if !(pr[0] > pr[1]) || math.Abs(pr[1]-pr[2]) > 1e-9 || math.Abs(pr[2]-pr[3]) > 1e-9 {
		t.Errorf("star PageRank %v", pr)
	}
	// Closed form for the star: c = 0.15/4 + 0.85·3l, l = 0.15/4 + 0.85·c/3.
	l := (0.15/4 + 0.85*0.15/4/3*3) / (1 - 0.85*0.85)
	c := 0.15/4 + 0.85*3*l
	// Solve exactly: l = a + b·c/3 and c = a + 3b·l with a = 0.0375, b = 0.85.
	a, b := 0.0375, 0.85
	l = (a + b*a/3) / (1 - b*b)
	c = a + 3*b*l
	if math.Abs(pr[0]-c) > 1e-6 || math.Abs(pr[1]-l) > 1e-6 {
		t.Errorf("star PageRank %v, want centre %.6f leaves %.6f", pr, c, l)
	}
}

// mmrDoc has four sentences: 0 and 1 say the same thing (same vector).
func mmrDoc(t *testing.T) *Document {
	t.Helper()
	text := "Alpha beta gamma delta one. Alpha beta gamma delta two. Epsilon zeta eta theta three. Iota kappa lambda mu four."
	d := NewDocument("", text)
	f := &fakeEmbedder{vecs: map[string][]float32{
		d.Sentences[0].Text: {1, 0, 0},
		d.Sentences[1].Text: {1, 0, 0},
		d.Sentences[2].Text: {0, 1, 0},
		d.Sentences[3].Text: {0.6, 0, 0.8},
	}}
	if err := d.Embed(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	if f.calls != 1 {
		t.Fatalf("Embed made %d calls, want 1", f.calls)
	}
	return d
}

func TestMMR(t *testing.T) {
	d := mmrDoc(t)
	rel := []float64{0.9, 0.89, 0.5, 0.1}
	tests := []struct {
		lambda float64
		l      Length
		want   []int
	}{
		{1, Length{MaxSentences: 2}, []int{0, 1}},   // relevance only: the duplicate
		{0.5, Length{MaxSentences: 2}, []int{0, 2}}, // 0.5·0.89 − 0.5·1 < 0.5·0.5 − 0
		// Third pick: duplicate 1 (0.445 − 0.5 = −0.055) beats sentence 3
		// (0.05 − 0.5·0.6 = −0.25) …
		{0.5, Length{MaxSentences: 3}, []int{0, 1, 2}},
		// … but not with more weight on redundancy (−0.622 < −0.46).
		{0.2, Length{MaxSentences: 3}, []int{0, 2, 3}},
		{1, Length{MaxWords: 6}, []int{0}}, // each sentence has 6 words
		{1, Length{MaxWords: 12}, []int{0, 1}},
		{1, Length{MaxWords: 2}, []int{0}}, // none fits: the best alone
		{0.5, Length{Ratio: 0.5}, []int{0, 2}},
	}
	for _, tt := range tests {
		if got := MMR(d, rel, tt.lambda, tt.l); !slices.Equal(got, tt.want) {
			t.Errorf("MMR(λ=%v, %+v) = %v, want %v", tt.lambda, tt.l, got, tt.want)
		}
	}
}

func TestNewDocumentCandidates(t *testing.T) {
	d := NewDocument("Title", "Why? Because the council said so today. Ok.\n\nAnother full sentence follows right here.")
	want := []bool{false, true, false, true}
	if !slices.Equal(d.Candidate, want) {
		t.Errorf("candidates %v, want %v (%+v)", d.Candidate, want, d.Sentences)
	}
	f := &fakeEmbedder{}
	if err := d.Embed(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	if f.calls != 1 || f.texts != 3 { // title + 2 candidates
		t.Errorf("embedded %d texts in %d calls, want 3 in 1", f.texts, f.calls)
	}
	if d.Emb[0] != nil || d.Emb[1] == nil || d.TitleEmb == nil {
		t.Errorf("embeddings not placed: %v", d.Emb)
	}
	if err := d.Embed(context.Background(), f); err != nil || f.calls != 1 {
		t.Errorf("second Embed called the encoder again")
	}
}

func TestValidate(t *testing.T) {
	long := strings.Repeat("a", MaxTextBytes+1)
	tests := []struct {
		req   Request
		field string
	}{
		{Request{Text: "Fine text here."}, ""},
		{Request{Text: "Fine.", MaxSentences: 2}, ""},
		{Request{Text: "Fine.", Ratio: 1}, ""},
		{Request{Text: "Fine.", MaxWords: 50}, ""},
		{Request{Text: ""}, "text"},
		{Request{Text: " \n\t"}, "text"},
		{Request{Text: long}, "text"},
		{Request{Text: "bad \xff utf8"}, "text"},
		{Request{Text: "ok", Title: "\xfe"}, "title"},
		{Request{Text: "ok", MaxSentences: -1}, "max_sentences"},
		{Request{Text: "ok", MaxSentences: MaxCandidates + 1}, "max_sentences"},
		{Request{Text: "ok", Ratio: -0.1}, "ratio"},
		{Request{Text: "ok", Ratio: 1.5}, "ratio"},
		{Request{Text: "ok", Ratio: math.NaN()}, "ratio"},
		{Request{Text: "ok", MaxWords: -5}, "max_words"},
		{Request{Text: "ok", MaxSentences: 3, Ratio: 0.5}, "ratio"},
		{Request{Text: "ok", MaxSentences: 3, MaxWords: 50}, "max_words"},
		{Request{Text: "ok", Ratio: 0.3, MaxWords: 50}, "max_words"},
	}
	for _, tt := range tests {
		err := tt.req.Validate()
		var v *ValidationError
		switch {
		case tt.field == "" && err != nil:
			t.Errorf("Validate(%+v) = %v, want nil", tt.req, err)
		case tt.field != "" && (!errors.As(err, &v) || v.Field != tt.field):
			t.Errorf("Validate(%.40q…) = %v, want a ValidationError on %q", tt.req.Text, err, tt.field)
		}
	}
}

func testScorer() *Scorer {
	nf := len(FeatureNames)
	s := &Scorer{Version: "test", Kind: "logreg", Features: slices.Clone(FeatureNames),
		Mean: make([]float64, nf), Std: make([]float64, nf), W: make([]float64, nf), MMRLambda: 0.7}
	for k := range s.Std {
		s.Std[k] = 1
	}
	s.W[1] = 3  // pos_inv: earlier is better
	s.W[9] = 1  // cen_z
	s.W[13] = 1 // title_z
	return s
}

func TestSummarizeWholeText(t *testing.T) {
	s := NewWithScorer(&fakeEmbedder{}, "fake-encoder", testScorer())
	ctx := context.Background()
	for _, tt := range []struct {
		req       Request
		wantLen   int
		wantWhole bool
	}{
		{Request{Text: "Floods closed the bridge on Monday. The army sent soldiers to help. Schools stay shut until Friday."}, 1, false},
		{Request{Text: "Floods closed the bridge on Monday. The army sent soldiers to help.", MaxSentences: 3}, 1, false},
		{Request{Text: "Floods closed the bridge on Monday. The army sent soldiers to help.", Ratio: 1}, 2, true},
		{Request{Text: "Floods closed the bridge on Monday and the army sent soldiers."}, 1, true},
		{Request{Text: toyArticle}, 3, false},
	} {
		sum, err := s.Summarize(ctx, tt.req)
		if err != nil {
			t.Fatal(err)
		}
		if len(sum.Sentences) != tt.wantLen || sum.WholeText != tt.wantWhole {
			t.Errorf("%q %+v: %d sentences, whole_text %v; want %d, %v", tt.req.Text[:20], tt.req.Length(), len(sum.Sentences), sum.WholeText, tt.wantLen, tt.wantWhole)
		}
	}
}

func TestSummarize(t *testing.T) {
	f := &fakeEmbedder{}
	s := NewWithScorer(f, "fake-encoder", testScorer())
	ctx := context.Background()
	tests := []struct {
		req     Request
		wantLen int
	}{
		{Request{Text: toyArticle, Title: "Floods in Riverside"}, 3},
		{Request{Text: toyArticle, MaxSentences: 2}, 2},
		// Every sentence would be the article word for word: the best
		// one is the summary.
		{Request{Text: toyArticle, MaxSentences: 50}, 1},
		{Request{Text: toyArticle, Ratio: 0.34}, 2},
		{Request{Text: toyArticle, MaxWords: 20}, 1},
		{Request{Text: "One short sentence only here."}, 1},
	}
	for _, tt := range tests {
		calls := f.calls
		sum, err := s.Summarize(ctx, tt.req)
		if err != nil {
			t.Fatalf("%+v: %v", tt.req.Length(), err)
		}
		if f.calls != calls+1 {
			t.Errorf("%+v: %d encoder calls, want 1", tt.req.Length(), f.calls-calls)
		}
		if len(sum.Sentences) != tt.wantLen {
			t.Errorf("%+v: %d sentences, want %d", tt.req.Length(), len(sum.Sentences), tt.wantLen)
		}
		var texts []string
		words := 0
		for k, sel := range sum.Sentences {
			if k > 0 && sel.Index <= sum.Sentences[k-1].Index {
				t.Errorf("sentences not in document order: %+v", sum.Sentences)
			}
			if tt.req.Text[sel.Start:sel.End] != sel.Text {
				t.Errorf("offsets of %q wrong", sel.Text)
			}
			if sel.Score <= 0 || sel.Score >= 1 {
				t.Errorf("score %v outside (0, 1)", sel.Score)
			}
			texts = append(texts, sel.Text)
			words += len(Tokens(sel.Text, RougeOptions{}))
		}
		if sum.Text != strings.Join(texts, " ") {
			t.Errorf("Text %q is not the sentences joined", sum.Text)
		}
		if tt.req.MaxWords > 0 && words > tt.req.MaxWords {
			t.Errorf("%d words, more than %d", words, tt.req.MaxWords)
		}
		if sum.Version != "learned-mmr/1 scorer=test encoder=fake-encoder" || sum.ArticleSentences != 6 && tt.wantLen != 1 {
			t.Errorf("version %q, article sentences %d", sum.Version, sum.ArticleSentences)
		}
	}
	if _, err := s.Summarize(ctx, Request{Text: "ok", Ratio: 2}); !IsValidation(err) {
		t.Errorf("invalid ratio: %v, want a ValidationError", err)
	}
	if _, err := s.Summarize(ctx, Request{Text: "... !!! ..."}); !IsValidation(err) {
		t.Errorf("no sentences: %v, want a ValidationError", err)
	}
	boom := errors.New("encoder down")
	_, err := NewWithScorer(&fakeEmbedder{err: boom}, "x", testScorer()).Summarize(ctx, Request{Text: toyArticle})
	if !errors.Is(err, boom) || IsValidation(err) {
		t.Errorf("encoder failure: %v, want it wrapped and not a ValidationError", err)
	}
}

func TestScorerRoundTrip(t *testing.T) {
	// Train both kinds on a separable toy problem: label = pos_inv > 0.4.
	nf := len(FeatureNames)
	var X [][]float64
	var y []float64
	for i := range 400 {
		x := make([]float64, nf)
		x[1] = 1 / float64(i%10+1)
		x[5] = float64(i % 7)
		X = append(X, x)
		y = append(y, b2f(x[1] > 0.4))
	}
	for _, kind := range []string{"logreg", "mlp"} {
		s := TrainScorer(X, y, TrainOptions{Kind: kind, Epochs: 200, LR: 0.05, Seed: 7})
		s.Version, s.MMRLambda = "rt-"+kind, 0.8
		if loss := s.LogLoss(X, y); loss > 0.2 {
			t.Errorf("%s: training loss %.3f, want < 0.2", kind, loss)
		}
		raw, err := s.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParseScorer(raw)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range X[:20] {
			if a, b := s.Prob(x), back.Prob(x); a != b {
				t.Fatalf("%s: Prob %v before, %v after the round trip", kind, a, b)
			}
		}
		// Deterministic for a seed.
		again := TrainScorer(X, y, TrainOptions{Kind: kind, Epochs: 200, LR: 0.05, Seed: 7})
		if again.Prob(X[3]) != s.Prob(X[3]) {
			t.Errorf("%s: training is not deterministic", kind)
		}
	}
	// A scorer for other features is refused.
	bad := testScorer()
	bad.Features = append(slices.Clone(FeatureNames[:len(FeatureNames)-1]), "something_else")
	raw, _ := bad.Marshal()
	if raw != nil {
		t.Errorf("Marshal accepted a scorer with the wrong features")
	}
	if _, err := ParseScorer([]byte(`{"version":"x","kind":"logreg","features":["pos_rel"],"mean":[0],"std":[1],"w":[1],"mmr_lambda":1}`)); err == nil {
		t.Errorf("ParseScorer accepted a scorer with the wrong features")
	}
	if _, err := ParseScorer([]byte(`{`)); err == nil {
		t.Errorf("ParseScorer accepted bad JSON")
	}
}

func TestDefaultScorer(t *testing.T) {
	s, err := DefaultScorer()
	if err != nil {
		t.Fatal(err)
	}
	if s.Version == "" || s.Version == "placeholder" || s.Training == nil {
		t.Errorf("the embedded scorer is not a trained one: %q", s.Version)
	}
}

func TestLabels(t *testing.T) {
	article := "Profits rose to $10.9bn. The firm is big.\n\nShares fell 3%. Nobody knows why."
	summary := "Shares fell 3%.Profits rose to $10.9bn."
	sents := Split(article)
	labels, cov := Labels(sents, summary)
	if want := []bool{true, false, true, false}; !slices.Equal(labels, want) {
		t.Errorf("labels %v, want %v", labels, want)
	}
	if cov != 1 {
		t.Errorf("coverage %v, want 1", cov)
	}
	_, cov = Labels(sents, "Something else entirely.")
	if cov != 0 {
		t.Errorf("coverage %v, want 0", cov)
	}
}

func TestHeldOut(t *testing.T) {
	n := 0
	for i := range 10000 {
		if HeldOut("business/" + itoa3(i)) {
			n++
		}
	}
	if n < 1800 || n > 2200 {
		t.Errorf("%d of 10000 held out, want about 20%%", n)
	}
	if HeldOut("business/001") != HeldOut("business/001") {
		t.Error("not deterministic")
	}
}

func itoa3(i int) string {
	return string([]byte{byte('0' + i/1000%10), byte('0' + i/100%10), byte('0' + i/10%10), byte('0' + i%10)})
}

func TestDefaultScorerIsLexical(t *testing.T) {
	s, err := DefaultScorer()
	if err != nil {
		t.Fatal(err)
	}
	if !s.Lexical || s.Training == nil {
		t.Fatalf("scorer.json is not a trained lexical scorer: %q", s.Version)
	}
	// No encoder is called, even when the document was embedded by
	// another method, and the embedding features it sees stay 0.
	f := &fakeEmbedder{err: errors.New("must not be called")}
	sum, err := NewWithScorer(f, "none", s).Summarize(context.Background(), Request{Text: toyArticle, Title: "Floods", MaxSentences: 3})
	if err != nil || f.calls != 0 || len(sum.Sentences) != 3 {
		t.Fatalf("lexical Summarize: %v, %d encoder calls, %d sentences", err, f.calls, len(sum.Sentences))
	}
	d := NewDocument("Floods", toyArticle)
	before := Learned{Scorer: s}.Probs(d)
	if err := d.Embed(context.Background(), &fakeEmbedder{}); err != nil {
		t.Fatal(err)
	}
	after := Learned{Scorer: s}.Probs(d)
	if !slices.EqualFunc(before, after, func(a, b float64) bool { return math.Abs(a-b) < 1e-12 }) {
		t.Errorf("lexical probabilities changed once the document was embedded: %v → %v", before, after)
	}
}
