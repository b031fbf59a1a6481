package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// HeaderRequestID carries the request id in both directions.
const HeaderRequestID = "X-Request-ID"

type ctxKey int

const (
	ctxRequestID ctxKey = iota
	ctxLogger
)

// echoKeyName is where requireKey leaves the authenticated key's name on
// the echo context. Not the request context: middleware that swaps the
// request (the deadline) restores its own copy on the way out, and the
// access log must still see the name.
const echoKeyName = "newsintel.key_name"

// RequestID returns the id of the request ctx belongs to, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(ctxRequestID).(string)
	return id
}

// keyName returns the name of the API key that authenticated the request,
// or "" for public routes and disabled auth.
func keyName(c echo.Context) string {
	name, _ := c.Get(echoKeyName).(string)
	return name
}

// logger returns the request's logger, which carries its request id.
func logger(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(ctxLogger).(*slog.Logger); ok {
		return l
	}
	return slog.Default()
}

// validRequestID accepts ids a client may send us: what tracing systems
// use (UUIDs, hex, base64url-ish tokens), short enough to log, and with no
// characters that could forge log fields or headers.
func validRequestID(id string) bool {
	if len(id) == 0 || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '-', c == '_', c == '.', c == ':', c == '+', c == '/', c == '=':
		default:
			return false
		}
	}
	return true
}

func newRequestID() string {
	var b [16]byte
	rand.Read(b[:]) // never fails; see crypto/rand docs
	return hex.EncodeToString(b[:])
}

// requestID adopts a sane incoming X-Request-ID or makes one, echoes it in
// the response, and puts it and a logger carrying it on the request context.
func (s *Server) requestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		id := req.Header.Get(HeaderRequestID)
		if !validRequestID(id) {
			id = newRequestID()
		}
		c.Response().Header().Set(HeaderRequestID, id)
		ctx := context.WithValue(req.Context(), ctxRequestID, id)
		ctx = context.WithValue(ctx, ctxLogger, s.log.With(slog.String("request_id", id)))
		c.SetRequest(req.WithContext(ctx))
		return next(c)
	}
}

// observe writes the access log line and the route metrics. It handles the
// error itself, so that the status it records is the one the client got.
func (s *Server) observe(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		if err := next(c); err != nil {
			c.Error(err)
		}
		elapsed := time.Since(start)
		req, res := c.Request(), c.Response()
		route := s.routeLabel(c)
		key := keyName(c)
		s.metrics.observeRequest(req.Method, route, res.Status, key, elapsed)
		logger(req.Context()).LogAttrs(req.Context(), slog.LevelInfo, "request",
			slog.String("method", req.Method),
			slog.String("route", route),
			slog.String("path", req.URL.Path),
			slog.Int("status", res.Status),
			slog.Float64("latency_ms", float64(elapsed.Microseconds())/1000),
			slog.Int64("bytes", res.Size),
			slog.String("key", key),
			slog.String("remote_ip", c.RealIP()),
		)
		return nil
	}
}

// routeLabel is the route pattern the request matched, never the raw path,
// so metrics stay bounded however clients spell URLs. Echo reports a
// partial match's pattern for unknown paths; those count as unmatched.
func (s *Server) routeLabel(c echo.Context) string {
	if p := c.Path(); s.patterns[p] {
		return p
	}
	return "unmatched"
}

// limitBody refuses bodies over limit bytes: at once when Content-Length
// says so, or as soon as the reader passes the limit, whichever comes first.
func limitBody(limit int64) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			if req.ContentLength > limit {
				return &http.MaxBytesError{Limit: limit}
			}
			req.Body = http.MaxBytesReader(c.Response(), req.Body, limit)
			return next(c)
		}
	}
}

// deadline bounds the request's context. Errors are rendered after it
// returns, so it hands back the request it was given: a page explaining a
// timeout must not itself be cut short by the spent deadline.
func deadline(d time.Duration) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			ctx, cancel := context.WithTimeout(req.Context(), d)
			defer cancel()
			c.SetRequest(req.WithContext(ctx))
			err := next(c)
			c.SetRequest(req)
			return err
		}
	}
}
