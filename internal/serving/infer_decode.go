package serving

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// decodeInfer reads a /v2 body. The body is kept until it is decoded so
// that a number beyond float64 can be found again and named.
func (g *Gateway) decodeInfer(w http.ResponseWriter, r *http.Request) (inferRequest, *apiError) {
	var req inferRequest
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, g.opts.MaxBodyBytes))
	if err != nil {
		return req, g.bodyError(err, inferShape)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && strings.HasPrefix(te.Value, "number") {
			if name, elem, lit := overflowingElement(raw); name != "" {
				return req, &apiError{code: http.StatusBadRequest, body: errorBody{
					Error: fmt.Sprintf("input %q, element %d: %s is not a finite number (it is beyond ±1.8e308); send a finite number, or null for a value you do not know", name, elem, lit),
					Row:   &elem, Column: name}}
			}
		}
		return req, g.bodyError(err, inferShape)
	}
	return req, nil
}

// overflowingElement finds the input and element whose number does not
// fit a float64, decoding the body again with numbers kept as text.
func overflowingElement(raw []byte) (name string, elem int, literal string) {
	var req struct {
		Inputs []struct {
			Name string `json:"name"`
			Data []any  `json:"data"`
		} `json:"inputs"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if dec.Decode(&req) != nil {
		return "", 0, ""
	}
	for _, in := range req.Inputs {
		for i, d := range flatten(in.Data) {
			if n, ok := d.(json.Number); ok {
				if _, err := strconv.ParseFloat(string(n), 64); err != nil {
					return in.Name, i, string(n)
				}
			}
		}
	}
	return "", 0, ""
}

// strictParameter reads parameters.strict: true unless it says false.
func strictParameter(params map[string]any) (bool, *apiError) {
	v, ok := params["strict"]
	if !ok {
		return true, nil
	}
	b, ok := v.(bool)
	if !ok {
		return true, newAPIError(http.StatusBadRequest, `"parameters": {"strict": ...} must be true or false (false ignores inputs the model does not take)`)
	}
	return b, nil
}

// admitColumns bounds a /v2 request's rows before they are built: over
// MaxRowsPerRequest is a 413, and the rows are held against the budget.
func (g *Gateway) admitColumns(inputs []inferTensor, hold *rowHold) *apiError {
	if len(inputs) == 0 || len(inputs[0].Shape) == 0 {
		return nil // columnsToRows says what is wrong
	}
	n := inputs[0].Shape[0]
	if n > g.opts.MaxRowsPerRequest {
		return g.tooManyRows()
	}
	if n > 0 && !hold.cover(n) {
		return g.saturated()
	}
	return nil
}
