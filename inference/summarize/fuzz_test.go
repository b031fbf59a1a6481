package summarize

import (
	"bytes"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// FuzzSplit checks the splitter's contract on any text: each sentence is
// exactly text[Start:End], trimmed and non-empty; sentences come in order
// without overlapping; and no word is lost: a letter or digit outside
// every sentence can only be a list item's bullet ("1.", "a)").
func FuzzSplit(f *testing.F) {
	for _, s := range []string{
		"The U.S. economy grew. Mr. Smith said so in Washington! Did it?",
		"He said \"Go.\" Then he left... And came back… Later.",
		"Profits rose to $10.9bn.For the year, One.Tel fell. See www.bbc.co.uk.",
		"Headline\n\n- first point\n- second point\n1. numbered\n(a) lettered\n",
		"hard-wrapped prose that goes on\nacross lines without a stop\nuntil here.",
		"!!! ... ?!", "", "   \n\n  ", "a", "J. K. Rowling wrote it.  e.g. this one.",
		"\xff\xfe invalid utf-8. Next one.", "3.5% rise. (iv) item",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		sents := Split(text)
		prev := 0
		for i, s := range sents {
			if s.Start < prev || s.Start >= s.End || s.End > len(text) {
				t.Fatalf("sentence %d spans [%d,%d) after %d in a %d-byte text %q", i, s.Start, s.End, prev, len(text), text)
			}
			if s.Text != text[s.Start:s.End] {
				t.Fatalf("sentence %d text %q is not text[%d:%d] = %q", i, s.Text, s.Start, s.End, text[s.Start:s.End])
			}
			if strings.TrimSpace(s.Text) != s.Text {
				t.Fatalf("sentence %d %q has surrounding white space", i, s.Text)
			}
			checkGap(t, text, text[prev:s.Start])
			prev = s.End
		}
		checkGap(t, text, text[prev:])
		if again := Split(text); !slices.Equal(again, sents) {
			t.Fatalf("Split(%q) is not deterministic", text)
		}
	})
}

// checkGap fails if the text between two sentences holds a word that is
// not a bullet.
func checkGap(t *testing.T, text, gap string) {
	t.Helper()
	for _, tok := range strings.Fields(gap) {
		if hasWordChar(tok) && bulletLen(tok+" ") == 0 && bulletLen(strings.TrimLeft(tok, "(")+" ") == 0 {
			t.Fatalf("word %q of %q is in no sentence: %+v", tok, text, Split(text))
		}
	}
}

var rougeToken = regexp.MustCompile(`^[a-z0-9]+$`)

// FuzzTokens checks ROUGE tokenisation: tokens are non-empty runs of
// [a-z0-9] (stemmed tokens too), and unstemmed they are exactly the
// lower-cased text's ASCII alphanumeric runs, in order.
func FuzzTokens(f *testing.F) {
	for _, s := range []string{"Don't stop: 3.5% of GDP!", "running runners ran", "ÉCOLE naïve café", "", "a-b_c", "ＡＢＣ 123"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, text string, stem bool) {
		toks := Tokens(text, RougeOptions{Stem: stem})
		for _, tok := range toks {
			if !rougeToken.MatchString(tok) {
				t.Fatalf("Tokens(%q, stem=%v) gave %q, not [a-z0-9]+", text, stem, tok)
			}
		}
		if !slices.Equal(toks, Tokens(text, RougeOptions{Stem: stem})) {
			t.Fatalf("Tokens(%q) is not deterministic", text)
		}
		if stem {
			return
		}
		var want []string
		for _, w := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
		}) {
			want = append(want, w)
		}
		if !slices.Equal(toks, want) {
			t.Fatalf("Tokens(%q) = %q, want %q", text, toks, want)
		}
	})
}

// FuzzReadArticles checks the JSON lines reader: it never panics, every
// error names its line, and what it returns has an article on each line.
func FuzzReadArticles(f *testing.F) {
	for _, s := range []string{
		`{"id":"b1","category":"business","title":"Rates","article":"The bank raised rates.","summary":"Rates up."}` + "\n" +
			`{"article":"Second.","summary":""}`,
		"\n\n" + `{"article":"after blank lines"}` + "\n",
		`{"summary":"no article"}`, `{"article":5}`, `not json`, `{"article":"a"}{"article":"b"}`,
		"{\"article\":\"x\"}\r\n{\"article\":\"y\"}", "",
	} {
		f.Add([]byte(s))
	}
	lineErr := regexp.MustCompile(`^line [1-9][0-9]*: `)
	f.Fuzz(func(t *testing.T, data []byte) {
		arts, err := ReadArticles(bytes.NewReader(data))
		if err != nil {
			if !lineErr.MatchString(err.Error()) {
				t.Fatalf("error %q names no line", err)
			}
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.Fields(err.Error())[1], ":"))
			if lines := bytes.Count(data, []byte("\n")) + 1; n > lines {
				t.Fatalf("error %q names line %d of a %d-line input", err, n, lines)
			}
			return
		}
		for i, a := range arts {
			if strings.TrimFunc(a.Text, unicode.IsSpace) == "" {
				t.Fatalf("article %d has no text", i)
			}
		}
	})
}
