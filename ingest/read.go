package ingest

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Row is one record of an import file: an article to check, or why the
// record could not be read at all.
type Row struct {
	Article Article
	// Invalid explains a record that is not an article (bad JSON, wrong
	// number of CSV fields); the row is rejected with it.
	Invalid string
}

// RowReader reads the records of an import file one at a time.
type RowReader interface {
	// Next returns the next row, or io.EOF after the last one. Other
	// errors end the read (the file itself is unreadable).
	Next() (Row, error)
}

// Formats of import files.
const (
	FormatJSONL = "jsonl"
	FormatCSV   = "csv"
)

// FormatOf guesses a file's format from its name.
func FormatOf(name string) (string, error) {
	switch n := strings.ToLower(name); {
	case strings.HasSuffix(n, ".jsonl"), strings.HasSuffix(n, ".ndjson"), strings.HasSuffix(n, ".json"):
		return FormatJSONL, nil
	case strings.HasSuffix(n, ".csv"):
		return FormatCSV, nil
	}
	return "", fmt.Errorf("cannot tell the format of %q: name it .jsonl or .csv", name)
}

// NewReader returns a RowReader for r in format. columns names the
// columns of a CSV file without a header row; nil reads the header.
func NewReader(r io.Reader, format string, columns []string) (RowReader, error) {
	switch format {
	case FormatJSONL:
		return newJSONLReader(r), nil
	case FormatCSV:
		return newCSVReader(r, columns)
	}
	return nil, fmt.Errorf("unknown import format %q: use %s or %s", format, FormatJSONL, FormatCSV)
}

// maxLineBytes bounds one JSONL record.
const maxLineBytes = 4 << 20

type jsonlReader struct{ sc *bufio.Scanner }

func newJSONLReader(r io.Reader) *jsonlReader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxLineBytes)
	return &jsonlReader{sc: sc}
}

// jsonRecord is a JSONL record. The aliases read the shared corpora as
// they come: BBC News Summary and CNN name the text "article".
type jsonRecord struct {
	Title       any     `json:"title"`
	Text        *string `json:"text"`
	Description *string `json:"description"`
	Article     *string `json:"article"`
	Content     *string `json:"content"`
	URL         any     `json:"url"`
	Source      any     `json:"source"`
	PublishedAt any     `json:"published_at"`
}

func (j *jsonlReader) Next() (Row, error) {
	for j.sc.Scan() {
		line := bytes.TrimSpace(j.sc.Bytes())
		if len(line) == 0 {
			continue // blank lines are not records
		}
		var rec jsonRecord
		if err := json.Unmarshal(line, &rec); err != nil {
			return Row{Invalid: "not a JSON object"}, nil
		}
		a := Article{Text: rec.Text, Description: rec.Description}
		if a.Text == nil && a.Description == nil {
			a.Text = firstNonNil(rec.Article, rec.Content)
		}
		var bad []string
		for _, f := range []struct {
			name string
			v    any
			dst  *string
		}{{"title", rec.Title, &a.Title}, {"url", rec.URL, &a.URL}, {"source", rec.Source, &a.Source}, {"published_at", rec.PublishedAt, &a.PublishedAt}} {
			switch v := f.v.(type) {
			case nil:
			case string:
				*f.dst = v
			default:
				bad = append(bad, f.name)
			}
		}
		if len(bad) > 0 {
			return Row{Invalid: strings.Join(bad, ", ") + ": must be a string"}, nil
		}
		return Row{Article: a}, nil
	}
	if err := j.sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return Row{}, fmt.Errorf("a line is longer than %d bytes", maxLineBytes)
		}
		return Row{}, err
	}
	return Row{}, io.EOF
}

func firstNonNil(ss ...*string) *string {
	for _, s := range ss {
		if s != nil {
			return s
		}
	}
	return nil
}

type csvReader struct {
	r    *csv.Reader
	cols map[string]int
	n    int
}

// csvAliases maps accepted column names to the article's fields: AG News
// files name the text "content" or "text", BBC "article".
var csvAliases = map[string]string{
	"title": "title", "headline": "title",
	"text": "text", "body": "text", "content": "text", "article": "text",
	"description": "description",
	"url":         "url", "link": "url",
	"source":       "source",
	"published_at": "published_at", "date": "published_at",
}

func newCSVReader(r io.Reader, columns []string) (*csvReader, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1 // a short or long row is rejected, not fatal
	cr.LazyQuotes = true
	c := &csvReader{r: cr, cols: map[string]int{}}
	header := columns
	if header == nil {
		h, err := cr.Read()
		if err == io.EOF {
			return c, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read the CSV header: %w", err)
		}
		header = h
	}
	for i, name := range header {
		if f, ok := csvAliases[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(name, "\ufeff")))]; ok {
			if _, dup := c.cols[f]; !dup {
				c.cols[f] = i
			}
		}
	}
	_, text := c.cols["text"]
	_, desc := c.cols["description"]
	if !text && !desc {
		return nil, fmt.Errorf("the CSV has no text column (text, description, content, body or article) in %q; "+
			"name the columns of a file without a header with --columns", strings.Join(header, ","))
	}
	c.n = len(header)
	return c, nil
}

func (c *csvReader) Next() (Row, error) {
	rec, err := c.r.Read()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return Row{Invalid: "malformed CSV record"}, nil
		}
		return Row{}, err
	}
	if len(rec) != c.n {
		return Row{Invalid: fmt.Sprintf("has %d fields, the header %d", len(rec), c.n)}, nil
	}
	get := func(f string) (string, bool) {
		i, ok := c.cols[f]
		if !ok {
			return "", false
		}
		return rec[i], true
	}
	var a Article
	a.Title, _ = get("title")
	a.URL, _ = get("url")
	a.Source, _ = get("source")
	a.PublishedAt, _ = get("published_at")
	// A file with both columns uses text where a row has it.
	if t, ok := get("text"); ok && strings.TrimSpace(t) != "" {
		a.Text = &t
	} else if d, ok := get("description"); ok {
		a.Description = &d
	} else {
		a.Text = &t
	}
	return Row{Article: a}, nil
}
