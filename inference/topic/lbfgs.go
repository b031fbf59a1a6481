package topic

import (
	"context"
	"errors"
	"math"
)

// objective returns f(x) and writes its gradient into grad.
type objective func(x, grad []float64) float64

// lbfgsOptions configures minimize.
type lbfgsOptions struct {
	Memory  int     // history pairs, 10 if 0
	MaxIter int     // iterations, 500 if 0
	GradTol float64 // stop when ‖g‖∞ < GradTol, 1e-6 if 0
	FuncTol float64 // stop when the relative decrease of f over 5 iterations is below FuncTol, 1e-10 if 0
	// After is called after every iteration with the iterate (which it
	// must not keep) and returns true to stop early.
	After func(iter int, x []float64, f float64) bool
}

// lbfgsResult says why and where minimize stopped.
type lbfgsResult struct {
	Iterations int     `json:"iterations"`
	Evals      int     `json:"evaluations"`
	F          float64 `json:"loss"`
	GradNorm   float64 `json:"grad_inf_norm"`
	Stop       string  `json:"stop"`
}

var errLineSearch = errors.New("topic: line search failed")

// minimize runs L-BFGS with a backtracking line search (Armijo condition,
// curvature pairs kept only when sᵀy > 0) from x, which it updates in place.
func minimize(ctx context.Context, fn objective, x []float64, opt lbfgsOptions) (lbfgsResult, error) {
	m := opt.Memory
	if m == 0 {
		m = 10
	}
	maxIter := opt.MaxIter
	if maxIter == 0 {
		maxIter = 500
	}
	gtol := opt.GradTol
	if gtol == 0 {
		gtol = 1e-6
	}
	ftol := opt.FuncTol
	if ftol == 0 {
		ftol = 1e-10
	}
	n := len(x)
	g := make([]float64, n)
	f := fn(x, g)
	res := lbfgsResult{Evals: 1, F: f}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return res, errors.New("topic: objective is not finite at the start")
	}
	s := make([][]float64, 0, m)
	y := make([][]float64, 0, m)
	rho := make([]float64, 0, m)
	alpha := make([]float64, m)
	d := make([]float64, n)
	xNew := make([]float64, n)
	gNew := make([]float64, n)
	var history []float64
	for iter := 1; iter <= maxIter; iter++ {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		res.GradNorm = infNorm(g)
		if res.GradNorm < gtol {
			res.Stop = "gradient tolerance"
			return res, nil
		}
		// Two-loop recursion: d = -H g.
		copy(d, g)
		for i := len(s) - 1; i >= 0; i-- {
			alpha[i] = rho[i] * dot(s[i], d)
			axpy(-alpha[i], y[i], d)
		}
		gamma := 1.0
		if k := len(s); k > 0 {
			gamma = dot(s[k-1], y[k-1]) / dot(y[k-1], y[k-1])
		} else {
			gamma = 1 / math.Max(l2(g), 1e-12)
		}
		scale(gamma, d)
		for i := range s {
			b := rho[i] * dot(y[i], d)
			axpy(alpha[i]-b, s[i], d)
		}
		scale(-1, d)
		gd := dot(g, d)
		if gd >= 0 { // not a descent direction: restart from steepest descent
			s, y, rho = s[:0], y[:0], rho[:0]
			copy(d, g)
			scale(-1/math.Max(l2(g), 1e-12), d)
			gd = dot(g, d)
		}
		step := 1.0
		var fNew float64
		ok := false
		for range 40 {
			for i := range x {
				xNew[i] = x[i] + step*d[i]
			}
			fNew = fn(xNew, gNew)
			res.Evals++
			if !math.IsNaN(fNew) && fNew <= f+1e-4*step*gd {
				ok = true
				break
			}
			step *= 0.5
		}
		if !ok {
			res.Stop = "line search"
			if len(s) > 0 { // retry once from steepest descent
				s, y, rho = s[:0], y[:0], rho[:0]
				continue
			}
			return res, errLineSearch
		}
		sv := make([]float64, n)
		yv := make([]float64, n)
		for i := range x {
			sv[i] = xNew[i] - x[i]
			yv[i] = gNew[i] - g[i]
		}
		if sy := dot(sv, yv); sy > 1e-12 {
			if len(s) == m {
				s, y, rho = s[1:], y[1:], rho[1:]
			}
			s, y, rho = append(s, sv), append(y, yv), append(rho, 1/sy)
		}
		copy(x, xNew)
		copy(g, gNew)
		f = fNew
		res.Iterations, res.F = iter, f
		history = append(history, f)
		if opt.After != nil && opt.After(iter, x, f) {
			res.GradNorm = infNorm(g)
			res.Stop = "early stopping"
			return res, nil
		}
		if k := len(history); k > 5 {
			old := history[k-6]
			if (old-f)/math.Max(math.Abs(old), 1e-12) < ftol {
				res.GradNorm = infNorm(g)
				res.Stop = "loss tolerance"
				return res, nil
			}
		}
	}
	res.GradNorm = infNorm(g)
	res.Stop = "max iterations"
	return res, nil
}

func dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func axpy(a float64, x, y []float64) {
	for i := range x {
		y[i] += a * x[i]
	}
}

func scale(a float64, x []float64) {
	for i := range x {
		x[i] *= a
	}
}

func l2(x []float64) float64 { return math.Sqrt(dot(x, x)) }

func infNorm(x []float64) float64 {
	var m float64
	for _, v := range x {
		m = math.Max(m, math.Abs(v))
	}
	return m
}
