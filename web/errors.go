package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/newsintel/newsintel/inference"
	"github.com/newsintel/newsintel/inference/summarize"
	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/views"
)

// Error is a failure with a status and a message meant for the client.
// Handlers return it, or any other error; handleError decides what the
// client sees. Err is the internal cause: logged, never shown.
type Error struct {
	Status  int
	Code    string
	Message string
	Details []FieldError
	Err     error
}

// FieldError names one offending field of a request and what is wrong with
// it. Field is a JSON path such as "articles[3].title".
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%d %s: %s: %v", e.Status, e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// errValidation answers 422 with the offending fields, which is what the
// runbook's clients expect for a body that does not match the schema.
func errValidation(details ...FieldError) *Error {
	return &Error{Status: http.StatusUnprocessableEntity, Code: "validation_failed",
		Message: "the request does not match the schema", Details: details}
}

// errorBody is the JSON shape of every error response.
type errorBody struct {
	Error struct {
		Code      string       `json:"code"`
		Message   string       `json:"message"`
		RequestID string       `json:"request_id"`
		Details   []FieldError `json:"details,omitempty"`
	} `json:"error"`
}

// codeForStatus names the statuses that reach us without an *Error, such as
// echo's own 404 and 405.
var codeForStatus = map[int]string{
	http.StatusBadRequest:            "bad_request",
	http.StatusUnauthorized:          "unauthorized",
	http.StatusForbidden:             "forbidden",
	http.StatusNotFound:              "not_found",
	http.StatusMethodNotAllowed:      "method_not_allowed",
	http.StatusConflict:              "conflict",
	http.StatusRequestEntityTooLarge: "body_too_large",
	http.StatusUnsupportedMediaType:  "unsupported_media_type",
	http.StatusUnprocessableEntity:   "validation_failed",
	http.StatusTooManyRequests:       "too_many_requests",
	http.StatusServiceUnavailable:    "unavailable",
}

// classifyError maps any error a handler or middleware returned to what the
// client is told.
func classifyError(err error) *Error {
	var (
		e          *Error
		he         *echo.HTTPError
		tooBig     *http.MaxBytesError
		invalid    store.ValidationError
		badSummary *summarize.ValidationError
		conflict   *store.Conflict
	)
	switch {
	case errors.As(err, &e):
		return e
	case errors.As(err, &badSummary):
		return errValidation(FieldError{Field: badSummary.Field, Message: badSummary.Message})
	case errors.As(err, &invalid):
		details := make([]FieldError, len(invalid))
		for i, f := range invalid {
			details[i] = FieldError{Field: f.Field, Message: f.Message}
		}
		return errValidation(details...)
	case errors.As(err, &tooBig):
		return &Error{Status: http.StatusRequestEntityTooLarge, Code: "body_too_large",
			Message: fmt.Sprintf("the request body is larger than %d bytes", tooBig.Limit)}
	case errors.As(err, &he):
		out := &Error{Status: he.Code, Code: codeForStatus[he.Code], Message: http.StatusText(he.Code), Err: he.Internal}
		if msg, ok := he.Message.(string); ok && he.Code < 500 {
			out.Message = msg
		}
		if out.Code == "" {
			out.Code = "error"
		}
		return out
	case errors.Is(err, inference.ErrNotReady):
		return &Error{Status: http.StatusServiceUnavailable, Code: "model_loading",
			Message: "the model is still loading; retry shortly", Err: err}
	case errors.Is(err, inference.ErrOverloaded):
		return &Error{Status: http.StatusTooManyRequests, Code: "overloaded",
			Message: "the inference queue is full; retry shortly", Err: err}
	case errors.Is(err, store.ErrNotFound):
		return &Error{Status: http.StatusNotFound, Code: "not_found", Message: "no such resource", Err: err}
	case errors.As(err, &conflict):
		return &Error{Status: http.StatusConflict, Code: "conflict", Message: conflict.Reason, Err: err}
	case errors.Is(err, store.ErrConflict):
		return &Error{Status: http.StatusConflict, Code: "conflict", Message: "the resource is not in a state that allows this", Err: err}
	case errors.Is(err, context.DeadlineExceeded):
		return &Error{Status: http.StatusServiceUnavailable, Code: "timeout", Message: "the request took too long", Err: err}
	case errors.Is(err, context.Canceled):
		return &Error{Status: http.StatusServiceUnavailable, Code: "canceled", Message: "the request was canceled", Err: err}
	default:
		return &Error{Status: http.StatusInternalServerError, Code: "internal", Message: "internal server error", Err: err}
	}
}

// handleError is echo's HTTPErrorHandler: the single place where errors
// become responses. It answers in HTML to browsers and JSON to everyone
// else, and logs each 5xx exactly once with the request id.
func (s *Server) handleError(err error, c echo.Context) {
	e := classifyError(err)
	ctx := c.Request().Context()
	reqID := RequestID(ctx)
	if e.Status >= 500 && !errors.Is(err, context.Canceled) {
		logger(ctx).Error("request failed",
			slog.Int("status", e.Status), slog.String("route", s.routeLabel(c)), slog.Any("error", err))
	}
	if c.Response().Committed {
		return // headers are out; nothing more can be said to the client
	}
	switch e.Status {
	case http.StatusServiceUnavailable:
		c.Response().Header().Set("Retry-After", "5")
	case http.StatusTooManyRequests:
		c.Response().Header().Set("Retry-After", "1")
	}
	if e.Status == http.StatusUnauthorized {
		c.Response().Header().Set("WWW-Authenticate", `Bearer realm="newsintel"`)
	}
	if c.Request().Method == http.MethodHead {
		c.NoContent(e.Status)
		return
	}
	if wantsHTML(c.Request()) {
		title := http.StatusText(e.Status)
		err := s.render(c, e.Status, title, views.ErrorPage(views.ErrorView{
			Status: e.Status, Title: title, Message: e.Message, RequestID: reqID,
		}))
		if err != nil {
			logger(ctx).Error("render error page", slog.Any("error", err))
			c.NoContent(http.StatusInternalServerError)
		}
		return
	}
	var body errorBody
	body.Error.Code = e.Code
	body.Error.Message = e.Message
	body.Error.RequestID = reqID
	body.Error.Details = e.Details
	if err := c.JSON(e.Status, body); err != nil {
		logger(ctx).Warn("write error response", slog.Any("error", err))
	}
}

// wantsHTML reports whether the client is a browser asking for a page.
// API clients send application/json or nothing at all; browsers put
// text/html first.
func wantsHTML(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/html")
}
