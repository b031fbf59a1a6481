package mlflow

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultTimeout bounds each request when Config.Timeout is zero. It is
// short because a tracking server that does not answer should cost a
// training run seconds, not minutes.
const DefaultTimeout = 10 * time.Second

// Config says how to reach the tracking server.
type Config struct {
	// TrackingURI is the server's base URL, as "http://mlflow:5000".
	TrackingURI string
	// HTTPClient sends the requests; nil means a new http.Client.
	HTTPClient *http.Client
	// Timeout bounds each request, artifact uploads included; zero means
	// DefaultTimeout.
	Timeout time.Duration
	// Username and Password, when set, are sent as HTTP basic auth (MLflow's
	// basic-auth app); Token, when set, as a bearer token instead.
	Username string
	Password string
	Token    string
	// Now stamps metrics and run times; nil means time.Now.
	Now func() time.Time
}

// Client calls an MLflow tracking server. It is safe for concurrent use.
type Client struct {
	cfg  Config
	base string
	// err is a configuration error, returned by every call, so that New
	// can stay infallible for callers that build a client unconditionally.
	err error
}

// New returns a client for cfg. A tracking URI that is not http or https
// makes every call fail with an error that says so.
func New(cfg Config) *Client {
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{}
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	c := &Client{cfg: cfg, base: strings.TrimRight(cfg.TrackingURI, "/")}
	u, err := url.Parse(cfg.TrackingURI)
	switch {
	case err != nil:
		c.err = fmt.Errorf("mlflow: tracking URI: %w", err)
	case u.Scheme != "http" && u.Scheme != "https" || u.Host == "":
		c.err = fmt.Errorf("mlflow: tracking URI %q: want http://host:port or https://host (file stores are not supported)", cfg.TrackingURI)
	}
	return c
}

// APIError is an error answer from the server.
type APIError struct {
	// Op is the endpoint called, as "runs/create".
	Op         string
	StatusCode int
	// Code is MLflow's error_code, as "RESOURCE_ALREADY_EXISTS"; empty
	// when the answer was not MLflow's JSON (a proxy's error page).
	Code    string
	Message string
}

func (e *APIError) Error() string {
	if e.Code == "" {
		return fmt.Sprintf("mlflow: %s: HTTP %d: %s", e.Op, e.StatusCode, e.Message)
	}
	return fmt.Sprintf("mlflow: %s: HTTP %d %s: %s", e.Op, e.StatusCode, e.Code, e.Message)
}

// hasCode reports whether err is an APIError with MLflow error code code.
func hasCode(err error, code string) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Code == code
}

// call sends a JSON request to /api/2.0/mlflow/<op> and decodes the
// answer into out (if not nil). in nil means a GET with query.
func (c *Client) call(ctx context.Context, op string, query url.Values, in, out any) error {
	method, body, ctype := http.MethodGet, io.Reader(nil), ""
	if in != nil {
		raw, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("mlflow: %s: %w", op, err)
		}
		method, body, ctype = http.MethodPost, bytes.NewReader(raw), "application/json"
	}
	path := "/api/2.0/mlflow/" + op
	if len(query) > 0 {
		path += "?" + query.Encode()
	}
	return c.send(ctx, op, method, path, body, ctype, out)
}

// send does one request and turns a non-2xx answer into an *APIError.
func (c *Client) send(ctx context.Context, op, method, path string, body io.Reader, ctype string, out any) error {
	if c.err != nil {
		return c.err
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return fmt.Errorf("mlflow: %s: %w", op, err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.Header.Set("Accept", "application/json")
	switch {
	case c.cfg.Token != "":
		req.Header.Set("Authorization", "Bearer "+c.cfg.Token)
	case c.cfg.Username != "" || c.cfg.Password != "":
		req.SetBasicAuth(c.cfg.Username, c.cfg.Password)
	}
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return fmt.Errorf("mlflow: %s: %w", op, err)
	}
	defer resp.Body.Close()
	// Answers are small JSON documents; the cap keeps a misdirected
	// request (a big HTML page) from being read whole.
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return fmt.Errorf("mlflow: %s: read answer: %w", op, err)
	}
	if resp.StatusCode/100 != 2 {
		ae := &APIError{Op: op, StatusCode: resp.StatusCode}
		var e struct {
			Code    string `json:"error_code"`
			Message string `json:"message"`
		}
		if json.Unmarshal(raw, &e) == nil && e.Code != "" {
			ae.Code, ae.Message = e.Code, e.Message
		} else {
			ae.Message = snippet(raw)
		}
		return ae
	}
	if out == nil || len(bytes.TrimSpace(raw)) == 0 {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("mlflow: %s: decode answer: %w", op, err)
	}
	return nil
}

// snippet shortens a non-JSON error body for an error message.
func snippet(raw []byte) string {
	s := strings.Join(strings.Fields(string(raw)), " ")
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200]) + "…"
	}
	if s == "" {
		s = "(empty body)"
	}
	return s
}

// millis is MLflow's timestamp unit.
func millis(t time.Time) int64 { return t.UnixMilli() }
