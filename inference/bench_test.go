package inference

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/newsintel/newsintel/inference/internal/testenv"
	"github.com/newsintel/newsintel/inference/use"
)

// The encoder's speed, with its two anchors measured in the same run:
//
//	GOTOOLCHAIN=go1.27.3 GOEXPERIMENT=simd go test -run '^$' -bench 'Encode|ReferenceJS|ONNXRuntime' -benchtime 20x ./inference
//
// BenchmarkEncode runs the Go encoder on the 64 texts of each set of
// testdata/bench_sets.json ("news": title and lead, ~50 tokens; "para":
// paragraphs of ~200 tokens, of which the model reads 128) at batch 1, 8,
// 32 and 64. BenchmarkReferenceJS runs the reference JavaScript
// implementation and BenchmarkONNXRuntime runs ONNX Runtime on our
// model.onnx, both in Node on the same texts (the latter on the same
// token ids). The anchors need `npm ci` in testdata/reference and
// `ONNXRUNTIME_NODE_INSTALL=skip npm ci` in testdata/ort (the flag stops
// onnxruntime-node's install script fetching a CUDA provider); without
// them they are skipped with that instruction.

var (
	benchSets    = []string{"news", "para"}
	benchBatches = []int{1, 8, 32, 64}
)

func loadBenchSets(b *testing.B) map[string][]string {
	b.Helper()
	raw, err := os.ReadFile(filepath.Join(testenv.Root(), "testdata", "bench_sets.json"))
	if err != nil {
		b.Fatal(err)
	}
	var sets map[string][]string
	if err := json.Unmarshal(raw, &sets); err != nil {
		b.Fatal(err)
	}
	return sets
}

func BenchmarkEncode(b *testing.B) {
	sets := loadBenchSets(b)
	e, err := Open(context.Background(), buildFolder(b, nil))
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	ctx := context.Background()
	if err := e.Warm(ctx); err != nil {
		b.Fatal(err)
	}
	for _, set := range benchSets {
		texts := sets[set]
		for _, batch := range benchBatches {
			b.Run(fmt.Sprintf("%s/batch=%d", set, batch), func(b *testing.B) {
				b.ReportAllocs()
				docs, tokens := 0, 0
				for b.Loop() {
					for lo := 0; lo < len(texts); lo += batch {
						embs, err := e.Encode(ctx, texts[lo:min(lo+batch, len(texts))])
						if err != nil {
							b.Fatal(err)
						}
						for _, emb := range embs {
							tokens += min(emb.Tokens, MaxTokens)
						}
						docs += len(embs)
					}
				}
				secs := b.Elapsed().Seconds()
				b.ReportMetric(float64(docs)/secs, "docs/s")
				b.ReportMetric(float64(tokens)/secs, "tokens/s")
				b.ReportMetric(peakRSSMiB(), "peak-RSS-MiB")
			})
		}
	}
}

func BenchmarkReferenceJS(b *testing.B) {
	dir := filepath.Join(testenv.Root(), "testdata", "reference")
	needNodeModules(b, dir, "npm ci")
	for _, set := range benchSets {
		for _, batch := range benchBatches {
			b.Run(fmt.Sprintf("%s/batch=%d", set, batch), func(b *testing.B) {
				runAnchor(b, dir, "node", "bench_sets.js", set, strconv.Itoa(batch), "5")
			})
		}
	}
}

func BenchmarkONNXRuntime(b *testing.B) {
	dir := filepath.Join(testenv.Root(), "testdata", "ort")
	needNodeModules(b, dir, "ONNXRUNTIME_NODE_INSTALL=skip npm ci")
	model := buildFolder(b, nil)
	// The token ids the Go encoder feeds, clipped as it clips them.
	e, err := Open(context.Background(), model)
	if err != nil {
		b.Fatal(err)
	}
	ids := map[string][][]int{}
	for set, texts := range loadBenchSets(b) {
		for _, t := range texts {
			tok := e.Tokenize(t)
			ids[set] = append(ids[set], tok[:min(len(tok), MaxTokens)])
		}
	}
	e.Close()
	raw, _ := json.Marshal(ids)
	idsFile := filepath.Join(b.TempDir(), "ids.json")
	if err := os.WriteFile(idsFile, raw, 0o644); err != nil {
		b.Fatal(err)
	}
	for _, set := range benchSets {
		for _, batch := range benchBatches {
			b.Run(fmt.Sprintf("%s/batch=%d", set, batch), func(b *testing.B) {
				runAnchor(b, dir, "node", "bench.js", filepath.Join(model, use.ModelFile), idsFile, set, strconv.Itoa(batch), "5", "1")
			})
		}
	}
}

func needNodeModules(b *testing.B, dir, install string) {
	if _, err := os.Stat(filepath.Join(dir, "node_modules")); err != nil {
		b.Skipf("anchor not installed: run `%s` in %s", install, dir)
	}
}

// runAnchor runs a Node benchmark, which times itself for a few seconds,
// once whatever b.N is, and reports its docs/s and peak RSS.
func runAnchor(b *testing.B, dir string, argv ...string) {
	var docsPerSec float64
	{
		cmd := exec.Command("/usr/bin/time", append([]string{"-f", "maxrss %M"}, argv...)...)
		cmd.Dir = dir
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			b.Fatalf("%v: %v\n%s", argv, err, stderr.String())
		}
		sc := bufio.NewScanner(bytes.NewReader(out))
		for sc.Scan() {
			var cell struct {
				DocsPerSec float64 `json:"docsPerSec"`
			}
			if json.Unmarshal(sc.Bytes(), &cell) == nil && cell.DocsPerSec > 0 {
				docsPerSec = cell.DocsPerSec
			}
		}
		if kb, ok := strings.CutPrefix(strings.TrimSpace(lastLine(stderr.String())), "maxrss "); ok {
			if n, err := strconv.Atoi(kb); err == nil {
				b.ReportMetric(float64(n)/1024, "peak-RSS-MiB")
			}
		}
	}
	if docsPerSec == 0 {
		b.Fatalf("%v printed no docsPerSec", argv)
	}
	b.ReportMetric(docsPerSec, "docs/s")
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// peakRSSMiB is this process's peak resident memory.
func peakRSSMiB() float64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return float64(kb) / 1024
		}
	}
	return 0
}
