package serving_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/routing"
)

const inferTwoRows = `{"id": "inf-1", "inputs": [
	{"name": "tenure", "shape": [2], "datatype": "FP64", "data": [3, 40]},
	{"name": "plan", "shape": [2, 1], "datatype": "BYTES", "data": [["basic"], ["pro"]]},
	{"name": "seats", "shape": [2], "datatype": "INT64", "data": [1, null]}]}`

func TestInferSpeaksOpenInferenceProtocol(t *testing.T) {
	f := newFixture(t)
	require.NoError(t, f.gw.Reload(context.Background()))

	r := f.do(t, "POST", "/v2/models/churn/infer", inferTwoRows)
	require.Equal(t, http.StatusOK, r.code, r.body)
	assert.JSONEq(t, `{"model_name": "churn", "model_version": "1", "id": "inf-1",
		"outputs": [
			{"name": "label", "datatype": "BYTES", "shape": [2], "data": ["yes", "yes"]},
			{"name": "probability", "datatype": "FP64", "shape": [2], "data": [0.83, 0.83]}],
		"parameters": {"variant": "production", "request_id": "inf-1"}}`, r.body)
	assert.Equal(t, "inf-1", r.header.Get("X-Request-Id"), "the body id names the request when no header does")

	// The id joins feedback like a /v1 request ID.
	fb := f.do(t, "POST", "/v1/models/churn/feedback", `{"request_id": "inf-1", "row": 1, "label": "yes"}`)
	assert.JSONEq(t, `{"joined": 1, "unknown": 0, "duplicate": 0, "invalid": 0}`, fb.body)

	// A header wins over the body id, which is still echoed.
	r = f.do(t, "POST", "/v2/models/churn/infer", inferTwoRows, "X-Request-Id", "hdr")
	require.Equal(t, http.StatusOK, r.code, r.body)
	var resp struct {
		ID         string            `json:"id"`
		Parameters map[string]string `json:"parameters"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.body), &resp))
	assert.Equal(t, "inf-1", resp.ID)
	assert.Equal(t, "hdr", resp.Parameters["request_id"])

	// Routing applies: at weight 100 the canary answers.
	f.route(t, routing.Routing{Candidate: 2, Mode: routing.ModeCanary, Weight: 100})
	r = f.do(t, "POST", "/v2/models/churn/infer", `{"inputs": [{"name": "tenure", "shape": [1], "datatype": "FP32", "data": [1.5]}]}`)
	require.Equal(t, http.StatusOK, r.code, r.body)
	assert.Contains(t, r.body, `"model_version":"2"`)
	assert.Contains(t, r.body, `"variant":"canary"`)
	assert.Contains(t, r.body, `"id":"`+r.header.Get("X-Request-Id")+`"`, "without a body id the request ID is the id")
	assert.Equal(t, int64(1), f.stats(t).Variant("canary").Requests)
}

func TestInferErrors(t *testing.T) {
	f := newFixture(t)
	require.NoError(t, f.gw.Reload(context.Background()))
	for _, c := range []struct {
		name, path, body string
		code             int
		msg              string
	}{
		{"unknown model", "/v2/models/nope/infer", inferTwoRows, 404, `model "nope" is not served`},
		{"no inputs", "/v2/models/churn/infer", `{"inputs": []}`, 400, "no inputs: send one input per feature column"},
		{"datatype", "/v2/models/churn/infer", `{"inputs": [{"name": "tenure", "shape": [1], "datatype": "FP16", "data": [1]}]}`, 400, `input "tenure": datatype "FP16" is not supported: use FP64, FP32, INT64 or BYTES`},
		{"shape vs data", "/v2/models/churn/infer", `{"inputs": [{"name": "tenure", "shape": [3], "datatype": "FP64", "data": [1, 2]}]}`, 400, `input "tenure": shape [3] says 3 values but data has 2`},
		{"matrix shape", "/v2/models/churn/infer", `{"inputs": [{"name": "tenure", "shape": [1, 2], "datatype": "FP64", "data": [1, 2]}]}`, 400, "a column's shape is [N] or [N, 1]"},
		{"ragged columns", "/v2/models/churn/infer", `{"inputs": [{"name": "tenure", "shape": [2], "datatype": "FP64", "data": [1, 2]}, {"name": "plan", "shape": [1], "datatype": "BYTES", "data": ["a"]}]}`, 400, `input "plan" has 1 rows but input "tenure" has 2`},
		{"string in FP64", "/v2/models/churn/infer", `{"inputs": [{"name": "tenure", "shape": [1], "datatype": "FP64", "data": ["3"]}]}`, 400, `input "tenure", element 0: FP64 data must be numbers, got 3`},
		{"fraction in INT64", "/v2/models/churn/infer", `{"inputs": [{"name": "tenure", "shape": [1], "datatype": "INT64", "data": [2.5]}]}`, 400, "INT64 data must be whole numbers, got 2.5"},
		{"number in BYTES", "/v2/models/churn/infer", `{"inputs": [{"name": "plan", "shape": [1], "datatype": "BYTES", "data": [7]}]}`, 400, "BYTES data must be strings"},
		{"duplicate input", "/v2/models/churn/infer", `{"inputs": [{"name": "tenure", "shape": [1], "datatype": "FP64", "data": [1]}, {"name": "tenure", "shape": [1], "datatype": "FP64", "data": [1]}]}`, 400, `input "tenure" appears twice`},
		{"predictor error", "/v2/models/churn/infer", `{"inputs": [{"name": "plan", "shape": [1], "datatype": "BYTES", "data": ["pro"]}]}`, 400, `model churn version 1: row 0: column "tenure" is missing`},
		{"misspelt field", "/v2/models/churn/infer", `{"input": []}`, 400, `unknown field "input"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := f.do(t, "POST", c.path, c.body)
			assert.Equal(t, c.code, r.code, r.body)
			assert.Contains(t, r.decoded.Error, c.msg)
		})
	}
}

func TestInferMetadataAndHealth(t *testing.T) {
	f := newFixture(t)
	assert.Equal(t, http.StatusServiceUnavailable, f.do(t, "GET", "/v2/health/ready", "").code)
	assert.Equal(t, http.StatusOK, f.do(t, "GET", "/v2/health/live", "").code)
	require.NoError(t, f.gw.Reload(context.Background()))
	r := f.do(t, "GET", "/v2/health/ready", "")
	assert.Equal(t, http.StatusOK, r.code)
	assert.JSONEq(t, `{"ready": true}`, r.body)

	f.route(t, routing.Routing{Candidate: 2, Mode: routing.ModeShadow, Mirror: 10})
	r = f.do(t, "GET", "/v2/models/churn", "")
	require.Equal(t, http.StatusOK, r.code, r.body)
	assert.JSONEq(t, `{"name": "churn", "versions": ["1", "2"], "platform": "mlpipe", "inputs": [],
		"outputs": [{"name": "label", "datatype": "BYTES", "shape": [-1]}, {"name": "probability", "datatype": "FP64", "shape": [-1]}],
		"parameters": {"production": 1, "shadow": 2, "alias": "production"}}`, r.body)
	assert.Equal(t, http.StatusNotFound, f.do(t, "GET", "/v2/models/nope", "").code)
}
