package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/newsintel/newsintel/ingest"
	"github.com/newsintel/newsintel/store"
)

// Importer stages uploaded imports, reports their progress and cancels
// them (ingest.Service).
type Importer interface {
	Upload(ctx context.Context, n store.NewImport, columns []string, r io.Reader) (store.ImportStatus, error)
	ImportStatus(ctx context.Context, id int64) (store.ImportStatus, error)
	CancelImport(ctx context.Context, id int64) (store.ImportStatus, error)
}

// ImportJSON is an import and its progress.
type ImportJSON struct {
	ID        int64          `json:"id"`
	Name      string         `json:"name"`
	Format    string         `json:"format"`
	Source    string         `json:"source"`
	Taxonomy  string         `json:"taxonomy"`
	State     string         `json:"state"` // reading, processing, done or cancelled
	Rows      int            `json:"rows"`
	New       int            `json:"new"`
	Duplicate int            `json:"duplicate"`
	Rejected  int            `json:"rejected"`
	Pending   int            `json:"pending"`
	Reasons   []ImportReason `json:"reasons"`
	CreatedBy string         `json:"created_by"`
	CreatedAt time.Time      `json:"created_at"`
	UpdatedAt time.Time      `json:"updated_at"`
	// CancelledAt is set once the import is cancelled.
	CancelledAt *time.Time `json:"cancelled_at,omitempty"`
}

// ImportReason counts an import's rows with one outcome and reason.
type ImportReason struct {
	State  string `json:"state"`
	Reason string `json:"reason"`
	Count  int    `json:"count"`
}

func importJSON(st store.ImportStatus) ImportJSON {
	out := ImportJSON{ID: st.ID, Name: st.Name, Format: st.Format, Source: st.Source, Taxonomy: st.Taxonomy,
		Rows: st.RowsRead, New: st.Count(store.ItemNew), Duplicate: st.Count(store.ItemDuplicate),
		Rejected: st.Count(store.ItemRejected), Pending: st.Count(store.ItemPending), Reasons: []ImportReason{},
		CreatedBy: st.By, CreatedAt: st.CreatedAt.UTC(), UpdatedAt: st.UpdatedAt.UTC(), CancelledAt: st.CancelledAt}
	switch {
	case st.CancelledAt != nil:
		out.State = "cancelled"
	case !st.ReadDone:
		out.State = "reading"
	case out.Pending > 0:
		out.State = "processing"
	default:
		out.State = "done"
	}
	for _, c := range st.Counts {
		if c.Reason != "" {
			out.Reasons = append(out.Reasons, ImportReason{State: c.State, Reason: c.Reason, Count: c.Count})
		}
	}
	return out
}

// uploadImport is POST /imports: the body is a JSONL or CSV file, staged
// for background ingest before the answer (202), which carries the
// import's id to follow with GET /imports/:id.
func (s *Server) uploadImport(c echo.Context) error {
	if s.importer == nil {
		return &Error{Status: http.StatusServiceUnavailable, Code: "import_unavailable", Message: "this server does not run imports"}
	}
	q := c.QueryParams()
	n := store.NewImport{Name: q.Get("name"), Format: strings.ToLower(q.Get("format")), Source: q.Get("source"),
		Taxonomy: q.Get("taxonomy"), By: keyName(c)}
	var errs []FieldError
	if n.Format == "" {
		mt, _, _ := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType))
		switch mt {
		case "application/x-ndjson", "application/jsonl", "application/json-seq":
			n.Format = ingest.FormatJSONL
		case "text/csv":
			n.Format = ingest.FormatCSV
		}
	}
	if n.Format != ingest.FormatJSONL && n.Format != ingest.FormatCSV {
		errs = append(errs, FieldError{Field: "format", Message: "jsonl or csv: set ?format= or Content-Type application/x-ndjson or text/csv"})
	}
	if n.Name == "" {
		n.Name = "upload." + n.Format
	}
	if len(n.Name) > 200 || len(n.Source) > 200 {
		errs = append(errs, FieldError{Field: "name", Message: "name and source: at most 200 characters"})
	}
	var columns []string
	if v := q.Get("columns"); v != "" {
		columns = strings.Split(v, ",")
	}
	ctx := c.Request().Context()
	if n.Taxonomy != "" {
		if _, err := s.store.Taxonomy(ctx, n.Taxonomy); errors.Is(err, store.ErrNotFound) {
			errs = append(errs, FieldError{Field: "taxonomy", Message: fmt.Sprintf("no taxonomy named %q", n.Taxonomy)})
		} else if err != nil {
			return err
		}
	}
	if len(errs) > 0 {
		return errValidation(errs...)
	}
	st, err := s.importer.Upload(ctx, n, columns, c.Request().Body)
	if errors.Is(err, ingest.ErrUnreadable) {
		return errValidation(FieldError{Field: "body", Message: err.Error()})
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, importJSON(st))
}

// getImport is GET /imports/:id: an import's progress and outcome.
func (s *Server) getImport(c echo.Context) error {
	if s.importer == nil {
		return &Error{Status: http.StatusServiceUnavailable, Code: "import_unavailable", Message: "this server does not run imports"}
	}
	id, err := positiveIDParam(c, "id")
	if err != nil {
		return err
	}
	st, err := s.importer.ImportStatus(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, importJSON(st))
}

// cancelImport is POST /imports/:id/cancel: stop an unfinished import;
// its pending rows are rejected as "cancelled" and its queued jobs
// cancelled. 404 for an unknown import, 409 for one done or cancelled.
func (s *Server) cancelImport(c echo.Context) error {
	if s.importer == nil {
		return &Error{Status: http.StatusServiceUnavailable, Code: "import_unavailable", Message: "this server does not run imports"}
	}
	id, err := positiveIDParam(c, "id")
	if err != nil {
		return err
	}
	st, err := s.importer.CancelImport(c.Request().Context(), id)
	if err != nil {
		return err
	}
	logger(c.Request().Context()).Info("import cancelled", slog.Int64("import", id), slog.String("by", keyName(c)),
		slog.Int("cancelled", cancelledCount(st)))
	return c.JSON(http.StatusOK, importJSON(st))
}

// cancelledCount is how many of an import's rows a cancel rejected.
func cancelledCount(st store.ImportStatus) int {
	for _, c := range st.Counts {
		if c.State == store.ItemRejected && c.Reason == store.ReasonCancelled {
			return c.Count
		}
	}
	return 0
}
