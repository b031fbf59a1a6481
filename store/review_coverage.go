package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Bounds of a coverage claim, so that it stays well under a second even
// on a large queue: the open items it clusters (the top ones by
// priority), the labeled items it loads (the most recent) and k-means'
// k and iterations.
const (
	// CoveragePool is how many open items a coverage claim clusters;
	// CoverageLabeled how many labeled items it loads.
	CoveragePool        = 5000
	CoverageLabeled     = 1000
	maxCoverageClusters = 128
	coverageIterations  = 8
	kMeansSample        = 2000
	// typicalityNeighbours is TypiClust's K: an item's typicality is the
	// inverse of its mean distance to this many nearest members of its
	// cluster (at most typicalityMembers of them, by priority).
	typicalityNeighbours = 20
	typicalityMembers    = 1000
)

// labeledEmbeddings returns the embeddings of the most recently labeled
// review items, the labels a coverage claim counts as covering.
func (db *DB) labeledEmbeddings(ctx context.Context, tx *sql.Tx) ([][]float32, error) {
	rows, err := tx.QueryContext(ctx, db.rebind(`SELECT embedding FROM review_items
		WHERE final_label_id IS NOT NULL AND embedding IS NOT NULL
		ORDER BY id DESC LIMIT ?`), CoverageLabeled)
	if err != nil {
		return nil, fmt.Errorf("labeled embeddings: %w", err)
	}
	defer rows.Close()
	var out [][]float32
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return nil, fmt.Errorf("labeled embeddings: %w", err)
		}
		if v := decodeVector(b); v != nil {
			out = append(out, v)
		}
	}
	return out, rows.Err()
}

// CoveragePick is the cold-start claim's choice, shared with the
// active-learning simulation: TypiClust (Hacohen et al., "Active Learning
// on a Budget", 2022). While a model has learned from a few examples per
// topic its uncertainty says little, and the labels that teach it most
// are typical articles of the regions of the queue no label covers yet.
// It clusters the candidates and the labeled items together into
// len(labeled)+k clusters (k-means on cosine similarity, at most
// maxCoverageClusters), then takes, from the largest clusters holding no
// labeled item (then the largest others), the member with the highest
// typicality. Candidates come in priority order; those without an
// embedding are picked last, in that order. It returns k indices into
// cands (fewer when there are fewer), and the same input and seed give
// the same answer.
func CoveragePick(cands, labeled [][]float32, k int, seed uint64) []int {
	k = min(k, len(cands))
	if k <= 0 {
		return []int{}
	}
	var points [][]float32 // unit vectors: the candidates with an embedding, then the labeled
	var candIdx []int      // points[i] is cands[candIdx[i]], for i < len(candIdx)
	for i, v := range cands {
		if u := unit(v); u != nil && (len(points) == 0 || len(u) == len(points[0])) {
			points = append(points, u)
			candIdx = append(candIdx, i)
		}
	}
	nCand := len(points)
	var out []int
	if nCand > 0 {
		for _, v := range labeled {
			if u := unit(v); u != nil && len(u) == len(points[0]) {
				points = append(points, u)
			}
		}
		nc := min(len(points)-nCand+k, maxCoverageClusters, len(points))
		assign := kMeans(points, nc, coverageIterations, rand.New(rand.NewPCG(seed, 0x636f76)))
		members := make([][]int, nc) // candidate points per cluster, in priority order
		covered := make([]bool, nc)
		for i, c := range assign {
			if i < nCand {
				members[c] = append(members[c], i)
			} else {
				covered[c] = true
			}
		}
		order := make([]int, nc)
		for i := range order {
			order[i] = i
		}
		slices.SortStableFunc(order, func(a, b int) int {
			if covered[a] != covered[b] {
				if covered[a] {
					return 1
				}
				return -1
			}
			return cmp.Compare(len(members[b]), len(members[a]))
		})
		taken := make([]bool, len(cands))
		// Later passes take each cluster's next most typical member, for
		// when there are fewer clusters with candidates than k.
		for pass := 0; len(out) < k; pass++ {
			added := false
			for _, c := range order {
				if len(out) == k {
					break
				}
				if pass >= min(len(members[c]), typicalityMembers) {
					continue
				}
				p := mostTypical(points, members[c], pass)
				out = append(out, candIdx[p])
				taken[candIdx[p]] = true
				added = true
			}
			if !added {
				break
			}
		}
		for i := range cands {
			if len(out) == k {
				break
			}
			if !taken[i] {
				out = append(out, i)
			}
		}
		return out
	}
	for i := range k {
		out = append(out, i)
	}
	return out
}

// mostTypical returns the member of a cluster with the rank-th highest
// typicality: the inverse mean cosine distance to its nearest
// typicalityNeighbours fellow members.
func mostTypical(points [][]float32, members []int, rank int) int {
	members = members[:min(len(members), typicalityMembers)]
	if len(members) == 1 {
		return members[0]
	}
	nn := min(typicalityNeighbours, len(members)-1)
	typ := make([]float64, len(members))
	dist := make([]float64, 0, len(members))
	for i, a := range members {
		dist = dist[:0]
		for j, b := range members {
			if i != j {
				dist = append(dist, 1-dot(points[a], points[b]))
			}
		}
		slices.Sort(dist)
		var s float64
		for _, d := range dist[:nn] {
			s += d
		}
		typ[i] = 1 / (s/float64(nn) + 1e-9)
	}
	byTyp := make([]int, len(members))
	for i := range byTyp {
		byTyp[i] = i
	}
	slices.SortStableFunc(byTyp, func(a, b int) int { return cmp.Compare(typ[b], typ[a]) })
	return members[byTyp[min(rank, len(byTyp)-1)]]
}

// kMeans clusters unit vectors into k by cosine similarity (spherical
// k-means, k-means++ seeding) and returns each point's cluster. The
// centres are fitted on a sample of at most kMeansSample points, which
// locates them about as well at a fraction of the cost, and every point
// then goes to its nearest.
func kMeans(points [][]float32, k, iterations int, rng *rand.Rand) []int {
	all := points
	if len(points) > kMeansSample {
		points = make([][]float32, kMeansSample)
		for i, j := range rng.Perm(len(all))[:kMeansSample] {
			points[i] = all[j]
		}
	}
	cent := fitCentres(points, k, iterations, rng)
	assign := make([]int, len(all))
	for i, p := range all {
		assign[i] = nearestCentre(p, cent)
	}
	return assign
}

// nearestCentre returns the index of the centre most similar to p.
func nearestCentre(p []float32, cent [][]float32) int {
	best, bestSim := 0, math.Inf(-1)
	for j, c := range cent {
		if s := dot(p, c); s > bestSim {
			best, bestSim = j, s
		}
	}
	return best
}

// fitCentres runs spherical k-means on points and returns the centres.
func fitCentres(points [][]float32, k, iterations int, rng *rand.Rand) [][]float32 {
	n, dim := len(points), len(points[0])
	cent := [][]float32{slices.Clone(points[rng.IntN(n)])}
	nearest := make([]float64, n)
	for i := range nearest {
		nearest[i] = math.Inf(1)
	}
	for len(cent) < k {
		c := cent[len(cent)-1]
		var sum float64
		for i, p := range points {
			d := max(0, 1-dot(p, c))
			nearest[i] = min(nearest[i], d*d)
			sum += nearest[i]
		}
		next := rng.IntN(n)
		if sum > 0 {
			u := rng.Float64() * sum
			for i, d := range nearest {
				if u -= d; u <= 0 {
					next = i
					break
				}
			}
		}
		cent = append(cent, slices.Clone(points[next]))
	}
	assign := make([]int, n)
	sums := make([][]float64, k)
	for j := range sums {
		sums[j] = make([]float64, dim)
	}
	for range iterations {
		for i, p := range points {
			assign[i] = nearestCentre(p, cent)
		}
		for j := range sums {
			clear(sums[j])
		}
		for i, p := range points {
			s := sums[assign[i]]
			for t, v := range p {
				s[t] += float64(v)
			}
		}
		for j, s := range sums {
			var norm float64
			for _, v := range s {
				norm += v * v
			}
			if norm == 0 { // an empty cluster keeps its centre
				continue
			}
			norm = math.Sqrt(norm)
			for t := range cent[j] {
				cent[j][t] = float32(s[t] / norm)
			}
		}
	}
	return cent
}

// unit returns v scaled to length 1, or nil for an empty or zero vector.
func unit(v []float32) []float32 {
	var n float64
	for _, x := range v {
		n += float64(x) * float64(x)
	}
	if n == 0 {
		return nil
	}
	inv := 1 / math.Sqrt(n)
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(float64(x) * inv)
	}
	return out
}

// dot is the inner product of two vectors of equal length. Four
// accumulators break the chain of dependent adds, which makes it about
// twice as fast; it is the whole cost of a coverage claim.
func dot(a, b []float32) float64 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return float64(s0 + s1 + s2 + s3)
}
