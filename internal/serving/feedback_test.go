package serving_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/routing"
	"github.com/mlpipe/mlpipe/internal/serving"
)

// outcomes keeps the feedback counters of a variant's stats.
func outcomes(v routing.VariantStats) routing.VariantStats {
	return routing.VariantStats{Feedback: v.Feedback, TP: v.TP, FP: v.FP, FN: v.FN, TN: v.TN, Value: v.Value}
}

func TestFeedbackJoinsPredictionsAndScoresEachVariant(t *testing.T) {
	f := newFixture(t)
	require.NoError(t, f.gw.Reload(context.Background()))
	f.route(t, routing.Routing{Candidate: 2, Mode: routing.ModeCanary, Weight: 100})
	// Weight 100: the canary (no, 0.4) answers p1.
	require.Equal(t, http.StatusOK, f.do(t, "POST", "/v1/models/churn:predict", twoRows, "X-Request-Id", "c1").code)
	f.route(t, routing.Routing{Candidate: 2, Mode: routing.ModeCanary, Weight: 0})
	// Weight 0: production (yes, 0.83) answers p1. Stats are of this epoch.
	require.Equal(t, http.StatusOK, f.do(t, "POST", "/v1/models/churn:predict", twoRows, "X-Request-Id", "p1").code)
	require.Equal(t, http.StatusOK, f.do(t, "POST", "/v1/models/churn:predict", twoRows, "X-Request-Id", "p2").code)

	r := f.do(t, "POST", "/v1/models/churn/feedback", `[
		{"request_id": "p1", "row": 0, "label": "yes", "value": 10},
		{"request_id": "p1", "row": 1, "label": "no", "value": -2.5},
		{"request_id": "p2", "label": "yes", "value": 1},
		{"request_id": "p1", "row": 0, "label": "yes", "value": 10},
		{"request_id": "p1", "row": 2, "label": "yes"},
		{"request_id": "never", "label": "yes"},
		{"request_id": "", "label": "yes"}
	]`)
	require.Equal(t, http.StatusOK, r.code, r.body)
	assert.JSONEq(t, `{"joined": 3, "unknown": 2, "duplicate": 1, "invalid": 1,
		"errors": ["feedback 6: request_id must be set and row (0) must not be negative"]}`, r.body)

	st := f.stats(t)
	assert.Equal(t, routing.VariantStats{Feedback: 3, TP: 2, FP: 1, Value: 8.5}, outcomes(st.Variant("production")))
	assert.Equal(t, 2.0/3, st.Variant("production").Accuracy())
	assert.Equal(t, routing.VariantStats{}, outcomes(st.Variant("canary")), "c1 was answered in the previous epoch")

	// Feedback for the last epoch's canary still reaches /metrics.
	r = f.do(t, "POST", "/v1/models/churn/feedback", `{"request_id": "c1", "row": 1, "label": "yes"}`)
	require.Equal(t, http.StatusOK, r.code, r.body)
	assert.JSONEq(t, `{"joined": 1, "unknown": 0, "duplicate": 0, "invalid": 0}`, r.body)
	m := f.do(t, "GET", "/metrics", "").body
	assert.Contains(t, m, `mlpipe_feedback_total{model="churn",variant="canary",version="2"} 1`+"\n")
	assert.Contains(t, m, `mlpipe_feedback_correct_total{model="churn",variant="canary",version="2"} 0`+"\n")
	assert.Contains(t, m, `mlpipe_feedback_total{model="churn",variant="production",version="1"} 3`+"\n")
	assert.Contains(t, m, `mlpipe_feedback_correct_total{model="churn",variant="production",version="1"} 2`+"\n")
	assert.Contains(t, m, `mlpipe_feedback_unknown_total{model="churn"} 2`+"\n")
}

func TestFeedbackUsesTheModelsClasses(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// Positive at 0.3: the model's threshold is below 0.5, so only its
	// classes can say this row was predicted positive.
	v := f.register(t, "churn", bundle{Label: "leaves", Probability: 0.3, Classes: [2]string{"stays", "leaves"}})
	require.NoError(t, f.reg.Promote(ctx, "churn", v.Version))
	require.NoError(t, f.gw.Reload(ctx))
	require.Equal(t, http.StatusOK, f.do(t, "POST", "/v1/models/churn:predict", twoRows, "X-Request-Id", "k").code)

	r := f.do(t, "POST", "/v1/models/churn/feedback", `[{"request_id": "k", "label": "Leaves"}, {"request_id": "k", "row": 1, "label": "stays"}]`)
	require.Equal(t, http.StatusOK, r.code, r.body)
	assert.JSONEq(t, `{"joined": 1, "unknown": 0, "duplicate": 0, "invalid": 1,
		"errors": ["feedback 0: request k row 0: label \"Leaves\" is neither class of version 3 (\"stays\", \"leaves\")"]}`, r.body)
	st := f.stats(t).Variant("production")
	assert.Equal(t, int64(2), st.Positives)
	assert.Equal(t, routing.VariantStats{Feedback: 1, FP: 1}, outcomes(st))

	// The refused row can still be given its right label.
	r = f.do(t, "POST", "/v1/models/churn/feedback", `{"request_id": "k", "label": "leaves"}`)
	assert.JSONEq(t, `{"joined": 1, "unknown": 0, "duplicate": 0, "invalid": 0}`, r.body)
	assert.Equal(t, int64(1), f.stats(t).Variant("production").TP)
}

func TestFeedbackErrors(t *testing.T) {
	f := newFixture(t)
	require.NoError(t, f.gw.Reload(context.Background()))
	for _, c := range []struct {
		name, path, body string
		code             int
		msg              string
	}{
		{"unknown model", "/v1/models/nope/feedback", `{"request_id": "a", "label": "yes"}`, 404, `model "nope" is not served`},
		{"bad JSON", "/v1/models/churn/feedback", `{"request_id": `, 400, "invalid JSON body"},
		{"misspelt field", "/v1/models/churn/feedback", `{"requestid": "a", "label": "yes"}`, 400, `unknown field "requestid"`},
		{"empty list", "/v1/models/churn/feedback", `[]`, 400, "no feedback"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := f.do(t, "POST", c.path, c.body)
			assert.Equal(t, c.code, r.code, r.body)
			assert.Contains(t, r.decoded.Error, c.msg)
		})
	}
}

func TestPredictionLogIsBounded(t *testing.T) {
	// 16 rows over 16 shards: one row per shard, so a request's second row
	// replaces its first (all of a request's rows share a shard).
	f := newFixtureWith(t, serving.Options{PredictionLog: 16}, nil)
	require.NoError(t, f.gw.Reload(context.Background()))
	require.Equal(t, http.StatusOK, f.do(t, "POST", "/v1/models/churn:predict", twoRows, "X-Request-Id", "r").code)

	r := f.do(t, "POST", "/v1/models/churn/feedback", `[{"request_id": "r", "row": 0, "label": "yes"}, {"request_id": "r", "row": 1, "label": "yes"}]`)
	require.Equal(t, http.StatusOK, r.code, r.body)
	assert.JSONEq(t, `{"joined": 1, "unknown": 1, "duplicate": 0, "invalid": 0}`, r.body)
}
