package topic

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// sourceRE is an Example's Source: file name and a line number.
var sourceRE = regexp.MustCompile(`^[^:]+:[1-9][0-9]*$`)

// checkExamples asserts what every reader promises of what it returns.
func checkExamples(t *testing.T, exs []Example, labels []string) {
	t.Helper()
	for i, ex := range exs {
		if ex.Text == "" || strings.TrimSpace(ex.Label) == "" {
			t.Fatalf("example %d has an empty text or label: %+v", i, ex)
		}
		if !sourceRE.MatchString(ex.Source) {
			t.Fatalf("example %d: source %q does not name file and line", i, ex.Source)
		}
		if labels != nil && !slices.Contains(labels, ex.Label) {
			t.Fatalf("example %d: label %q is not one of %q", i, ex.Label, labels)
		}
	}
}

// FuzzReadCSV fuzzes the CSV import reader (LoadExamples on .csv files).
func FuzzReadCSV(f *testing.F) {
	for _, s := range []string{
		"text,label\nStocks fell,Business\n\"Quoted, with comma\",World\n",
		"\ufeffText , LABEL\r\nA,b\r\n", "label,text\nx\n", "text,label\n\"unterminated,x\n",
		"text,label\n,empty\n", "a,b\n1,2\n", "", "text,label\n\"a\"\"b\",c\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		exs, err := readCSV(bytes.NewReader(data), "in.csv", "text", "label")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "topic: in.csv") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		if len(exs) == 0 {
			t.Fatal("no examples and no error")
		}
		checkExamples(t, exs, nil)
	})
}

// FuzzReadJSONL fuzzes the JSON lines import reader.
func FuzzReadJSONL(f *testing.F) {
	for _, s := range []string{
		`{"text":"Stocks fell","label":"Business"}` + "\n" + `{"text":"Goal!","label":2}`,
		`{"text":"x"}`, `{"text":null,"label":"a"}`, "\n\n", `[1]`, `{"text":"a","label":true}`, "{\"text\":\"\\u0000\",\"label\":\"a\"}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		exs, err := readJSONL(bytes.NewReader(data), "in.jsonl", "text", "label")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "topic: in.jsonl") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		checkExamples(t, exs, nil)
	})
}

// FuzzLoadAGNews fuzzes the three AG News CSV files LoadAGNews reads. A
// bad row is an error naming the file and line, never a panic.
func FuzzLoadAGNews(f *testing.F) {
	f.Add([]byte("label,gt,text,group\n1,0,Title . Description one,g\n"),
		[]byte("\"3\",\"Wall St.\",\"Shares fell.\"\n"),
		[]byte("label,content\n2,Goal in the final minute\n"))
	f.Add([]byte("label,gt,text,group\nx,y\n"), []byte("9,a,b\n"), []byte(""))
	f.Add([]byte("h\n1,-1,z . ,g\n"), []byte("4,,\n"), []byte("h\n0,\"\"\n"))
	f.Add([]byte(""), []byte("1,\"unterminated\n"), []byte("h\n"))
	f.Fuzz(func(t *testing.T, noisy, first, joint []byte) {
		dir := t.TempDir()
		for name, body := range map[string][]byte{AGNoisyFile: noisy, AGFirstFile: first, AGJointFile: joint} {
			if err := os.WriteFile(filepath.Join(dir, name), body, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		exs, _, err := LoadAGNews(dir)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "topic: ") {
				t.Fatalf("error %q is not the package's", err)
			}
			return
		}
		checkExamples(t, exs, AGNewsLabels)
	})
}
