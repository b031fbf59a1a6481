package store_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/store/storetest"
)

// BenchmarkRecordConcurrent records one classification per call from 32
// goroutines, as /classify_news does under 32 clients.
func BenchmarkRecordConcurrent(b *testing.B) {
	for _, d := range storetest.Dialects() {
		b.Run(string(d), func(b *testing.B) {
			db := storetest.Open(b, d)
			var next atomic.Int64
			var wg sync.WaitGroup
			per := b.N/32 + 1
			b.ResetTimer()
			for range 32 {
				wg.Go(func() {
					for range per {
						i := next.Add(1)
						c := classification(fmt.Sprintf("Story %d", i), "Body of the story.", "", i%3 == 0)
						if _, err := db.RecordClassifications(context.Background(), []store.Classification{c}); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			txs, calls := db.GroupCommitStats()
			b.ReportMetric(float64(calls)/float64(max(txs, 1)), "calls/tx")
		})
	}
}
