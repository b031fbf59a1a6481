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

// benchArticles returns, for each of sizes, the BBC articles within 10%
// of that many words.
func benchArticles(path string, sizes ...int) ([][]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := make([][]string, len(sizes))
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<22)
	for sc.Scan() {
		var a struct {
			Article string `json:"article"`
		}
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		w := len(strings.Fields(a.Article))
		for k, size := range sizes {
			if w*10 >= size*9 && w*10 <= size*11 {
				out[k] = append(out[k], a.Article)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	for k, size := range sizes {
		if len(out[k]) == 0 {
			return nil, fmt.Errorf("%s: no articles of ~%d words", path, size)
		}
	}
	return out, nil
}
