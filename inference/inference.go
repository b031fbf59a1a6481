// Package inference runs newsintel's models in-process: the sentence
// encoder (Universal Sentence Encoder Lite, converted to ONNX and run by
// hugot's pure-Go backend) and what is built on its embeddings.
package inference

import "errors"

// Dim is the width of a sentence embedding.
const Dim = 512

// MaxTokens is the longest input the encoder reads: the graph clips every
// sequence to its first 128 tokens. Longer inputs are embedded from those
// and flagged as truncated.
const MaxTokens = 128

// ErrNotReady is returned while the model is still loading or warming up.
var ErrNotReady = errors.New("inference: the model is still loading")

// Embedding is one text's sentence embedding: unit length, Dim wide.
type Embedding struct {
	Vector []float32
	// Tokens is how many tokens the text has, before truncation.
	Tokens int
	// Truncated reports that the text had more than MaxTokens tokens and
	// only the first MaxTokens were read.
	Truncated bool
}
