package serving

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"
)

// Open Inference Protocol (KServe v2) over JSON. Inputs are columnar, one
// tensor per feature column; the answer has a label and a probability
// tensor, and for a multi-class model the N×K "probabilities" matrix.
// Routing, logging and feedback work as for /v1.

type inferRequest struct {
	ID         string         `json:"id,omitempty"`
	Parameters map[string]any `json:"parameters,omitempty"`
	Inputs     []inferTensor  `json:"inputs"`
	// Outputs may name the outputs wanted; both are always returned.
	Outputs []map[string]any `json:"outputs,omitempty"`
}

type inferTensor struct {
	Name       string         `json:"name"`
	Shape      []int          `json:"shape"`
	Datatype   string         `json:"datatype"`
	Parameters map[string]any `json:"parameters,omitempty"`
	Data       []any          `json:"data"`
}

type inferResponse struct {
	ModelName    string         `json:"model_name"`
	ModelVersion string         `json:"model_version"`
	ID           string         `json:"id"`
	Outputs      []inferOutput  `json:"outputs"`
	Parameters   map[string]any `json:"parameters"`
}

type inferOutput struct {
	Name       string         `json:"name"`
	Datatype   string         `json:"datatype"`
	Shape      []int          `json:"shape"`
	Parameters map[string]any `json:"parameters,omitempty"`
	Data       any            `json:"data"`
}

const inferShape = `{"inputs": [{"name": "column", "shape": [N], "datatype": "FP64", "data": [...]}, ...]}`

// handleInfer serves POST /v2/models/{name}/infer. A body "id" becomes the
// request ID (for logs and feedback) when no X-Request-Id header was sent.
func (g *Gateway) handleInfer(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	s := g.table.Load().models[name]
	if s == nil {
		g.metrics.unknownModel.Add(1)
		g.notServed(w, r, name)
		return
	}
	start := time.Now()
	hold := rowHold{b: g.rows}
	defer hold.release()
	v, code, rows := g.infer(w, r, s, &hold, start)
	g.finish(v, code, rows, time.Since(start))
	g.logFailure(s.model, v, requestID(r), code, start)
}

func (g *Gateway) infer(w http.ResponseWriter, r *http.Request, s *served, hold *rowHold, start time.Time) (v *variant, code, rows int) {
	req, aerr := g.decodeInfer(w, r)
	if aerr != nil {
		writeAPIError(w, r, aerr)
		return s.production, aerr.code, 0
	}
	if req.ID != "" && r.Header.Get(HeaderRequestID) == "" && len(req.ID) <= 128 {
		w.Header().Set(HeaderRequestID, req.ID)
		r = r.WithContext(context.WithValue(r.Context(), requestIDKey{}, req.ID))
	}
	strict, aerr := strictParameter(req.Parameters)
	if aerr == nil {
		aerr = g.admitColumns(req.Inputs, hold)
	}
	if aerr != nil {
		writeAPIError(w, r, aerr)
		return s.production, aerr.code, 0
	}
	in, err := columnsToRows(req.Inputs)
	if err != nil {
		writeError(w, r, http.StatusBadRequest, fmt.Sprintf("%v; send %s", err, inferShape))
		return s.production, http.StatusBadRequest, 0
	}
	id := requestID(r)
	v, preds, ignored, aerr := g.score(r, s, in, id, strict, protoV2)
	if aerr != nil {
		writeAPIError(w, r, aerr)
		return v, aerr.code, 0
	}
	labels := make([]string, len(preds))
	probs := make([]float64, len(preds))
	for i, p := range preds {
		labels[i], probs[i] = p.Label, p.Probability
	}
	respID := req.ID
	if respID == "" {
		respID = id
	}
	resp := inferResponse{
		ModelName: s.model, ModelVersion: strconv.Itoa(v.version.Version), ID: respID,
		Outputs: []inferOutput{
			{Name: "label", Datatype: "BYTES", Shape: []int{len(preds)}, Data: labels},
			{Name: "probability", Datatype: "FP64", Shape: []int{len(preds)}, Data: probs},
		},
		Parameters: map[string]any{"variant": v.name, "request_id": id},
	}
	if ignored != nil {
		resp.Parameters["ignored_inputs"] = ignored
	}
	if v.classList != nil {
		resp.Outputs = append(resp.Outputs, probabilityMatrix(v.classList, preds))
	}
	if code := writeAnswer(w, r, v, resp); code != http.StatusOK {
		return v, code, 0
	}
	g.logPredictions(s.model, v, id, in, nil, preds, start)
	return v, http.StatusOK, len(in)
}

// probabilityMatrix is a multi-class answer's N×K class probabilities, row
// major, columns in the model's class order (named in its parameters).
func probabilityMatrix(classes []string, preds []Prediction) inferOutput {
	data := make([]float64, 0, len(preds)*len(classes))
	for _, p := range preds {
		for _, c := range classes {
			data = append(data, p.Probabilities[c])
		}
	}
	return inferOutput{Name: "probabilities", Datatype: "FP64", Shape: []int{len(preds), len(classes)},
		Parameters: map[string]any{"classes": classes}, Data: data}
}

// columnsToRows turns one tensor per column into rows as /v1 receives
// them: numbers as float64, BYTES as strings, null as an explicit null.
func columnsToRows(inputs []inferTensor) ([]map[string]any, error) {
	if len(inputs) == 0 {
		return nil, fmt.Errorf("no inputs: send one input per feature column")
	}
	n := -1
	seen := map[string]bool{}
	for i, t := range inputs {
		if t.Name == "" {
			return nil, fmt.Errorf("input %d has no name: name it after its feature column", i)
		}
		if seen[t.Name] {
			return nil, fmt.Errorf("input %q appears twice: send each column once", t.Name)
		}
		seen[t.Name] = true
		rows, err := tensorRows(t)
		if err != nil {
			return nil, fmt.Errorf("input %q: %w", t.Name, err)
		}
		if n >= 0 && rows != n {
			return nil, fmt.Errorf("input %q has %d rows but input %q has %d: every column needs one value per row", t.Name, rows, inputs[0].Name, n)
		}
		n = rows
	}
	if n == 0 {
		return nil, fmt.Errorf("no rows to score: shape [0]")
	}
	out := make([]map[string]any, n)
	for i := range out {
		out[i] = make(map[string]any, len(inputs))
	}
	for _, t := range inputs {
		data := flatten(t.Data)
		for i := range n {
			v, err := element(t.Datatype, data[i])
			if err != nil {
				return nil, fmt.Errorf("input %q, element %d: %w", t.Name, i, err)
			}
			out[i][t.Name] = v // nil: an explicit unknown, imputed by the model
		}
	}
	return out, nil
}

// tensorRows checks a column's shape ([N] or [N, 1]) against its data.
func tensorRows(t inferTensor) (int, error) {
	switch t.Datatype {
	case "FP64", "FP32", "INT64", "BYTES":
	default:
		return 0, fmt.Errorf("datatype %q is not supported: use FP64, FP32, INT64 or BYTES", t.Datatype)
	}
	if len(t.Shape) == 0 || len(t.Shape) > 2 || t.Shape[0] < 0 || (len(t.Shape) == 2 && t.Shape[1] != 1) {
		return 0, fmt.Errorf("shape %v: a column's shape is [N] or [N, 1]", t.Shape)
	}
	if got := len(flatten(t.Data)); got != t.Shape[0] {
		return 0, fmt.Errorf("shape %v says %d values but data has %d", t.Shape, t.Shape[0], got)
	}
	return t.Shape[0], nil
}

// flatten accepts data written flat or nested by row ([[1], [2]]).
func flatten(data []any) []any {
	nested := false
	for _, d := range data {
		if _, ok := d.([]any); ok {
			nested = true
			break
		}
	}
	if !nested {
		return data
	}
	var out []any
	for _, d := range data {
		if inner, ok := d.([]any); ok {
			out = append(out, flatten(inner)...)
		} else {
			out = append(out, d)
		}
	}
	return out
}

func element(datatype string, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch datatype {
	case "BYTES":
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("BYTES data must be strings, got %v", v)
		}
		return s, nil
	case "INT64":
		f, ok := v.(float64)
		if !ok || f != math.Trunc(f) {
			return nil, fmt.Errorf("INT64 data must be whole numbers, got %v", v)
		}
		return f, nil
	default:
		f, ok := v.(float64)
		if !ok {
			return nil, fmt.Errorf("%s data must be numbers, got %v", datatype, v)
		}
		return f, nil
	}
}

// handleModelMetadataV2 serves GET /v2/models/{name}.
func (g *Gateway) handleModelMetadataV2(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	s := g.table.Load().models[name]
	if s == nil {
		g.notServed(w, r, name)
		return
	}
	versions := []string{strconv.Itoa(s.production.version.Version)}
	params := map[string]any{"production": s.production.version.Version, "alias": g.opts.Alias}
	if c := s.candidate; c != nil {
		versions = append(versions, strconv.Itoa(c.version.Version))
		params[c.name] = c.version.Version
	}
	outputs := []map[string]any{
		{"name": "label", "datatype": "BYTES", "shape": []int{-1}},
		{"name": "probability", "datatype": "FP64", "shape": []int{-1}},
	}
	if classes := s.production.classList; classes != nil {
		outputs = append(outputs, map[string]any{"name": "probabilities", "datatype": "FP64", "shape": []int{-1, len(classes)},
			"parameters": map[string]any{"classes": classes}})
		params["classes"] = classes
	}
	inputs := []map[string]any{}
	if sc := s.production.schema; sc != nil {
		for _, in := range sc.inputs {
			dt := "BYTES"
			if in.Type == InputNumber {
				dt = "FP64"
			}
			inputs = append(inputs, map[string]any{"name": in.Name, "datatype": dt, "shape": []int{-1}})
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"name":     s.model,
		"versions": versions,
		"platform": "mlpipe",
		// One input per column the production version reads (empty when
		// its predictor does not say).
		"inputs":     inputs,
		"outputs":    outputs,
		"parameters": params,
	})
}

// handleReadyV2 serves GET /v2/health/ready.
func (g *Gateway) handleReadyV2(w http.ResponseWriter, r *http.Request) {
	if !g.ready.Load() {
		writeJSON(w, http.StatusServiceUnavailable, map[string]bool{"ready": false})
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"ready": true})
}
