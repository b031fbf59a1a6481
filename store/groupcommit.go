package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// maxGroupItems bounds the classifications one group commit writes, so a
// burst of large batches does not hold the write lock for long.
const maxGroupItems = 512

// errClosed answers calls made after Close.
var errClosed = errors.New("store: database closed")

// groupCommit writes the RecordClassifications calls that arrive while a
// commit is in flight together, in one transaction: every commit costs an
// fsync (SQLite's synchronous=FULL, Postgres' WAL flush), and under
// concurrent load one commit per request made the write lock, not the
// encoder, the queue that requests waited in. Each caller still returns
// only after the transaction holding its rows has committed.
type groupCommit struct {
	calls chan *commitCall
	quit  chan struct{}
	done  chan struct{}
	once  sync.Once

	// Counters for tests and metrics: transactions committed and the
	// calls they carried.
	txs, carried atomic.Int64
	waiting      atomic.Int64 // calls not yet taken by the writer
	taken        atomic.Int64 // calls taken by the writer, not yet answered
}

// commitCall is one RecordClassifications call waiting for its commit.
type commitCall struct {
	ctx   context.Context
	items []Classification
	out   []Recorded
	err   error
	done  chan struct{}
}

func newGroupCommit(db *DB) *groupCommit {
	g := &groupCommit{calls: make(chan *commitCall), quit: make(chan struct{}), done: make(chan struct{})}
	go g.loop(db)
	return g
}

// close stops the writer after the group in flight.
func (g *groupCommit) close() {
	g.once.Do(func() { close(g.quit) })
	<-g.done
}

// record hands items to the writer and waits for their commit.
func (g *groupCommit) record(ctx context.Context, items []Classification) ([]Recorded, error) {
	c := &commitCall{ctx: ctx, items: items, done: make(chan struct{})}
	g.waiting.Add(1)
	select {
	case g.calls <- c:
		g.waiting.Add(-1)
		defer g.taken.Add(-1)
	case <-g.quit:
		g.waiting.Add(-1)
		return nil, errClosed
	case <-ctx.Done():
		g.waiting.Add(-1)
		return nil, ctx.Err()
	}
	// Once handed over, wait for the outcome even if ctx ends: the caller
	// must not report a failure for rows that are then committed.
	<-c.done
	return c.out, c.err
}

func (g *groupCommit) loop(db *DB) {
	defer close(g.done)
	for {
		var first *commitCall
		select {
		case first = <-g.calls:
		case <-g.quit:
			return
		}
		g.taken.Add(1)
		group, n := []*commitCall{first}, len(first.items)
	gather: // whatever queued while the last group committed
		for n < maxGroupItems {
			select {
			case c := <-g.calls:
				g.taken.Add(1)
				group = append(group, c)
				n += len(c.items)
			default:
				break gather
			}
		}
		g.commit(db, group)
	}
}

// commit writes group in one transaction. If that fails, each call is
// retried in a transaction of its own, so one caller's bad rows do not
// fail the others.
func (g *groupCommit) commit(db *DB, group []*commitCall) {
	live := group[:0:0]
	for _, c := range group {
		if err := c.ctx.Err(); err != nil {
			c.err = err
			close(c.done)
			continue
		}
		live = append(live, c)
	}
	if len(live) == 0 {
		return
	}
	// The transaction serves several callers, so none of their deadlines
	// may cut it short; busy_timeout and the server's own shutdown bound it.
	ctx := context.WithoutCancel(live[0].ctx)
	now := time.Now().UTC()
	outs := make([][]Recorded, len(live))
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		for k, c := range live {
			out, err := db.recordAll(ctx, tx, c.items, now)
			if err != nil {
				return err
			}
			outs[k] = out
		}
		return nil
	})
	if err == nil {
		g.txs.Add(1)
		g.carried.Add(int64(len(live)))
		for k, c := range live {
			c.out = outs[k]
			close(c.done)
		}
		return
	}
	for _, c := range live {
		if len(live) == 1 {
			c.err = fmt.Errorf("store: record %d classifications: %w", len(c.items), err)
		} else {
			c.out, c.err = db.recordAlone(c.ctx, c.items)
		}
		close(c.done)
	}
}

// recordAlone stores one call's items in a transaction of their own.
func (db *DB) recordAlone(ctx context.Context, items []Classification) ([]Recorded, error) {
	var out []Recorded
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = db.recordAll(ctx, tx, items, time.Now().UTC())
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: record %d classifications: %w", len(items), err)
	}
	if db.group != nil {
		db.group.txs.Add(1)
		db.group.carried.Add(1)
	}
	return out, nil
}

// recordAll stores items within tx.
func (db *DB) recordAll(ctx context.Context, tx *sql.Tx, items []Classification, now time.Time) ([]Recorded, error) {
	out := make([]Recorded, len(items))
	for i, it := range items {
		r, err := db.recordOne(ctx, tx, it, now)
		if err != nil {
			return nil, fmt.Errorf("article %d: %w", i, err)
		}
		out[i] = r
	}
	return out, nil
}

// GroupCommitStats reports how many transactions RecordClassifications
// committed and how many calls they carried; their ratio is the mean
// group size.
func (db *DB) GroupCommitStats() (transactions, calls int64) {
	if db.group == nil {
		return 0, 0
	}
	return db.group.txs.Load(), db.group.carried.Load()
}
