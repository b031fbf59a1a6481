package inference

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// BenchmarkMatMulDType times the encoder's two matmul shapes on the Go
// backend (one thread, as a group worker runs) with the weights in
// float32, float16 and bfloat16; activations arrive in float32 and are
// converted in the graph, as a half-precision encoder would do; Int8
// quantizes both sides and accumulates in int32. It answers issue 15's
// question whether lower-precision weights can make the forward pass
// cheaper on this backend: its half-precision kernels widen to float32
// before the FMA, so only packing and memory traffic can shrink, and
// int8 has only the generic (non-SIMD) kernel.
func BenchmarkMatMulDType(b *testing.B) {
	be, err := newGoBackend(groupBackend)
	if err != nil {
		b.Fatal(err)
	}
	const m = 512 // a group of 8 texts padded to 64 tokens
	rng := rand.New(rand.NewPCG(1, 2))
	random := func(n int) []float32 {
		out := make([]float32, n)
		for i := range out {
			out[i] = rng.Float32() - 0.5
		}
		return out
	}
	for _, shape := range [][2]int{{512, 2048}, {2048, 512}, {512, 512}} {
		k, n := shape[0], shape[1]
		x := tensors.FromFlatDataAndDimensions(random(m*k), m, k)
		w32 := tensors.FromFlatDataAndDimensions(random(k*n), k, n)
		for _, dt := range []dtypes.DType{dtypes.Float32, dtypes.Float16, dtypes.BFloat16, dtypes.Int8} {
			// Int8 stands for dynamic quantization: scaled to ±127,
			// products summed in int32, scaled back.
			w := graph.MustExecOnce(be, func(w *graph.Node) *graph.Node {
				if dt == dtypes.Int8 {
					w = graph.MulScalar(w, 254)
				}
				return graph.ConvertDType(w, dt)
			}, w32)
			exec := graph.MustNewExec(be, func(x, w *graph.Node) *graph.Node {
				if dt == dtypes.Int8 {
					q := graph.ConvertDType(graph.MulScalar(x, 254), dt)
					y := graph.Dot(q, w).WithOutputDType(dtypes.Int32).WithAccumulatorDType(dtypes.Int32).MatMul()
					return graph.MulScalar(graph.ConvertDType(y, dtypes.Float32), 1.0/(254*254))
				}
				return graph.ConvertDType(graph.MatMul(graph.ConvertDType(x, dt), w), dtypes.Float32)
			})
			b.Run(fmt.Sprintf("%dx%dx%d/%s", m, k, n, dt), func(b *testing.B) {
				exec.MustExec(x, w) // compile
				b.ResetTimer()
				for b.Loop() {
					exec.MustExec(x, w)
				}
				b.ReportMetric(2*float64(m*k*n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
