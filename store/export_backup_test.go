package store

// EncodeValue exposes how Digest writes one value.
var EncodeValue = encodeValue
