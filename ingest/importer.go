package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/newsintel/newsintel/store"
)

// ImportStore is what reading an import needs from storage.
type ImportStore interface {
	StageImportRows(ctx context.Context, im store.Import, items []store.StagedItem, rowsRead int, done bool, enqueue store.EnqueueRange) error
}

// ReadImport stages the rows of rr for import im, BatchSize at a time,
// each batch with its ingest job and the import's checkpoint in one
// transaction. rr is positioned at the file's start: the first
// im.RowsRead rows, staged by an earlier run that crashed, are skipped.
// progress, if not nil, is called with the rows read so far after each
// batch.
func ReadImport(ctx context.Context, st ImportStore, im store.Import, rr RowReader, enqueue store.EnqueueRange, progress func(rows int)) error {
	n := 0
	for n < im.RowsRead {
		if _, err := rr.Next(); err != nil {
			if errors.Is(err, io.EOF) {
				return fmt.Errorf("ingest: import %d: the file has %d rows, fewer than the %d read before: is it the same file?", im.ID, n, im.RowsRead)
			}
			return fmt.Errorf("ingest: import %d: skip row %d: %w", im.ID, n+1, err)
		}
		n++
	}
	batch := make([]store.StagedItem, 0, BatchSize)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		row, err := rr.Next()
		done := errors.Is(err, io.EOF)
		if err != nil && !done {
			return fmt.Errorf("ingest: import %d: row %d: %w", im.ID, n+1, err)
		}
		if !done {
			n++
			batch = append(batch, stageRow(row, strconv.Itoa(n), im.Source, im.Taxonomy))
		}
		if len(batch) == BatchSize || done {
			if err := st.StageImportRows(ctx, im, batch, n, done, enqueue); err != nil {
				return err
			}
			batch = batch[:0]
			if progress != nil {
				progress(n)
			}
		}
		if done {
			return nil
		}
	}
}

// stageRow checks a row and makes it a staged item under key: pending,
// or rejected with the reasons.
func stageRow(row Row, key, defaultSource, taxonomy string) store.StagedItem {
	it := store.StagedItem{Key: key, Taxonomy: taxonomy}
	if row.Invalid != "" {
		it.Reject = row.Invalid
		return it
	}
	a, problems := row.Article.Check()
	if len(problems) > 0 {
		reasons := make([]string, len(problems))
		for i, p := range problems {
			reasons[i] = p.String()
		}
		it.Reject = strings.Join(reasons, "; ")
		return it
	}
	if a.Source == "" {
		a.Source = defaultSource
	}
	it.Article = a
	return it
}
