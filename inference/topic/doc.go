// Package topic classifies news texts into topics: a sentence encoder
// (package inference) plus heads trained in Go on labeled articles.
//
// # Models
//
// A Model is a small set of heads whose log-probabilities are added with
// weights and soft-maxed at a calibrated temperature:
//
//   - linear: multinomial logistic regression (L2, L-BFGS, early stopping
//     on the dev split) on the sentence embedding, on hashed words and
//     bigrams (2^bits signed buckets, 1+ln tf, optional IDF, unit length),
//     or on both;
//   - mlp: one hidden ReLU layer on the embedding (AdamW, dropout, early
//     stopping);
//   - prototype: cosine similarity to topic definitions (zero/few-shot,
//     see NewZeroShot).
//
// Train deduplicates the examples, splits them (stratified, seeded) into
// train and dev, embeds them, trains each variant of Options.Variants and
// keeps the one with the best dev accuracy. Every text goes through
// Normalize, at training and at serving time alike. With
// Options.NearDupJaccard, near-duplicate articles are kept on one side of
// the split (see NearDuplicateClusters); with Options.TestFraction a test
// part is held out, and it and Options.Checks are scored for every
// variant without anything being chosen on them.
//
// # Artifacts
//
// Model.Save writes a folder with model.json (format, labels, encoder id,
// normaliser version, heads, temperature, creation time, training
// provenance: command, seed, options, data hashes, dev metrics of every
// variant) and weights.bin (the tensors listed in model.json, little-endian
// float32 or float16, checked by SHA-256). Load and LoadFS read it back;
// Default returns the embedded AG News model (models/agnews-v2, trained
// on the honest split); Builtin also reads the older agnews-v1.
//
// # Serving
//
// Model.Predict normalises, embeds and classifies texts. A server that
// batches embeddings itself calls Model.PredictEmbedded with the
// embeddings of Normalize(text). Predictions carry every label's
// probability and the Uncertainty (top probability, margin, normalised
// entropy) a review queue sorts by.
package topic
