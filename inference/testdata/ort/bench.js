// Throughput anchor: our converted model.onnx run by ONNX Runtime (CPU EP)
// through onnxruntime-node, on the token ids of the Go benchmark sets.
//
// Install: ONNXRUNTIME_NODE_INSTALL=skip npm ci
//   onnxruntime-node ships the CPU runtime (libonnxruntime.so.1) in its npm
//   tarball; on linux/x64 its postinstall script additionally downloads the
//   CUDA 12 execution provider from NuGet, which is not reachable here and
//   not needed for CPU. ONNXRUNTIME_NODE_INSTALL=skip turns that step off.
//
// Usage: node bench.js MODEL.onnx IDS.json [sets=news,para] [batches=1,8,32,64] [seconds=10] [repeats=3] [threads=0]
//   IDS.json is written by BenchmarkONNXRuntime in inference/bench_test.go
//   (token ids as the Go encoder feeds them, already clipped to 128).
//   threads: intra-op threads (0 = ORT default, one per core).
// Timed: building the padded int64 input tensors and session.run, per
// batch, repeated over whole passes of the 64 texts for at least `seconds`;
// the median of `repeats` measurements is printed as one JSON line per cell.
"use strict";

const fs = require("fs");
const ort = require("onnxruntime-node");

function inputs(batchIds) {
  const len = Math.max(1, ...batchIds.map((r) => r.length));
  const ids = new BigInt64Array(batchIds.length * len);
  const mask = new BigInt64Array(batchIds.length * len);
  batchIds.forEach((row, b) => row.forEach((id, i) => {
    ids[b * len + i] = BigInt(id);
    mask[b * len + i] = 1n;
  }));
  const dims = [batchIds.length, len];
  return { input_ids: new ort.Tensor("int64", ids, dims), attention_mask: new ort.Tensor("int64", mask, dims) };
}

async function main() {
  const [modelPath, idsPath] = process.argv.slice(2, 4);
  if (!modelPath || !idsPath) throw new Error("usage: node bench.js MODEL.onnx IDS.json [sets] [batches] [seconds] [repeats] [threads]");
  const sets = (process.argv[4] || "news,para").split(",");
  const batches = (process.argv[5] || "1,8,32,64").split(",").map(Number);
  const seconds = Number(process.argv[6] || 10);
  const repeats = Number(process.argv[7] || 3);
  const threads = Number(process.argv[8] || 0);
  const all = JSON.parse(fs.readFileSync(idsPath, "utf8"));
  const opts = { executionProviders: ["cpu"], graphOptimizationLevel: "all" };
  if (threads > 0) opts.intraOpNumThreads = threads;
  const session = await ort.InferenceSession.create(modelPath, opts);
  for (const name of sets) {
    const ids = all[name];
    const lens = ids.map((r) => r.length);
    for (const batch of batches) {
      const pass = async () => {
        for (let s = 0; s < ids.length; s += batch) {
          const out = await session.run(inputs(ids.slice(s, s + batch)));
          if (out.sentence_embedding.dims[1] !== 512) throw new Error("bad output");
        }
      };
      await pass(); // warm-up
      const rates = [];
      const cpu = [];
      for (let r = 0; r < repeats; r++) {
        let passes = 0;
        let secs = 0;
        const cpu0 = process.cpuUsage();
        const t0 = process.hrtime.bigint();
        while (passes < 1 || secs < seconds) {
          await pass();
          passes++;
          secs = Number(process.hrtime.bigint() - t0) / 1e9;
        }
        rates.push((passes * ids.length) / secs);
        const d = process.cpuUsage(cpu0);
        cpu.push((d.user + d.system) / 1000 / (passes * ids.length));
      }
      const sorted = [...rates].sort((a, b) => a - b);
      console.log(JSON.stringify({
        impl: "ort", set: name, batch, meanTokens: lens.reduce((a, b) => a + b, 0) / lens.length,
        maxTokens: Math.max(...lens), docsPerSec: Math.round(sorted[Math.floor(sorted.length / 2)] * 100) / 100,
        cpuMsPerDoc: Math.round([...cpu].sort((a, b) => a - b)[Math.floor(cpu.length / 2)] * 100) / 100,
        runs: rates.map((x) => Math.round(x * 100) / 100), ortVersion: ort.env.versions.node,
      }));
    }
  }
}

main().catch((err) => { console.error(err); process.exit(1); });
