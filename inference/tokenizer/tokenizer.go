// Package tokenizer is an exact Go port of the SentencePiece-style tokenizer
// shipped with @energetic-ai/embeddings 0.2.x (itself a port of the
// TensorFlow.js Universal Sentence Encoder tokenizer).
//
// The reference algorithm is a Viterbi search over a unigram vocabulary, but
// with several quirks that a standard Unigram implementation (HF tokenizers,
// SentencePiece) does not reproduce; they are kept here on purpose because
// the model was used with them:
//
//   - Normalisation is NFKC followed by prefixing "▁" and replacing every
//     U+0020 space with "▁" (other whitespace is left alone).
//   - The first ReservedCount vocabulary entries are never matched.
//   - An "unknown" candidate (id 0, score 0) is only created at positions
//     where no vocabulary piece starts, and it scores 0, i.e. better than any
//     real piece.
//   - A lattice cell whose best score is exactly 0 is treated as unset, so
//     the next candidate always replaces it; ties go to the later candidate.
//   - Back-tracking steps back by the UTF-16 length of the chosen piece;
//     positions that were never reached back-track as unknown (id 0).
//   - Runs of consecutive unknown ids are merged into one.
//
// Duplicated pieces resolve to the last id in the vocabulary, as in the
// reference trie.
package tokenizer

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode/utf16"

	"golang.org/x/text/unicode/norm"
)

// Separator is the SentencePiece meta symbol that stands for a space.
const Separator = "\u2581"

// ReservedCount is the number of leading vocabulary entries (unknown,
// <s>, </s> and three extra ids) that the reference never matches.
const ReservedCount = 6

// UnknownID is the id emitted for text that no piece covers.
const UnknownID = 0

// Piece is one vocabulary entry.
type Piece struct {
	Text  string
	Score float64
}

// ReadVocabJSON decodes a vocab.json file: a JSON array of [piece, score].
func ReadVocabJSON(r io.Reader) ([]Piece, error) {
	var raw [][2]json.RawMessage
	if err := json.NewDecoder(r).Decode(&raw); err != nil {
		return nil, fmt.Errorf("tokenizer: decoding vocabulary: %w", err)
	}
	out := make([]Piece, len(raw))
	for i, e := range raw {
		if err := json.Unmarshal(e[0], &out[i].Text); err != nil {
			return nil, fmt.Errorf("tokenizer: entry %d: piece: %w", i, err)
		}
		if err := json.Unmarshal(e[1], &out[i].Score); err != nil {
			return nil, fmt.Errorf("tokenizer: entry %d: score: %w", i, err)
		}
	}
	return out, nil
}

type trieNode struct {
	children map[rune]*trieNode
	end      bool
	score    float64
	id       int
	length   int // number of code points from the root
}

// Tokenizer encodes text to vocabulary ids. It is safe for concurrent use.
type Tokenizer struct {
	vocab    []Piece
	utf16Len []int
	root     *trieNode
}

// New builds a tokenizer over vocab. Entries before ReservedCount are kept
// for id lookups but are not matched.
func New(vocab []Piece) (*Tokenizer, error) {
	if len(vocab) <= ReservedCount {
		return nil, fmt.Errorf("tokenizer: vocabulary has %d entries, want more than %d", len(vocab), ReservedCount)
	}
	t := &Tokenizer{
		vocab:    vocab,
		utf16Len: make([]int, len(vocab)),
		root:     &trieNode{children: map[rune]*trieNode{}},
	}
	for id, p := range vocab {
		t.utf16Len[id] = len(utf16.Encode([]rune(p.Text)))
		if id < ReservedCount {
			continue
		}
		node := t.root
		for _, r := range p.Text {
			child, ok := node.children[r]
			if !ok {
				child = &trieNode{children: map[rune]*trieNode{}, length: node.length + 1}
				node.children[r] = child
			}
			node = child
		}
		if node != t.root {
			node.end = true
			node.score = p.Score
			node.id = id
		}
	}
	return t, nil
}

// VocabSize returns the number of vocabulary entries.
func (t *Tokenizer) VocabSize() int { return len(t.vocab) }

// Piece returns the text of id, or "" if id is out of range.
func (t *Tokenizer) Piece(id int) string {
	if id < 0 || id >= len(t.vocab) {
		return ""
	}
	return t.vocab[id].Text
}

// Vocab returns the vocabulary (shared; do not modify).
func (t *Tokenizer) Vocab() []Piece { return t.vocab }

// Normalize applies the reference pre-processing: NFKC, then, for non-empty
// text, a leading "▁" and "▁" in place of every U+0020.
func Normalize(s string) string {
	s = norm.NFKC.String(s)
	if s == "" {
		return s
	}
	return Separator + strings.ReplaceAll(s, " ", Separator)
}

type candidate struct {
	start int
	score float64
	id    int
}

// Encode returns the token ids of s, exactly as the reference does. The
// result is not truncated; the model itself only reads the first
// MaxLength ids (see package use).
//
// Go strings cannot hold lone UTF-16 surrogates; invalid UTF-8 is read as
// U+FFFD, which the reference would see as the same character.
func (t *Tokenizer) Encode(s string) []int {
	symbols := []rune(Normalize(s))
	n := len(symbols)
	if n == 0 {
		return []int{}
	}
	// ends[e] holds the candidates ending at e, in increasing start order
	// (the order in which the reference iterates them).
	ends := make([][]candidate, n+1)
	for i := 0; i < n; i++ {
		found := false
		node := t.root.children[symbols[i]]
		for j := i; node != nil; {
			if node.end {
				found = true
				e := i + node.length
				ends[e] = append(ends[e], candidate{start: i, score: node.score, id: node.id})
			}
			j++
			if j >= n {
				break
			}
			node = node.children[symbols[j]]
		}
		if !found {
			ends[i+1] = append(ends[i+1], candidate{start: i, score: 0, id: UnknownID})
		}
	}
	best := make([]float64, n+1)
	words := make([]int, n+1)
	for e := 0; e <= n; e++ {
		for _, c := range ends[e] {
			score := c.score + best[c.start]
			if best[e] == 0 || score >= best[e] {
				best[e] = score
				words[e] = c.id
			}
		}
	}
	var reversed []int
	for i := n; i > 0; i -= t.utf16Len[words[i]] {
		reversed = append(reversed, words[i])
	}
	out := make([]int, 0, len(reversed))
	prevUnknown := false
	for k := len(reversed) - 1; k >= 0; k-- {
		id := reversed[k]
		if !(prevUnknown && id == UnknownID) {
			out = append(out, id)
		}
		prevUnknown = id == UnknownID
	}
	return out
}

// Tokens returns the piece strings of ids.
func (t *Tokenizer) Tokens(ids []int) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = t.Piece(id)
	}
	return out
}
