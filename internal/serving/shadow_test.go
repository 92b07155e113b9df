package serving_test

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/registry"
	"github.com/mlpipe/mlpipe/internal/routing"
	"github.com/mlpipe/mlpipe/internal/serving"
)

func TestShadowScoresMirroredRequestsButNeverAnswers(t *testing.T) {
	f := newFixture(t)
	require.NoError(t, f.gw.Reload(context.Background()))
	f.route(t, routing.Routing{Candidate: 2, Mode: routing.ModeShadow, Mirror: 100})

	for _, id := range []string{"s1", "s2", "s3"} {
		r := f.do(t, "POST", "/v1/models/churn:predict", twoRows, "X-Request-Id", id)
		require.Equal(t, http.StatusOK, r.code, r.body)
		assert.Equal(t, "production", r.decoded.Variant)
		assert.Equal(t, 1, r.decoded.Version)
		assert.Equal(t, "yes", r.decoded.Predictions[0].Label)
	}
	require.Eventually(t, func() bool { return f.stats(t).Variant("shadow").Compared == 6 }, 10*time.Second, 5*time.Millisecond)

	st := f.stats(t)
	prod, shadow := st.Variant("production"), st.Variant("shadow")
	assert.Equal(t, int64(3), prod.Requests)
	assert.Equal(t, int64(6), prod.Rows)
	assert.Equal(t, int64(6), prod.Positives, "0.83 is above 0.5")
	assert.Equal(t, int64(6), prod.Probabilities[8])
	assert.Equal(t, 2, shadow.Version)
	assert.Equal(t, int64(3), shadow.Requests)
	assert.Equal(t, int64(6), shadow.Rows)
	assert.Equal(t, int64(0), shadow.Positives, "0.4 is not")
	assert.Equal(t, int64(6), shadow.Probabilities[4])
	assert.Equal(t, int64(0), shadow.Agreed, "yes against no on every row")

	// Feedback scores both: production said yes, the shadow no, truth is no.
	r := f.do(t, "POST", "/v1/models/churn/feedback", `{"request_id": "s1", "row": 1, "label": "no", "value": 7}`)
	require.Equal(t, http.StatusOK, r.code, r.body)
	st = f.stats(t)
	prod, shadow = st.Variant("production"), st.Variant("shadow")
	assert.Equal(t, routing.VariantStats{Feedback: 1, FP: 1, Value: 7}, routing.VariantStats{Feedback: prod.Feedback, TP: prod.TP, FP: prod.FP, FN: prod.FN, TN: prod.TN, Value: prod.Value})
	assert.Equal(t, routing.VariantStats{Feedback: 1, TN: 1}, routing.VariantStats{Feedback: shadow.Feedback, TP: shadow.TP, FP: shadow.FP, FN: shadow.FN, TN: shadow.TN, Value: shadow.Value},
		"the shadow is scored but earns no value: the caller got production's answer")

	m := f.do(t, "GET", "/metrics", "").body
	assert.Contains(t, m, `mlpipe_shadow_compared_total{model="churn",variant="shadow",version="2"} 6`+"\n")
	assert.Contains(t, m, `mlpipe_shadow_agreed_total{model="churn",variant="shadow",version="2"} 0`+"\n")
	assert.Contains(t, m, `mlpipe_feedback_total{model="churn",variant="shadow",version="2"} 1`+"\n")
	assert.Contains(t, m, `mlpipe_feedback_correct_total{model="churn",variant="shadow",version="2"} 1`+"\n")
	assert.Contains(t, m, `mlpipe_feedback_correct_total{model="churn",variant="production",version="1"} 0`+"\n")
	assert.Contains(t, m, `mlpipe_routing_mirror{model="churn"} 100`+"\n")
	assert.NotRegexp(t, `mlpipe_predict_requests_total\{[^}]*version="2"`, m, "the shadow answers no request")
}

// blocking is a shadow predictor that holds its first call until released.
type blocking struct {
	entered chan struct{}
	release chan struct{}
	once    sync.Once
}

func (b *blocking) Predict(rows []map[string]any) ([]serving.Prediction, error) {
	b.once.Do(func() { close(b.entered) })
	<-b.release
	out := make([]serving.Prediction, len(rows))
	for i := range out {
		out[i] = serving.Prediction{Label: "yes", Probability: 0.9}
	}
	return out, nil
}

func TestFullShadowQueueDropsMirrorsWithoutSlowingCallers(t *testing.T) {
	shadow := &blocking{entered: make(chan struct{}), release: make(chan struct{})}
	load := func(ctx context.Context, v registry.Version) (serving.Predictor, error) {
		if v.Version == 2 {
			return shadow, nil
		}
		return loadBundle(ctx, v)
	}
	f := newFixtureWith(t, serving.Options{AdminToken: adminToken, ShadowWorkers: 1, ShadowQueue: 1}, load)
	require.NoError(t, f.gw.Reload(context.Background()))
	f.route(t, routing.Routing{Candidate: 2, Mode: routing.ModeShadow, Mirror: 100})

	// The worker takes the first mirror and blocks; the second waits in the
	// queue; the other three find it full. Every caller is answered while
	// the shadow is stuck.
	require.Equal(t, http.StatusOK, f.do(t, "POST", "/v1/models/churn:predict", twoRows).code)
	<-shadow.entered
	for range 4 {
		r := f.do(t, "POST", "/v1/models/churn:predict", twoRows)
		require.Equal(t, http.StatusOK, r.code, r.body)
		assert.Equal(t, "production", r.decoded.Variant)
	}
	assert.Contains(t, f.do(t, "GET", "/metrics", "").body, `mlpipe_shadow_dropped_total{model="churn"} 3`+"\n")

	close(shadow.release)
	require.Eventually(t, func() bool { return f.stats(t).Variant("shadow").Compared == 4 }, 10*time.Second, 5*time.Millisecond)
	assert.Equal(t, int64(4), f.stats(t).Variant("shadow").Agreed, "both said yes")
}

func TestFailingShadowCountsErrors(t *testing.T) {
	f := newFixture(t)
	require.NoError(t, f.gw.Reload(context.Background()))
	short := f.register(t, "churn", bundle{Label: "no", Probability: 0.1, Short: true})
	f.route(t, routing.Routing{Candidate: short.Version, Mode: routing.ModeShadow, Mirror: 100})

	r := f.do(t, "POST", "/v1/models/churn:predict", twoRows)
	require.Equal(t, http.StatusOK, r.code, r.body)
	require.Eventually(t, func() bool { return f.stats(t).Variant("shadow").Errors == 1 }, 10*time.Second, 5*time.Millisecond)
	shadow := f.stats(t).Variant("shadow")
	assert.Equal(t, int64(1), shadow.Requests)
	assert.Equal(t, int64(0), shadow.Compared)
	assert.Contains(t, f.do(t, "GET", "/metrics", "").body, `mlpipe_shadow_errors_total{model="churn",variant="shadow",version="3"} 1`+"\n")
}

func TestStatsStartOverWithEachRoutingEpoch(t *testing.T) {
	f := newFixture(t)
	require.NoError(t, f.gw.Reload(context.Background()))
	short := f.register(t, "churn", bundle{Label: "no", Probability: 0.1, Short: true})
	f.route(t, routing.Routing{Candidate: short.Version, Mode: routing.ModeCanary, Weight: 100})

	// The canary drops a row: a 500 counted against it.
	r := f.do(t, "POST", "/v1/models/churn:predict", twoRows)
	assert.Equal(t, http.StatusInternalServerError, r.code)
	assert.Contains(t, r.decoded.Error, "model churn version 3 returned 1 predictions for 2 rows")
	require.Equal(t, http.StatusBadRequest, f.do(t, "POST", "/v1/models/churn:predict", `{`).code)

	st := f.stats(t)
	assert.Equal(t, int64(1), st.Routing.Epoch)
	canary := st.Variant("canary")
	assert.Equal(t, 3, canary.Version)
	assert.Equal(t, int64(1), canary.Requests)
	assert.Equal(t, int64(1), canary.Errors)
	assert.Equal(t, 1.0, canary.ErrorRate())
	assert.Positive(t, canary.P50)
	assert.GreaterOrEqual(t, canary.P99, canary.P50)
	prod := st.Variant("production")
	assert.Equal(t, int64(1), prod.Requests, "a body that cannot be read is refused before routing, by production")
	assert.Equal(t, int64(0), prod.Errors, "400 is the caller's error")

	f.route(t, routing.Routing{Candidate: 2, Mode: routing.ModeCanary, Weight: 100})
	st = f.stats(t)
	assert.Equal(t, int64(2), st.Routing.Epoch)
	assert.False(t, st.Since.IsZero())
	require.Len(t, st.Variants, 2)
	assert.Equal(t, routing.VariantStats{Variant: "canary", Version: 2}, st.Variant("canary"))
	assert.Equal(t, routing.VariantStats{Variant: "production", Version: 1}, st.Variant("production"))

	// A refresh that changes nothing keeps the epoch's counters.
	require.Equal(t, http.StatusOK, f.do(t, "POST", "/v1/models/churn:predict", twoRows).code)
	require.NoError(t, f.gw.Reload(context.Background()))
	assert.Equal(t, int64(2), f.stats(t).Variant("canary").Rows)

	// /metrics stays cumulative.
	m := f.do(t, "GET", "/metrics", "").body
	assert.Contains(t, m, `mlpipe_predict_requests_total{code="500",model="churn",variant="canary",version="3"} 1`+"\n")
	assert.Contains(t, m, `mlpipe_predict_requests_total{code="200",model="churn",variant="canary",version="2"} 1`+"\n")
	assert.Contains(t, m, `mlpipe_routing_weight{model="churn"} 100`+"\n")
}

func TestStatsJSONShape(t *testing.T) {
	f := newFixture(t)
	require.NoError(t, f.gw.Reload(context.Background()))
	r := f.admin(t, "GET", "/admin/models/churn/stats", "")
	require.Equal(t, http.StatusOK, r.code)
	var raw map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.body), &raw))
	assert.Equal(t, "churn", raw["model"])
	assert.Len(t, raw["variants"], 1, "production only without a candidate")
	assert.Equal(t, http.StatusNotFound, f.admin(t, "GET", "/admin/models/nope/stats", "").code)
}
