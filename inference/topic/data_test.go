package topic

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestLoadExamples(t *testing.T) {
	tests := []struct {
		name, file, textCol, labelCol string
		wantTexts, wantLabels         []string
		wantErr                       string
	}{
		{
			name: "csv", file: "examples.csv", textCol: "headline", labelCol: "topic",
			wantTexts: []string{"Stocks rally as Fed holds rates $2 gain", "Striker scores twice in cup final",
				"Rebels' leader signs peace deal", "New chip doubles battery life", `"Record quarter" for retailer`},
			wantLabels: []string{"Business", "Sports", "World", "Sci/Tech", "Business"},
		},
		{
			name: "csv header is case-insensitive", file: "examples.csv", textCol: "HEADLINE", labelCol: "Topic",
			wantTexts:  []string{"Stocks rally as Fed holds rates $2 gain", "Striker scores twice in cup final", "Rebels' leader signs peace deal", "New chip doubles battery life", `"Record quarter" for retailer`},
			wantLabels: []string{"Business", "Sports", "World", "Sci/Tech", "Business"},
		},
		{
			name: "jsonl with a numeric label and a blank line", file: "examples.jsonl", textCol: "text", labelCol: "label",
			wantTexts:  []string{"Stocks rally as Fed holds rates", "Striker scores twice in cup final", "New chip doubles battery life"},
			wantLabels: []string{"Business", "2", "Sci/Tech"},
		},
		{name: "missing column", file: "examples.csv", textCol: "body", labelCol: "topic", wantErr: `no column "body"`},
		{name: "missing field", file: "examples.jsonl", textCol: "text", labelCol: "category", wantErr: `no field "category"`},
		{name: "missing file", file: "nope.csv", textCol: "text", labelCol: "label", wantErr: "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			exs, err := LoadExamples(filepath.Join("testdata", tt.file), tt.textCol, tt.labelCol)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var texts, labels []string
			for _, ex := range exs {
				texts = append(texts, ex.Text)
				labels = append(labels, ex.Label)
				if ex.Source == "" {
					t.Errorf("example %q has no source", ex.Text)
				}
			}
			if !slices.Equal(texts, tt.wantTexts) {
				t.Errorf("texts = %q, want %q", texts, tt.wantTexts)
			}
			if !slices.Equal(labels, tt.wantLabels) {
				t.Errorf("labels = %q, want %q", labels, tt.wantLabels)
			}
		})
	}
}

func TestLoadExamplesEmptyText(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.csv")
	if err := os.WriteFile(path, []byte("text,label\n\"  \",World\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadExamples(path, "text", "label"); err == nil || !strings.Contains(err.Error(), "bad.csv:2: empty text") {
		t.Fatalf("err = %v, want the empty text of bad.csv:2", err)
	}
}

func TestLoadAGNewsFixture(t *testing.T) {
	exs, st, err := LoadAGNews(filepath.Join("testdata", "agnews"))
	if err != nil {
		t.Fatal(err)
	}
	// 10 rows: the Vivendi and cup stories appear twice with one label, the
	// chip story three times with two labels (dropped), the rest once.
	wantSt := DedupStats{In: 10, Out: 5, Duplicates: 5, Conflicts: 1}
	if st != wantSt {
		t.Errorf("stats = %+v, want %+v", st, wantSt)
	}
	want := []struct{ label, text string }{
		{"Business", "Vivendi Fined $1.35 Million . Vivendi Universal and Messier's lawyer said Tuesday."},
		{"Sports", "Cup final . The home side scored twice to win the cup."},
		{"World", `Peace talks . Leaders met in Geneva to discuss a "lasting" truce.`},
		{"Business", "Wall St. Bears Claw Back (Reuters) . Reuters - Short-sellers, Wall Street's dwindling band of ultra-cynics, are seeing green again."},
		{"World", "Rebels took the northern town overnight."},
	}
	if len(exs) != len(want) {
		t.Fatalf("got %d examples, want %d: %+v", len(exs), len(want), exs)
	}
	for i, w := range want {
		if exs[i].Label != w.label || exs[i].Text != w.text {
			t.Errorf("example %d = %s %q, want %s %q", i, exs[i].Label, exs[i].Text, w.label, w.text)
		}
	}
}

func TestDedupe(t *testing.T) {
	tests := []struct {
		name  string
		in    []Example
		want  []string // texts kept, in order
		stats DedupStats
	}{
		{"no duplicates", []Example{{Text: "a", Label: "x"}, {Text: "b", Label: "y"}}, []string{"a", "b"}, DedupStats{2, 2, 0, 0}},
		{"case and punctuation", []Example{{Text: "Hello, world", Label: "x"}, {Text: "b", Label: "y"}, {Text: "hello world!", Label: "x"}}, []string{"Hello, world", "b"}, DedupStats{3, 2, 1, 0}},
		{"keeps the longest", []Example{{Text: "short", Label: "x", Key: "k"}, {Text: "much longer", Label: "x", Key: "k"}}, []string{"much longer"}, DedupStats{2, 1, 1, 0}},
		{"conflict drops all copies", []Example{{Text: "a", Label: "x"}, {Text: "A", Label: "y"}, {Text: "b", Label: "y"}}, []string{"b"}, DedupStats{3, 1, 2, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, st := Dedupe(tt.in)
			var texts []string
			for _, ex := range out {
				texts = append(texts, ex.Text)
			}
			if !slices.Equal(texts, tt.want) || st != tt.stats {
				t.Errorf("Dedupe = %q %+v, want %q %+v", texts, st, tt.want, tt.stats)
			}
		})
	}
}

func TestStratifiedSplit(t *testing.T) {
	var exs []Example
	sizes := map[string]int{"a": 100, "b": 30, "c": 7, "d": 1}
	for _, l := range sortedKeys(sizes) {
		for i := range sizes[l] {
			exs = append(exs, Example{Text: fmt.Sprintf("%s-%d", l, i), Label: l})
		}
	}
	tr, dev := StratifiedSplit(exs, 0.1, 42)
	if len(tr)+len(dev) != len(exs) {
		t.Fatalf("%d + %d examples, want %d", len(tr), len(dev), len(exs))
	}
	wantDev := map[string]int{"a": 10, "b": 3, "c": 1}
	if got := labelCounts(dev); fmt.Sprint(got) != fmt.Sprint(wantDev) {
		t.Errorf("dev counts = %v, want %v", got, wantDev)
	}
	seen := map[string]bool{}
	for _, ex := range tr {
		seen[ex.Text] = true
	}
	for _, ex := range dev {
		if seen[ex.Text] {
			t.Errorf("%q is in both parts", ex.Text)
		}
	}
	tr2, dev2 := StratifiedSplit(exs, 0.1, 42)
	if !slices.Equal(dev, dev2) || !slices.Equal(tr, tr2) {
		t.Error("the same seed gave a different split")
	}
	_, dev3 := StratifiedSplit(exs, 0.1, 43)
	if slices.Equal(dev, dev3) {
		t.Error("another seed gave the same split")
	}
}

func TestDataHash(t *testing.T) {
	a := []Example{{Text: "x", Label: "1"}, {Text: "y", Label: "2"}}
	b := []Example{{Text: "x", Label: "1"}, {Text: "y", Label: "3"}}
	c := []Example{{Text: "x1", Label: ""}, {Text: "y", Label: "2"}}
	if DataHash(a) == DataHash(b) || DataHash(a) == DataHash(c) || DataHash(a) != DataHash(slices.Clone(a)) {
		t.Error("DataHash does not tell the data apart")
	}
}

// sharedData returns the shared AG News folder (../shared beside the
// repository), or skips the test when this checkout has none.
func sharedData(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(repoRoot(), "..", "shared", "data", "ag_news")
	if _, err := os.Stat(filepath.Join(dir, AGNoisyFile)); err != nil {
		t.Skipf("the shared AG News data is absent (%v)", err)
	}
	return dir
}

func TestLoadAGNewsShared(t *testing.T) {
	dir := sharedData(t)
	exs, st, err := LoadAGNews(dir)
	if err != nil {
		t.Fatal(err)
	}
	if st.In != 10000+8000+581 {
		t.Errorf("read %d rows, want 18581", st.In)
	}
	// The files share 656 descriptions; with the duplicates inside the
	// files, deduplication removes a little more.
	if st.Duplicates < 656 || st.Out != len(exs) || len(exs) < 17000 {
		t.Errorf("dedup stats %+v", st)
	}
	counts := labelCounts(exs)
	for _, l := range AGNewsLabels {
		if counts[l] < 4000 {
			t.Errorf("label %s has %d examples", l, counts[l])
		}
	}
	for _, ex := range exs {
		for _, bad := range []string{"#39;", " quot;", `\$`, "&lt;", "&amp;"} {
			if strings.Contains(ex.Text, bad) {
				t.Fatalf("%s: %q still has %q", ex.Source, ex.Text, bad)
			}
		}
	}
}
