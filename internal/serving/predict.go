package serving

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// HeaderModelVersion names the version that answered a prediction.
const HeaderModelVersion = "X-Model-Version"

const predictSuffix = ":predict"

// predictRequest accepts the TF-Serving style "instances" and the plainer "rows".
type predictRequest struct {
	Instances []map[string]any `json:"instances"`
	Rows      []map[string]any `json:"rows"`
}

type predictResponse struct {
	Model       string       `json:"model"`
	Version     int          `json:"version"`
	Variant     string       `json:"variant"`
	RequestID   string       `json:"request_id"`
	Predictions []Prediction `json:"predictions"`
}

// handlePredict serves POST /v1/models/{name}:predict. The colon sits inside
// the path segment, which ServeMux cannot split, so the wildcard takes the
// whole segment and the suffix is checked here.
func (g *Gateway) handlePredict(w http.ResponseWriter, r *http.Request) {
	target := r.PathValue("target")
	name, ok := strings.CutSuffix(target, predictSuffix)
	if !ok {
		writeError(w, r, http.StatusNotFound, fmt.Sprintf("no such endpoint: POST /v1/models/%s; to predict, POST /v1/models/<name>:predict", target))
		return
	}
	s := g.table.Load().models[name]
	if s == nil {
		g.metrics.unknownModel.Add(1)
		writeError(w, r, http.StatusNotFound, fmt.Sprintf("model %q is not served: it is not in the registry or has no %s version", name, g.opts.Alias))
		return
	}
	start := time.Now()
	v, code, rows := g.predict(w, r, s)
	finish(v, code, rows, time.Since(start))
}

// predict answers one request and reports who answered, the status and the
// rows scored. Requests refused before routing count against production.
func (g *Gateway) predict(w http.ResponseWriter, r *http.Request, s *served) (v *variant, code, rows int) {
	var req predictRequest
	if code, msg := decodeBody(w, r, g.opts.MaxBodyBytes, &req, `{"instances": [{"column": value, ...}, ...]}`); code != 0 {
		writeError(w, r, code, msg)
		return s.production, code, 0
	}
	in := req.Instances
	if in == nil {
		in = req.Rows
	}
	if len(in) == 0 {
		writeError(w, r, http.StatusBadRequest, `no rows to score: send {"instances": [{"column": value, ...}, ...]} with at least one row`)
		return s.production, http.StatusBadRequest, 0
	}
	id := requestID(r)
	v, preds, serr := g.score(r, s, in, id)
	if serr != nil {
		writeError(w, r, serr.code, serr.msg)
		return v, serr.code, 0
	}
	if code := writeAnswer(w, r, v, predictResponse{Model: s.model, Version: v.version.Version, Variant: v.name, RequestID: id, Predictions: preds}); code != http.StatusOK {
		return v, code, 0
	}
	return v, http.StatusOK, len(in)
}

// writeAnswer encodes before writing headers, so an encoding failure can
// still be a clean 500, and names who answered in the headers.
func writeAnswer(w http.ResponseWriter, r *http.Request, v *variant, body any) int {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(body); err != nil {
		writeError(w, r, http.StatusInternalServerError, fmt.Sprintf("encode predictions: %v", err))
		return http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set(HeaderModelVersion, strconv.Itoa(v.version.Version))
	w.Header().Set(HeaderModelVariant, v.name)
	_, _ = w.Write(buf.Bytes()) // the client hung up; nothing left to tell it
	return http.StatusOK
}

// decodeBody reads a JSON body strictly into v; on failure it returns the
// status and a message that shows the expected shape.
func decodeBody(w http.ResponseWriter, r *http.Request, limit int64, v any, shape string) (int, string) {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return http.StatusRequestEntityTooLarge, fmt.Sprintf("request body is over %d bytes: send fewer rows per request", tooBig.Limit)
		}
		return http.StatusBadRequest, fmt.Sprintf("invalid JSON body: %v; send %s", err, shape)
	}
	return 0, ""
}
