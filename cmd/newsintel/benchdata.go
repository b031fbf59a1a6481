package main

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// benchHeadlines reads up to n texts (title and lead) from an AG News
// CSV with a "text" column.
func benchHeadlines(path string, n int) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	col := -1
	for i, h := range header {
		if h == "text" {
			col = i
		}
	}
	if col < 0 {
		return nil, fmt.Errorf("%s: no text column", path)
	}
	var out []string
	for len(out) < n {
		rec, err := r.Read()
		if err != nil {
			break
		}
		out = append(out, rec[col])
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no rows", path)
	}
	return out, nil
}

// benchArticles returns BBC articles of about 300 and about 800 words.
func benchArticles(path string) (short, long []string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<22)
	for sc.Scan() {
		var a struct {
			Article string `json:"article"`
		}
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", path, err)
		}
		switch w := len(strings.Fields(a.Article)); {
		case w >= 270 && w <= 330:
			short = append(short, a.Article)
		case w >= 720 && w <= 880:
			long = append(long, a.Article)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, nil, err
	}
	if len(short) == 0 || len(long) == 0 {
		return nil, nil, fmt.Errorf("%s: no articles of ~300 and ~800 words", path)
	}
	return short, long, nil
}
