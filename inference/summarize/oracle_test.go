package summarize

import (
	"slices"
	"testing"
)

func TestOracleSentences(t *testing.T) {
	text := "The council met on Tuesday evening. Floods closed the main bridge into Riverside on Monday. " +
		"Residents were told to stay indoors. The army sent two hundred soldiers to fill sandbags."
	d := NewDocument("", text)
	for _, tt := range []struct {
		ref  string
		k    int
		want []int
	}{
		// The sentences that make up the reference, in document order,
		// whatever order the reference has them in.
		{"The army sent two hundred soldiers to fill sandbags. Floods closed the main bridge into Riverside.", 3, []int{1, 3}},
		// At most k sentences.
		{"The army sent two hundred soldiers to fill sandbags. Floods closed the main bridge into Riverside.", 1, []int{3}},
		// Nothing that raises ROUGE: nothing selected.
		{"Quarterly profits jumped.", 3, nil},
	} {
		if got := OracleSentences(d, tt.ref, tt.k); !slices.Equal(got, tt.want) {
			t.Errorf("oracle of %q (k=%d) = %v, want %v", tt.ref, tt.k, got, tt.want)
		}
	}
}

func TestStampsAreNotCandidates(t *testing.T) {
	text := "By . Daily Mail Reporter . PUBLISHED: . 12:03 EST, 5 May 2013 . | . UPDATED: . 15:36 EST, 5 May 2013 . " +
		"Floods closed the main bridge into Riverside on Monday. " +
		"The blast at 10:30 EST on Monday killed four people at the station, police said."
	d := NewDocument("", text)
	var cands []string
	for i, s := range d.Sentences {
		if d.Candidate[i] {
			cands = append(cands, s.Text)
		}
	}
	want := []string{"Floods closed the main bridge into Riverside on Monday.",
		"The blast at 10:30 EST on Monday killed four people at the station, police said."}
	if !slices.Equal(cands, want) {
		t.Errorf("candidates %q, want %q", cands, want)
	}
}
