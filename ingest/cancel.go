package ingest

import (
	"context"
	"database/sql"
	"fmt"
	"sort"

	"github.com/riverqueue/river"

	"github.com/newsintel/newsintel/store"
)

// CancelStore is what cancelling an import needs from storage.
type CancelStore interface {
	CancelImport(ctx context.Context, id int64, cancelJobs store.CancelJobs) (store.ImportStatus, error)
}

// CancelImport cancels import id: its pending items are rejected with the
// reason "cancelled", its reading stops, and its ingest jobs that have
// not finished are cancelled with River's JobCancelTx, all in one
// transaction (a running job's context is cancelled when its client next
// checks, and whatever it records after is skipped). client nil cancels
// no jobs: they then find no pending items and end. ErrNotFound for an
// unknown import, store.ErrConflict for one that is done or cancelled.
func CancelImport(ctx context.Context, st CancelStore, client *river.Client[*sql.Tx], id int64) (store.ImportStatus, error) {
	if client == nil {
		return st.CancelImport(ctx, id, nil)
	}
	return st.CancelImport(ctx, id, func(ctx context.Context, tx *sql.Tx, ids []int64) error {
		live, err := liveJobs(ctx, func(ctx context.Context, p *river.JobListParams) (*river.JobListResult, error) {
			return client.JobListTx(ctx, tx, p)
		})
		if err != nil {
			return err
		}
		// A job belongs to the import if its range starts on one of the
		// import's items: every range is of one origin (staged batch,
		// Requeue, Sweep), though ids of others may fall inside it.
		for _, j := range live {
			i := sort.Search(len(ids), func(i int) bool { return ids[i] >= j.Args.From })
			if i == len(ids) || ids[i] != j.Args.From {
				continue
			}
			if _, err := client.JobCancelTx(ctx, tx, j.ID); err != nil {
				return fmt.Errorf("ingest: cancel job %d: %w", j.ID, err)
			}
		}
		return nil
	})
}
