//go:build unix

package summarize

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/newsintel/newsintel/inference"
	"github.com/newsintel/newsintel/inference/internal/testenv"
)

// bbcPath is BBC News Summary, next to the repository when present.
func bbcPath() string {
	return filepath.Join(testenv.Root(), "..", "..", "shared", "data", "bbc_news_summary", "bbc_news_summary.jsonl")
}

func loadBBC(t testing.TB) []Article {
	t.Helper()
	if _, err := os.Stat(bbcPath()); err != nil {
		t.Skipf("BBC News Summary not present: %v", err)
	}
	arts, err := ReadArticlesFile(bbcPath())
	if err != nil {
		t.Fatal(err)
	}
	return arts
}

// TestBBCLabels checks the splitter against the BBC references: the
// article sentences found in each summary should explain nearly all of
// its text, despite the summaries' sentences being joined without spaces.
func TestBBCLabels(t *testing.T) {
	arts := loadBBC(t)
	var cov, pos, n float64
	for _, a := range arts {
		d := NewDocument(a.Title, a.Text)
		l, c := Labels(d.Sentences, a.Summary)
		cov += c
		for _, b := range l {
			pos += b2f(b)
			n++
		}
	}
	cov /= float64(len(arts))
	t.Logf("%d articles: labelled sentences cover %.2f%% of reference text; %.1f%% of sentences are labelled", len(arts), 100*cov, 100*pos/n)
	if cov < 0.99 {
		t.Errorf("labels cover %.2f%% of reference text, want ≥ 99%%", 100*cov)
	}
}

// pickBBC returns the BBC article whose word count is closest to words.
func pickBBC(_ testing.TB, arts []Article, words int) Article {
	best, bestDiff := arts[0], 1<<30
	for _, a := range arts {
		n := len(Tokens(a.Text, RougeOptions{}))
		if d := max(n-words, words-n); d < bestDiff {
			best, bestDiff = a, d
		}
	}
	return best
}

// BenchmarkSummarize times one summary of BBC articles of about 300,
// 600 and 800 words with the default Summarizer, whose lexical scorer
// needs no encoder. cpu-ms is the CPU time per summary, steadier than
// wall time on a loaded machine.
func BenchmarkSummarize(b *testing.B) {
	arts := loadBBC(b)
	s, err := New(nil, inference.ModelID)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for _, words := range []int{300, 600, 800} {
		a := pickBBC(b, arts, words)
		req := Request{Text: a.Text, Title: a.Title}
		b.Run(fmt.Sprintf("%dwords", words), func(b *testing.B) {
			var cpu time.Duration
			n := 0
			for b.Loop() {
				c := cpuTime()
				if _, err := s.Summarize(ctx, req); err != nil {
					b.Fatal(err)
				}
				cpu += cpuTime() - c
				n++
			}
			b.ReportMetric(float64(cpu.Microseconds())/1000/float64(n), "cpu-ms")
			b.ReportMetric(float64(len(Tokens(a.Text, RougeOptions{}))), "words")
		})
	}
}

// BenchmarkSelect times everything but the encoder: splitting, features,
// scoring and MMR on a cached embedding.
func BenchmarkSelect(b *testing.B) {
	arts := loadBBC(b)
	a := pickBBC(b, arts, 800)
	scorer, err := DefaultScorer()
	if err != nil {
		b.Fatal(err)
	}
	f := &fakeEmbedder{}
	ctx := context.Background()
	for b.Loop() {
		d := NewDocument(a.Title, a.Text)
		if _, _, err := (Learned{Scorer: scorer}).Extract(ctx, d, f); err != nil {
			b.Fatal(err)
		}
	}
}

// TestBBCHeldOut checks the default scorer on the whole held-out part
// of BBC News Summary: it must beat Lead-3 clearly.
func TestBBCHeldOut(t *testing.T) {
	arts := loadBBC(t)
	var held []Article
	for _, a := range arts {
		if HeldOut(a.ID) {
			held = append(held, a)
		}
	}
	s, err := DefaultScorer()
	if err != nil {
		t.Fatal(err)
	}
	three := Length{MaxSentences: 3}
	rep, err := Evaluate(context.Background(), nil, held, Lead{Length: three}, Learned{Scorer: s, Length: three})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", rep.Table())
	lead, learned := rep.Methods[0], rep.Methods[1]
	// Measured: R1 57.2 vs 43.2, R2 54.0 vs 34.6, RL 43.7 vs 33.1.
	if learned.Rouge1.F1 < lead.Rouge1.F1+0.10 || learned.Rouge2.F1 < lead.Rouge2.F1+0.15 || learned.RougeL.F1 < lead.RougeL.F1+0.08 {
		t.Errorf("the scorer does not beat Lead-3 by the expected margin:\n%s", rep.Table())
	}
}

// TestCNNHeldOut checks the default summary on the held-out part of the
// CNN highlights, human-written and abstractive, where Lead-3 is strong:
// the summary must score above Lead-3 on ROUGE-1, -2 and -L. The scorer
// trained on BBC alone, before, lost to it by 2 to 3 points.
func TestCNNHeldOut(t *testing.T) {
	path := filepath.Join(testenv.Root(), "..", "..", "shared", "data", "cnn_highlights", "cnn_highlights.jsonl")
	if _, err := os.Stat(path); err != nil {
		t.Skip("no CNN highlights at", path)
	}
	arts, err := ReadArticlesFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var held []Article
	for _, a := range arts {
		if HeldOut(a.ID) {
			held = append(held, a)
		}
	}
	s, err := DefaultScorer()
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Evaluate(context.Background(), nil, held, Lead{Length: Length{MaxSentences: 3}},
		Learned{Scorer: s, Length: DefaultLength}, Learned{Scorer: s, Length: Length{MaxSentences: 3}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", rep.Table())
	lead := rep.Methods[0]
	for _, m := range rep.Methods[1:] {
		if m.Rouge1.F1 <= lead.Rouge1.F1 || m.Rouge2.F1 <= lead.Rouge2.F1 || m.RougeL.F1 <= lead.RougeL.F1 {
			t.Errorf("%s does not beat Lead-3 on held-out CNN:\n%s", m.Method, rep.Table())
		}
	}
}

// cpuTime returns the CPU time (user + system) this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
