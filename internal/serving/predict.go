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
	code, rows := g.predict(w, r, s)
	s.stats.observe(code, rows, time.Since(start))
}

// predict answers one request and reports the status and rows scored.
func (g *Gateway) predict(w http.ResponseWriter, r *http.Request, s *served) (code, rows int) {
	var req predictRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, g.opts.MaxBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, r, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body is over %d bytes: send fewer rows per request", tooBig.Limit))
			return http.StatusRequestEntityTooLarge, 0
		}
		writeError(w, r, http.StatusBadRequest, fmt.Sprintf(`invalid JSON body: %v; send {"instances": [{"column": value, ...}, ...]}`, err))
		return http.StatusBadRequest, 0
	}
	in := req.Instances
	if in == nil {
		in = req.Rows
	}
	if len(in) == 0 {
		writeError(w, r, http.StatusBadRequest, `no rows to score: send {"instances": [{"column": value, ...}, ...]} with at least one row`)
		return http.StatusBadRequest, 0
	}
	preds, err := safePredict(s.predictor, in)
	if err != nil {
		writeError(w, r, http.StatusBadRequest, fmt.Sprintf("model %s version %d: %v", s.version.Name, s.version.Version, err))
		return http.StatusBadRequest, 0
	}
	if len(preds) != len(in) {
		writeError(w, r, http.StatusInternalServerError, fmt.Sprintf("model %s version %d returned %d predictions for %d rows", s.version.Name, s.version.Version, len(preds), len(in)))
		return http.StatusInternalServerError, 0
	}
	// Encode before writing headers so an encoding failure can still be a clean 500.
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(predictResponse{Model: s.version.Name, Version: s.version.Version, Predictions: preds}); err != nil {
		writeError(w, r, http.StatusInternalServerError, fmt.Sprintf("encode predictions: %v", err))
		return http.StatusInternalServerError, 0
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set(HeaderModelVersion, strconv.Itoa(s.version.Version))
	_, _ = w.Write(buf.Bytes()) // the client hung up; nothing left to tell it
	return http.StatusOK, len(in)
}

// safePredict turns a predictor panic into an error for this request alone.
func safePredict(p Predictor, rows []map[string]any) (preds []Prediction, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("predictor panicked: %v", r)
		}
	}()
	return p.Predict(rows)
}
