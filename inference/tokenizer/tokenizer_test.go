package tokenizer

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/newsintel/newsintel/inference/internal/testenv"
)

func loadTokenizer(t testing.TB) *Tokenizer {
	t.Helper()
	f, err := os.Open(filepath.Join(testenv.ModelDir(t), "vocab.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	vocab, err := ReadVocabJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	tk, err := New(vocab)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

// TestGoldenIDs checks every golden input against the reference token ids.
func TestGoldenIDs(t *testing.T) {
	tk := loadTokenizer(t)
	g := testenv.LoadGolden(t)
	mismatches := 0
	for i, in := range g.Inputs {
		got := tk.Encode(in)
		if !slices.Equal(got, g.IDs[i]) {
			mismatches++
			t.Errorf("input %d %q:\n got %v\nwant %v", i, in, got, g.IDs[i])
		}
	}
	t.Logf("%d/%d inputs match the reference token ids", len(g.Inputs)-mismatches, len(g.Inputs))
}

func TestQuirks(t *testing.T) {
	tk := loadTokenizer(t)
	cases := []struct {
		in   string
		want []int
	}{
		{"", []int{}},
		{" ", []int{30, 30}},
		{"ab", []int{2733}},
		{"Tabs\tand\nnewlines", []int{803, 1436, 0, 381, 0, 2664, 721, 7}},
		{"Kick-off is at 7:30 pm; doors open at 6:00.", []int{348, 1355, 24, 1254, 18, 38, 444, 4177, 1804, 138, 1601, 7, 618, 38, 365, 5920, 6}},
	}
	for _, c := range cases {
		if got := tk.Encode(c.in); !slices.Equal(got, c.want) {
			t.Errorf("Encode(%q) = %v, want %v", c.in, got, c.want)
		}
	}
	// Duplicate pieces resolve to the last id, as in the reference trie.
	if got := tk.Encode("”5"); !slices.Contains(got, 4464) {
		t.Errorf("Encode(”5) = %v, want it to use id 4464", got)
	}
}

func BenchmarkEncode(b *testing.B) {
	tk := loadTokenizer(b)
	s := "The central bank raised interest rates by a quarter point on Wednesday, and stocks fell sharply in early trading."
	for b.Loop() {
		tk.Encode(s)
	}
}
