package tokenizer

import (
	"slices"
	"strings"
	"testing"
)

// FuzzEncode runs the encoder's tokenizer on any text over the real
// vocabulary: ids are in range, no two unknown ids are adjacent, the
// result is deterministic and, when every symbol is known and in the
// Basic Multilingual Plane, the pieces spell the normalised text exactly.
func FuzzEncode(f *testing.F) {
	for _, s := range []string{
		"The central bank raised interest rates by a quarter point on Wednesday.",
		"Kick-off is at 7:30 pm; doors open at 6:00.", "", " ", "Tabs\tand\nnewlines",
		"”5", "ﬁne Ｗｉｄｅ ½", "emoji 😀 and 𝔘𝔫𝔦", "日本語のテキスト", "\xff\xfe", "a\u0301e\u0300",
	} {
		f.Add(s)
	}
	tk := loadTokenizer(f)
	f.Fuzz(func(t *testing.T, s string) {
		ids := tk.Encode(s)
		for i, id := range ids {
			if id < 0 || id >= tk.VocabSize() {
				t.Fatalf("Encode(%q)[%d] = %d, out of the %d-entry vocabulary", s, i, id, tk.VocabSize())
			}
			if i > 0 && id == UnknownID && ids[i-1] == UnknownID {
				t.Fatalf("Encode(%q) = %v: adjacent unknown ids are not merged", s, ids)
			}
		}
		if again := tk.Encode(s); !slices.Equal(again, ids) {
			t.Fatalf("Encode(%q) is not deterministic: %v then %v", s, ids, again)
		}
		norm := Normalize(s)
		if slices.Contains(ids, UnknownID) || strings.ContainsFunc(norm, func(r rune) bool { return r > 0xFFFF }) {
			return
		}
		if got := strings.Join(tk.Tokens(ids), ""); got != norm {
			t.Fatalf("Encode(%q) pieces spell %q, want %q", s, got, norm)
		}
	})
}
