package ingest

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"unicode/utf8"
)

// FuzzReadRows reads arbitrary bytes as a JSONL file and as a CSV file
// (with its header, and with named columns): a reader never panics, ends
// within as many rows as the input has bytes (plus one), and every row
// is either invalid with a reason or an article whose check gives an
// article or its problems, never both.
func FuzzReadRows(f *testing.F) {
	for _, s := range []string{
		"{\"title\":\"A\",\"text\":\"b\"}\n{\"article\":\"x\",\"published_at\":\"2026-01-02\"}\n",
		"{\"title\":1}\nnot json\n\n{\"text\":\"\",\"description\":\"d\"}",
		"title,text,url\nA,b,https://x.test/\nB,\"q\"\"uote\",\n",
		"label,content\n1,\"multi\nline\"\n2\n",
		"\ufefftitle;text\n", "\"unterminated,quote\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, mode := range []struct {
			format  string
			columns []string
		}{{FormatJSONL, nil}, {FormatCSV, nil}, {FormatCSV, []string{"label", "title", "description"}}} {
			rr, err := NewReader(bytes.NewReader(data), mode.format, mode.columns)
			if err != nil {
				continue // a CSV without a text column is refused whole
			}
			for n := 0; ; n++ {
				if n > len(data)+1 {
					t.Fatalf("%s: more rows (%d) than input bytes (%d)", mode.format, n, len(data))
				}
				row, err := rr.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					break // an unreadable file ends the import with an error
				}
				if row.Invalid != "" {
					if !utf8.ValidString(row.Invalid) {
						t.Fatalf("reason %q is not UTF-8", row.Invalid)
					}
					continue
				}
				a, problems := row.Article.Check()
				if len(problems) == 0 && a.Body == "" {
					t.Fatalf("%s: row accepted without a body: %+v", mode.format, row.Article)
				}
			}
		}
	})
}
