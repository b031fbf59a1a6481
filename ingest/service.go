package ingest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"

	"github.com/riverqueue/river"

	"github.com/newsintel/newsintel/store"
)

// UploadStore is what an upload needs from storage.
type UploadStore interface {
	ImportStore
	CancelStore
	CreateImport(ctx context.Context, n store.NewImport) (store.Import, error)
	ImportStatus(ctx context.Context, id int64) (store.ImportStatus, error)
}

// Service stages uploaded imports for the ingest jobs (POST /imports).
type Service struct {
	Store UploadStore
	// Enqueue enqueues each staged batch's job (Enqueue(client)); nil
	// stages rows without jobs, for tests of the HTTP layer.
	Enqueue store.EnqueueRange
	// Jobs is the client whose jobs a cancel cancels; nil cancels only
	// the items (tests of the HTTP layer).
	Jobs *river.Client[*sql.Tx]
}

// Upload records an import and stages the rows of r, in n.Format (with
// columns for a CSV without a header), each batch with its job; the
// rows are processed in the background. It returns the import's status
// once every row is staged.
func (s *Service) Upload(ctx context.Context, n store.NewImport, columns []string, r io.Reader) (store.ImportStatus, error) {
	rr, err := NewReader(r, n.Format, columns)
	if err != nil {
		return store.ImportStatus{}, fmt.Errorf("%w: %v", ErrUnreadable, err)
	}
	im, err := s.Store.CreateImport(ctx, n)
	if err != nil {
		return store.ImportStatus{}, err
	}
	if err := ReadImport(ctx, s.Store, im, rr, s.Enqueue, nil); err != nil {
		return store.ImportStatus{}, err
	}
	return s.Store.ImportStatus(ctx, im.ID)
}

// ImportStatus returns an import's progress.
func (s *Service) ImportStatus(ctx context.Context, id int64) (store.ImportStatus, error) {
	return s.Store.ImportStatus(ctx, id)
}

// CancelImport cancels an import (CancelImport).
func (s *Service) CancelImport(ctx context.Context, id int64) (store.ImportStatus, error) {
	return CancelImport(ctx, s.Store, s.Jobs, id)
}

// ErrUnreadable marks an upload that is not a file of its format (a CSV
// without a text column, say).
var ErrUnreadable = errors.New("unreadable import file")
