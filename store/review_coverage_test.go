package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/store/storetest"
)

// clusters returns points around orthogonal centres, sizes[c] of them for
// centre c, in cluster order; the first point of each is the centre
// itself, the cluster's most typical member.
func clusters(sizes []int, seed uint64) (points [][]float32, cluster []int) {
	const dim = 16
	rng := rand.New(rand.NewPCG(seed, 1))
	for c, n := range sizes {
		for i := range n {
			v := make([]float32, dim)
			v[c] = 1
			if i > 0 {
				for j := range v {
					v[j] += float32(0.15 * rng.NormFloat64())
				}
			}
			points = append(points, v)
			cluster = append(cluster, c)
		}
	}
	return points, cluster
}

func TestCoveragePick(t *testing.T) {
	points, cluster := clusters([]int{40, 30, 20, 10}, 3)
	// Priority order is not cluster order: shuffle the candidates.
	perm := rand.New(rand.NewPCG(9, 9)).Perm(len(points))
	cands := make([][]float32, len(points))
	candCluster := make([]int, len(points))
	centre := map[int]int{} // cluster → the candidate index of its centre
	for i, p := range perm {
		cands[i], candCluster[i] = points[p], cluster[p]
		if p == 0 || cluster[p] != cluster[p-1] {
			centre[cluster[p]] = i
		}
	}
	labeledInFirst := [][]float32{points[5]} // cluster 0 is covered

	tests := []struct {
		name    string
		labeled [][]float32
		k       int
		want    []int // clusters, in pick order
	}{
		// k-means makes len(labeled)+k clusters: these match the four.
		{"uncovered clusters, largest first", labeledInFirst, 3, []int{1, 2, 3}},
		{"two covered", [][]float32{points[5], points[45]}, 2, []int{2, 3}},
		{"nothing labeled: largest first", nil, 4, []int{0, 1, 2, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := store.CoveragePick(cands, tt.labeled, tt.k, 1)
			var gotClusters []int
			for _, i := range got {
				gotClusters = append(gotClusters, candCluster[i])
			}
			if !slices.Equal(gotClusters, tt.want) {
				t.Fatalf("picked clusters %v, want %v", gotClusters, tt.want)
			}
			for _, i := range got {
				if centre[candCluster[i]] != i {
					t.Errorf("cluster %d: picked candidate %d, not its most typical member %d", candCluster[i], i, centre[candCluster[i]])
				}
			}
			if again := store.CoveragePick(cands, tt.labeled, tt.k, 1); !slices.Equal(again, got) {
				t.Errorf("same input, other pick: %v then %v", got, again)
			}
		})
	}

	t.Run("more picks than clusters", func(t *testing.T) {
		small, _ := clusters([]int{3, 3}, 4)
		got := store.CoveragePick(small, nil, 5, 1)
		if len(got) != 5 || len(slices.Compact(slices.Sorted(slices.Values(got)))) != 5 {
			t.Fatalf("picked %v, want 5 distinct of 6", got)
		}
	})
	t.Run("candidates without an embedding come last", func(t *testing.T) {
		mixed := [][]float32{nil, {1, 0}, {0, 1}, {}}
		got := store.CoveragePick(mixed, nil, 4, 1)
		if len(got) != 4 || !slices.Equal(got[2:], []int{0, 3}) {
			t.Fatalf("picked %v, want the two with embeddings, then 0 and 3", got)
		}
		if got := store.CoveragePick([][]float32{nil, nil}, nil, 1, 1); !slices.Equal(got, []int{0}) {
			t.Fatalf("no embeddings: picked %v, want the top one", got)
		}
	})
}

// A coverage claim skips the crowded, already-labeled region at the top of
// the queue for typical items of the regions no label covers yet.
func TestClaimForCoverage(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		points, cluster := clusters([]int{30, 12, 8}, 5)
		var cs []store.Classification
		for i, p := range points {
			c := classification(fmt.Sprintf("C%d story %d", cluster[i], i), fmt.Sprintf("Body %d.", i), "", true)
			// Cluster 0 holds the most uncertain items.
			c.Review.Priority = 0.5 - 0.001*float64(i)
			if cluster[i] == 0 {
				c.Review.Priority += 0.4
			}
			c.Review.Embedding = p
			cs = append(cs, c)
		}
		if _, err := db.RecordClassifications(ctx, cs); err != nil {
			t.Fatal(err)
		}
		// A reviewer labels the top item, in cluster 0.
		first, err := db.ClaimReviewItems(ctx, store.ClaimRequest{Reviewer: "a@x.org", N: 1, Lease: time.Minute})
		if err != nil || len(first) != 1 || !strings.HasPrefix(first[0].Title, "C0 ") {
			t.Fatalf("first claim: %v %v", titles(first), err)
		}
		if _, err := db.LabelReviewItems(ctx, store.LabelRequest{Reviewer: "a@x.org",
			Items: []store.LabelInput{{ItemID: first[0].ID, Label: "Sports"}}}); err != nil {
			t.Fatal(err)
		}

		byPriority, err := db.ClaimReviewItems(ctx, store.ClaimRequest{Reviewer: "b@x.org", N: 2, Lease: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range byPriority {
			if !strings.HasPrefix(it.Title, "C0 ") {
				t.Fatalf("priority claim left the top cluster: %v", titles(byPriority))
			}
		}
		covered, err := db.ClaimReviewItems(ctx, store.ClaimRequest{Reviewer: "c@x.org", N: 2, Lease: time.Minute, Diversity: true, Coverage: true})
		if err != nil {
			t.Fatal(err)
		}
		got := titles(covered)
		slices.Sort(got)
		// The centres of clusters 1 and 2 (points 30 and 42).
		if want := []string{"C1 story 30", "C2 story 42"}; !slices.Equal(got, want) {
			t.Fatalf("coverage claim took %v, want %v", got, want)
		}
	})
}

// BenchmarkCoveragePick is a coverage claim's pick at its bounds: the full
// candidate pool and the labeled items it loads, 384-dimensional
// embeddings (the encoder's), five items wanted (a console claim). The
// baseline is the diversity claim's pick over its largest pool, 400.
func BenchmarkCoveragePick(b *testing.B) {
	for _, n := range []struct{ cands, labeled int }{{400, -1}, {500, 40}, {store.CoveragePool, 40}, {store.CoveragePool, store.CoverageLabeled}} {
		name := fmt.Sprintf("coverage/cands=%d/labeled=%d", n.cands, n.labeled)
		if n.labeled < 0 {
			name = fmt.Sprintf("diversity/cands=%d", n.cands)
		}
		b.Run(name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			vec := func() []float32 {
				v := make([]float32, 384)
				for i := range v {
					v[i] = float32(rng.NormFloat64())
				}
				return v
			}
			cands, labeled := make([][]float32, n.cands), make([][]float32, max(n.labeled, 0))
			prio := make([]float64, n.cands)
			for i := range cands {
				cands[i], prio[i] = vec(), 1-float64(i)/float64(n.cands)
			}
			for i := range labeled {
				labeled[i] = vec()
			}
			for b.Loop() {
				if n.labeled < 0 {
					store.DiversePick(prio, cands, 5, 0.5)
				} else {
					store.CoveragePick(cands, labeled, 5, 1)
				}
			}
		})
	}
}
