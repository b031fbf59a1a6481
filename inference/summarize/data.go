package summarize

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode"
)

// Article is one evaluation or training document: a JSON line with
// article and summary, and optionally id, title and category (the BBC
// News Summary layout).
type Article struct {
	ID       string `json:"id,omitempty"`
	Category string `json:"category,omitempty"`
	Title    string `json:"title,omitempty"`
	Text     string `json:"article"`
	Summary  string `json:"summary"`
}

// ReadArticles reads JSON lines of Article. Lines without an article are
// an error naming the line.
func ReadArticles(r io.Reader) ([]Article, error) {
	var out []Article
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var a Article
		if err := json.Unmarshal([]byte(line), &a); err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		if strings.TrimSpace(a.Text) == "" {
			return nil, fmt.Errorf("line %d: no article", n)
		}
		out = append(out, a)
	}
	return out, sc.Err()
}

// ReadArticlesFile reads a JSON lines file of Article.
func ReadArticlesFile(path string) ([]Article, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	a, err := ReadArticles(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return a, nil
}

// HeldOut reports whether the article with this id belongs to the
// held-out evaluation part (a deterministic 20% by the id's SHA-256). The
// learned scorer is never trained or tuned on these.
func HeldOut(id string) bool {
	h := sha256.Sum256([]byte("newsintel-summarize-split:" + id))
	return binary.BigEndian.Uint64(h[:8])%5 == 0
}

// Fold returns which of k folds the article with this id falls in, for
// the training articles' cross-validation (independent of HeldOut).
func Fold(id string, k int) int {
	h := sha256.Sum256([]byte("newsintel-summarize-fold:" + id))
	return int(binary.BigEndian.Uint64(h[:8]) % uint64(k))
}

// squash removes white space and lower-cases s, for matching reference
// sentences that were joined without spaces.
func squash(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if unicode.IsSpace(r) {
			continue
		}
		switch r {
		case '“', '”':
			r = '"'
		case '‘', '’':
			r = '\''
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// Labels marks the sentences that appear in an extractive reference
// summary. Summaries made of article sentences may join them without
// spaces or split them differently, so a sentence counts as in the
// summary when its text, without white space, occurs in the summary
// without white space. It also returns the share of the summary's
// characters that the marked sentences cover (1 when the labels explain
// the whole summary).
func Labels(sents []Sentence, summary string) (labels []bool, coverage float64) {
	sum := squash(summary)
	labels = make([]bool, len(sents))
	covered := 0
	for i, s := range sents {
		q := squash(s.Text)
		if len(q) >= 8 && strings.Contains(sum, q) {
			labels[i] = true
			covered += len(q)
		}
	}
	if len(sum) == 0 {
		return labels, 0
	}
	return labels, min(1, float64(covered)/float64(len(sum)))
}
