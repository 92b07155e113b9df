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

type predictResponse struct {
	Model       string       `json:"model"`
	Version     int          `json:"version"`
	Variant     string       `json:"variant"`
	RequestID   string       `json:"request_id"`
	Predictions []Prediction `json:"predictions"`
	// IgnoredKeys are the keys a "strict": false request sent that the
	// model does not take.
	IgnoredKeys []string `json:"ignored_keys,omitempty"`
}

// handlePredict serves POST /v1/models/{name}:predict. The colon sits inside
// the path segment, which ServeMux cannot split, so the wildcard takes the
// whole segment and the suffix is checked here.
func (g *Gateway) handlePredict(w http.ResponseWriter, r *http.Request) {
	target := r.PathValue("target")
	name, ok := strings.CutSuffix(target, predictSuffix)
	if !ok {
		notAllowed(w, r, fmt.Sprintf("POST /v1/models/%s reads nothing; to predict, POST /v1/models/%s:predict", target, target), http.MethodGet)
		return
	}
	s := g.table.Load().models[name]
	if s == nil {
		g.metrics.unknownModel.Add(1)
		writeError(w, r, http.StatusNotFound, fmt.Sprintf("model %q is not served: it is not in the registry or has no %s version", name, g.opts.Alias))
		return
	}
	start := time.Now()
	hold := rowHold{b: g.rows}
	defer hold.release()
	v, code, rows := g.predict(w, r, s, &hold, start)
	g.finish(v, code, rows, time.Since(start))
	g.logFailure(s.model, v, requestID(r), code, start)
}

// predict answers one request and reports who answered, the status and the
// rows scored. Requests refused before routing count against production.
func (g *Gateway) predict(w http.ResponseWriter, r *http.Request, s *served, hold *rowHold, start time.Time) (v *variant, code, rows int) {
	req, aerr := g.decodePredict(w, r, hold)
	if aerr != nil {
		writeAPIError(w, r, aerr)
		return s.production, aerr.code, 0
	}
	in := req.rows
	if len(in) == 0 {
		writeError(w, r, http.StatusBadRequest, "no rows to score: send "+predictShape+" with at least one row")
		return s.production, http.StatusBadRequest, 0
	}
	hold.trim(len(in))
	id := requestID(r)
	v, preds, ignored, aerr := g.score(r, s, in, id, req.strict, protoV1)
	if aerr != nil {
		writeAPIError(w, r, aerr)
		return v, aerr.code, 0
	}
	resp := predictResponse{Model: s.model, Version: v.version.Version, Variant: v.name, RequestID: id, Predictions: preds, IgnoredKeys: ignored}
	if code := writeAnswer(w, r, v, resp); code != http.StatusOK {
		return v, code, 0
	}
	g.logPredictions(s.model, v, id, in, req.raw, preds, start)
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
