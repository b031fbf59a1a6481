package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/newsintel/newsintel/inference"
)

// Encoder is what the web layer needs from the sentence encoder.
type Encoder interface {
	// Ready is nil once the model is loaded and warm; inference.ErrNotReady
	// while it loads.
	Ready() error
	Encode(ctx context.Context, texts []string) ([]inference.Embedding, error)
	ModelID() string
}

// maxEmbedInputs bounds one /embed call; larger batches must be split.
const maxEmbedInputs = 256

// embedRequest is TEI's request shape: inputs is one string or a list.
type embedRequest struct {
	Inputs json.RawMessage `json:"inputs"`
	texts  []string        // Inputs, read by Validate
}

// Validate reads Inputs into texts, checking each one.
func (r *embedRequest) Validate() []FieldError {
	raw := bytes.TrimSpace(r.Inputs)
	switch {
	case len(raw) == 0 || string(raw) == "null":
		return []FieldError{{Field: "inputs", Message: "required: a string or a list of strings"}}
	case raw[0] == '"':
		var one string
		if err := json.Unmarshal(raw, &one); err != nil {
			return []FieldError{{Field: "inputs", Message: "not a valid string"}}
		}
		r.texts = []string{one}
	case raw[0] == '[':
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return []FieldError{{Field: "inputs", Message: "not a valid list"}}
		}
		r.texts = make([]string, len(items))
		for i, item := range items {
			if err := json.Unmarshal(item, &r.texts[i]); err != nil {
				return []FieldError{{Field: "inputs[" + strconv.Itoa(i) + "]", Message: "expected a string"}}
			}
		}
	default:
		return []FieldError{{Field: "inputs", Message: "expected a string or a list of strings"}}
	}
	in := r.texts
	switch {
	case len(in) == 0:
		return []FieldError{{Field: "inputs", Message: "must hold at least one text"}}
	case len(in) > maxEmbedInputs:
		return []FieldError{{Field: "inputs", Message: fmt.Sprintf("holds %d texts; at most %d per call", len(in), maxEmbedInputs)}}
	}
	var errs []FieldError
	for i, text := range in {
		if strings.TrimSpace(text) == "" {
			errs = append(errs, FieldError{Field: "inputs[" + strconv.Itoa(i) + "]", Message: "must not be empty"})
		}
	}
	return errs
}

// EmbedResponse is the body of a successful POST /embed.
type EmbedResponse struct {
	Embeddings [][]float32 `json:"embeddings"`
	Model      string      `json:"model"`
	// Truncated flags the inputs longer than the model reads
	// (inference.MaxTokens tokens); they were embedded from their start.
	Truncated []bool `json:"truncated"`
}

// embed is POST /embed: sentence embeddings, unit length, in input order.
func (s *Server) embed(c echo.Context) error {
	var req embedRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	out, err := s.encoder.Encode(c.Request().Context(), req.texts)
	if err != nil {
		return err
	}
	res := EmbedResponse{Model: s.encoder.ModelID(), Embeddings: make([][]float32, len(out)), Truncated: make([]bool, len(out))}
	for i, e := range out {
		res.Embeddings[i], res.Truncated[i] = e.Vector, e.Truncated
	}
	return c.JSON(http.StatusOK, res)
}
