package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
)

// validator is implemented by request bodies that check themselves after
// decoding; a non-empty result is answered with 422.
type validator interface {
	Validate() []FieldError
}

// decodeJSON reads the request body into v. Everything a client can get
// wrong becomes a 422 naming the field (or 413 for a body over the limit,
// 415 for a body that is not JSON), never a 500. Unknown fields are
// ignored, as the Python service's clients send some.
func decodeJSON(c echo.Context, v any) error {
	req := c.Request()
	if ct := req.Header.Get(echo.HeaderContentType); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != echo.MIMEApplicationJSON {
			return &Error{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type",
				Message: "send the body as application/json"}
		}
	}
	// Read it whole: encoding/json silently turns invalid UTF-8 into U+FFFD,
	// and text we cannot read faithfully must be refused, not guessed at.
	raw, err := io.ReadAll(req.Body)
	if err != nil {
		return decodeError(err)
	}
	if !utf8.Valid(raw) {
		return errValidation(FieldError{Message: "the body is not valid UTF-8"})
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errValidation(FieldError{Message: "the body holds more than one JSON value"})
	}
	if val, ok := v.(validator); ok {
		if details := val.Validate(); len(details) > 0 {
			return errValidation(details...)
		}
	}
	return nil
}

// decodeError turns a json.Decoder failure into what the client is told.
func decodeError(err error) error {
	var (
		syntax  *json.SyntaxError
		typ     *json.UnmarshalTypeError
		tooBig  *http.MaxBytesError
		invalid *json.InvalidUnmarshalError
	)
	switch {
	case errors.As(err, &tooBig):
		return err
	case errors.As(err, &invalid):
		return err // a bug on our side: a 500
	case errors.Is(err, io.EOF):
		return errValidation(FieldError{Message: "the body is empty; send a JSON object"})
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errValidation(FieldError{Message: "the JSON body ends too early"})
	case errors.As(err, &syntax):
		return errValidation(FieldError{Message: fmt.Sprintf("malformed JSON at byte %d: %v", syntax.Offset, syntax)})
	case errors.As(err, &typ):
		return errValidation(FieldError{Field: jsonPath(typ.Field), Message: fmt.Sprintf("expected %s, got JSON %s", jsonKind(typ.Type.String()), typ.Value)})
	default:
		return errValidation(FieldError{Message: "the body is not valid JSON: " + err.Error()})
	}
}

// jsonKind names a Go type the way a JSON client thinks of it.
func jsonKind(goType string) string {
	switch goType {
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "int", "int32", "int64", "uint", "uint32", "uint64", "float32", "float64":
		return "a number"
	}
	if strings.HasPrefix(goType, "[]") {
		return "an array"
	}
	return "an object"
}

// jsonPath writes encoding/json's dotted field path ("articles.3.title")
// the way clients index JSON ("articles[3].title").
func jsonPath(field string) string {
	var b strings.Builder
	for i, part := range strings.Split(field, ".") {
		if _, err := strconv.Atoi(part); err == nil && i > 0 {
			b.WriteString("[" + part + "]")
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(part)
	}
	return b.String()
}
