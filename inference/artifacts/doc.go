// Package artifacts packs a topic model folder (see package
// inference/topic) into one verifiable archive, unpacks such an archive
// only after every byte checks out, and moves archives to and from an
// artifact store.
//
// An archive is a gzip-compressed tar file named <label>.tar.gz (see
// ArchiveName). Its first entry is manifest.json (see Manifest): the
// label, the model's id, encoder and training-data hash, its dev metrics
// and the size and SHA-256 of every other entry. The other entries are the
// model folder's regular files (model.json, weights.bin, README.md), flat,
// in name order. Bundling the same folder under the same label always
// gives the same bytes: entries are sorted, owners and modes are fixed and
// every timestamp is the model's creation time, so an archive's own
// SHA-256 identifies the model.
//
// Typical use, as in the bundle-artifacts and pull-artifacts commands:
//
//	st, err := artifacts.Open(ctx, "s3://models/newsintel", artifacts.Config{S3: s3cfg})
//	m, err := artifacts.Push(ctx, st, "inference/topic/models/agnews-v1", "2026-11-27")
//	...
//	m, err := artifacts.Pull(ctx, st, "2026-11-27", "/var/lib/newsintel/models/2026-11-27")
//
// The lower-level Bundle, Verify and Unpack work on plain readers and
// writers. Unpack writes into a temporary folder beside the destination
// and renames it into place only once every file matches the manifest,
// the manifest agrees with model.json and the model loads, so a refused
// archive leaves nothing behind.
//
// Stores are chosen by URL (see Open): a plain path or file:// URL names a
// folder on disk; s3://bucket/prefix names an S3-compatible bucket, reached
// with the endpoint and credentials the caller puts in S3Config (the
// package reads no environment variables).
package artifacts
