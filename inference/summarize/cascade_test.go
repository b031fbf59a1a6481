package summarize

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
)

// longArticle has 12 candidate sentences, more than a small shortlist.
func longArticle() string {
	var b strings.Builder
	for _, s := range []string{
		"Floods hit the northern town of Riverside on Monday, forcing hundreds from their homes.",
		"The river burst its banks after three days of heavy rain, officials said.",
		"Emergency crews used boats to rescue families trapped by the floods in Riverside.",
		"A local bakery gave free bread to the volunteers who came to help.",
		"The mayor said the floods were the worst in fifty years and asked for help.",
		"Weather forecasters expect more rain later this week across the north.",
		"Schools in the town will stay closed until Thursday at the earliest.",
		"Insurers said claims could reach tens of millions of pounds this year.",
		"Residents of the lower streets were told to move their cars to higher ground.",
		"The army sent two hundred soldiers to fill sandbags along the river.",
		"Train services between Riverside and the city were cancelled on Monday.",
		"The government promised an inquiry into the town's flood defences.",
	} {
		b.WriteString(s + " ")
	}
	return b.String()
}

func TestCascadeEmbedsShortlistOnly(t *testing.T) {
	lex, err := DefaultScorer()
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeEmbedder{}
	s := NewWithScorer(f, "fake", testScorer()).WithShortlist(4, lex)
	sum, err := s.Summarize(context.Background(), Request{Text: longArticle(), Title: "Floods in Riverside", MaxSentences: 3})
	if err != nil {
		t.Fatal(err)
	}
	// 3 sentences need a shortlist of max(4, 3+2) = 5, plus the title.
	if f.calls != 1 || f.texts != 6 {
		t.Errorf("cascade embedded %d texts in %d calls, want 6 in 1", f.texts, f.calls)
	}
	if len(sum.Sentences) != 3 || !strings.HasPrefix(sum.Version, "learned-mmr/2 shortlist=4 embed_words=20 stage1=") {
		t.Errorf("%d sentences, version %q", len(sum.Sentences), sum.Version)
	}
	// The shortlist is the stage-1 ranking's top: every selected sentence
	// is among the lexical scorer's 5 best.
	d := NewDocument("Floods in Riverside", longArticle())
	p1 := Learned{Scorer: lex}.Probs(d)
	rel1 := Relevance(d, p1, lex.LengthExponent)
	order := []int{}
	for i := range d.Sentences {
		order = append(order, i)
	}
	slices.SortStableFunc(order, func(a, b int) int {
		if rel1[a] > rel1[b] {
			return -1
		} else if rel1[a] < rel1[b] {
			return 1
		}
		return 0
	})
	for _, sel := range sum.Sentences {
		if !slices.Contains(order[:5], sel.Index) {
			t.Errorf("sentence %d selected but not shortlisted (%v)", sel.Index, order[:5])
		}
	}

	// Without a shortlist every candidate is embedded.
	before := f.texts
	sum, err = s.WithShortlist(0, nil).Summarize(context.Background(), Request{Text: longArticle(), Title: "Floods"})
	if err != nil || f.texts-before != 13 || !strings.HasPrefix(sum.Version, "learned-mmr/1 ") {
		t.Errorf("full method embedded %d texts (%v, %q), want 13", f.texts-before, err, sum.Version)
	}
}

func TestCascadeLengths(t *testing.T) {
	lex, err := DefaultScorer()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, tt := range []struct {
		l         Length
		wantSents int
		wantTexts int // embedded, without a title
	}{
		{Length{MaxSentences: 1}, 1, 4},
		{Length{MaxSentences: 6}, 6, 9},
		// The ratio is of the whole article (12), not of the shortlist.
		{Length{Ratio: 0.5}, 6, 9},
		{Length{Ratio: 1}, 12, 12},
	} {
		f := &fakeEmbedder{}
		d := NewDocument("", longArticle())
		sel, scores, err := Learned{Scorer: testScorer(), Length: tt.l, Shortlist: 4, Stage1: lex}.Extract(ctx, d, f)
		if err != nil {
			t.Fatal(err)
		}
		if len(sel) != tt.wantSents || len(scores) != len(sel) || f.texts != tt.wantTexts || !slices.IsSorted(sel) {
			t.Errorf("%+v: %d sentences from %d embedded texts (%v), want %d from %d", tt.l, len(sel), f.texts, sel, tt.wantSents, tt.wantTexts)
		}
	}
	// A word budget shortlists enough sentences to fill it.
	d := NewDocument("", longArticle())
	f := &fakeEmbedder{}
	sel, _, err := Learned{Scorer: testScorer(), Length: Length{MaxWords: 100}, Shortlist: 2, Stage1: lex}.Extract(ctx, d, f)
	words := 0
	for _, i := range sel {
		words += d.WordCount(i)
	}
	if err != nil || words > 100 || words < 60 || f.texts < 6 {
		t.Errorf("MaxWords 100: %d words in %v from %d embedded texts (%v)", words, sel, f.texts, err)
	}
	// The shortlist needs a lexical first stage.
	if _, _, err := (Learned{Scorer: testScorer(), Shortlist: 4}).Extract(ctx, NewDocument("", longArticle()), f); err == nil {
		t.Error("a cascade without Stage1 did not fail")
	}
	boom := errors.New("encoder down")
	if _, _, err := (Learned{Scorer: testScorer(), Shortlist: 4, Stage1: lex}).Extract(ctx, NewDocument("", longArticle()), &fakeEmbedder{err: boom}); !errors.Is(err, boom) {
		t.Errorf("encoder failure: %v", err)
	}
}

// TestFeaturesShortlist checks that embedding features are taken among the
// embedded sentences only and that lexical features do not depend on
// which sentences are embedded.
func TestFeaturesShortlist(t *testing.T) {
	ctx := context.Background()
	full := NewDocument("Floods in Riverside", longArticle())
	if err := full.Embed(ctx, &fakeEmbedder{}); err != nil {
		t.Fatal(err)
	}
	short := []int{0, 4, 7, 9}
	sub, err := full.embedShortlist(ctx, nil, short, 0)
	if err != nil {
		t.Fatal(err)
	}
	ff, fs := Features(full), Features(sub)
	embFeature := map[string]bool{}
	for _, n := range []string{"cen_cos", "cen_z", "cen_rank", "title_cos", "title_z", "title_rank", "emb_pr", "emb_pr_rank", "lead_cos", "max_prev_cos"} {
		embFeature[n] = true
	}
	for i := range full.Sentences {
		for k, name := range FeatureNames {
			// (tfidf_cos sums over a map: its last bits vary by run.)
			if !embFeature[name] && math.Abs(ff[i][k]-fs[i][k]) > 1e-12 {
				t.Errorf("sentence %d: lexical feature %s is %v with a shortlist, %v without", i, name, fs[i][k], ff[i][k])
			}
		}
	}
	rank := slices.Index(FeatureNames, "cen_rank")
	lead := slices.Index(FeatureNames, "lead_cos")
	var ranks []float64
	for i := range sub.Sentences {
		if slices.Contains(short, i) {
			ranks = append(ranks, fs[i][rank])
		} else if fs[i][rank] != 1 || fs[i][lead] != 0 {
			t.Errorf("sentence %d is not embedded but has cen_rank %v, lead_cos %v", i, fs[i][rank], fs[i][lead])
		}
	}
	slices.Sort(ranks)
	if !slices.Equal(ranks, []float64{0, 0.25, 0.5, 0.75}) {
		t.Errorf("cen_rank among the shortlist = %v, want 0, 1/4, 2/4, 3/4", ranks)
	}
	// The first shortlisted sentence is the lead of lead_cos.
	if v := fs[0][lead]; v < 0.999 {
		t.Errorf("lead_cos of the first shortlisted sentence = %v, want 1", v)
	}
}

func TestFirstWords(t *testing.T) {
	for _, tt := range []struct {
		s    string
		n    int
		want string
	}{
		{"One two three four.", 2, "One two"},
		{"One two three four.", 4, "One two three four."},
		{"One two three four.", 9, "One two three four."},
		{"One two three four.", 0, "One two three four."},
		{"  One\ttwo \n three", 2, "  One\ttwo"},
		{"“Quoted,” he said – twice.", 3, "“Quoted,” he said"},
	} {
		if got := firstWords(tt.s, tt.n); got != tt.want {
			t.Errorf("firstWords(%q, %d) = %q, want %q", tt.s, tt.n, got, tt.want)
		}
	}
}
