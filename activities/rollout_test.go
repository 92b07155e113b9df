package activities_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/activities"
	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/inferlog"
	"github.com/mlpipe/mlpipe/internal/rollout"
	"github.com/mlpipe/mlpipe/internal/routing"
)

// repAnswers are binary answers: "yes" with 0.9, anything else with 0.1.
type repAnswers []string

func (a repAnswers) Len() int { return len(a) }
func (a repAnswers) At(i int) (string, float64, map[string]float64) {
	if a[i] == "yes" {
		return a[i], 0.9, nil
	}
	return a[i], 0.1, nil
}

// repGateway answers the admin stats and /healthz of one replica; logs says
// whether its /healthz reports an inference log.
func repGateway(t *testing.T, st routing.Stats, logs bool) string {
	t.Helper()
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/admin/models/churn/stats":
			_ = json.NewEncoder(w).Encode(st)
		case "/healthz":
			if logs {
				_, _ = w.Write([]byte(`{"status": "ok", "inference_log": {"replica": "gw-a", "rows": 3}}`))
			} else {
				_, _ = w.Write([]byte(`{"status": "ok"}`))
			}
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(gw.Close)
	return gw.URL
}

// repLog writes records through a replica's writer, as a gateway does.
func repLog(t *testing.T, store artifact.Store, replica string, preds ...inferlog.Predictions) {
	t.Helper()
	w, err := inferlog.NewWriter(inferlog.WriterOptions{Store: store, Replica: replica, FlushInterval: time.Hour, Retention: -1})
	require.NoError(t, err)
	for _, p := range preds {
		p.Model = "churn"
		require.True(t, w.LogPredictions(&p))
	}
	require.NoError(t, w.Close(context.Background()))
}

// The gateway the rollout steers writes the log: the analysis counts the
// requests of every replica since the routing changed, but not those of
// the last seconds, which a replica may not have flushed yet, and says
// where its figures came from. An unreadable batch is skipped.
func TestAnalyzeRolloutReadsTheLogOfEveryReplica(t *testing.T) {
	acts, store := newActs(t)
	now := time.Now().UTC()
	rt := routing.Routing{Model: "churn", Mode: routing.ModeCanary, Candidate: 2, Weight: 50, Epoch: 3, UpdatedAt: now.Add(-time.Minute)}
	own := routing.Stats{Model: "churn", Routing: rt, Since: rt.UpdatedAt, Variants: []routing.VariantStats{
		{Variant: routing.VariantProduction, Version: 1, Requests: 1}, {Variant: routing.VariantCanary, Version: 2}}}
	at := now.Add(-20 * time.Second)
	repLog(t, store, "gw-a",
		inferlog.Predictions{RequestID: "a1", Time: at, Version: 1, Variant: "production", Answers: repAnswers{"yes"}},
		inferlog.Predictions{RequestID: "a2", Time: at, Version: 2, Variant: "canary", Answers: repAnswers{"no"}},
		// Before the routing changed: another epoch.
		inferlog.Predictions{RequestID: "a0", Time: rt.UpdatedAt.Add(-time.Second), Version: 1, Variant: "production", Answers: repAnswers{"no"}},
		// Within the settling time: the next analysis counts it.
		inferlog.Predictions{RequestID: "a3", Time: now.Add(-time.Second), Version: 2, Variant: "canary", Answers: repAnswers{"no"}})
	repLog(t, store, "gw-b",
		inferlog.Predictions{RequestID: "b1", Time: at, Version: 1, Variant: "production", Answers: repAnswers{"no"}},
		inferlog.Predictions{RequestID: "b2", Time: at, Version: 2, Variant: "canary", Answers: repAnswers{}, Status: http.StatusInternalServerError})
	junk := "inference/churn/dt=" + at.Format("2006-01-02") + "/hour=" + at.Format("15") + "/x-1-000001.parquet"
	_, err := artifact.PutBytes(context.Background(), store, junk, bytes.Repeat([]byte("PAR1"), 8), "")
	require.NoError(t, err)

	res, err := execute[activities.AnalyzeRolloutResult](t, acts, acts.AnalyzeRollout,
		activities.AnalyzeRolloutInput{GatewayURL: repGateway(t, own, true), Model: "churn", Mode: routing.ModeCanary})
	require.NoError(t, err)
	assert.Equal(t, rollout.SourceInferenceLog, res.Source)
	assert.Equal(t, []string{"gw-a", "gw-b"}, res.Replicas)
	assert.WithinDuration(t, now.Add(-activities.RolloutLogSettle), res.Until, 10*time.Second)
	prod, canary := res.Stats.Variant(routing.VariantProduction), res.Stats.Variant(routing.VariantCanary)
	assert.Equal(t, [3]int64{2, 0, 2}, [3]int64{prod.Requests, prod.Errors, prod.Rows})
	assert.Equal(t, [3]int64{2, 1, 1}, [3]int64{canary.Requests, canary.Errors, canary.Rows}, "the failure on gw-b counts; the unsettled a3 does not")
	assert.Equal(t, rollout.SourceInferenceLog, res.Analysis.Source)
	assert.Equal(t, []string{"gw-a", "gw-b"}, res.Analysis.Replicas)
	assert.Contains(t, res.Analysis.Summary, "[from the inference log of 2 replicas: gw-a, gw-b]")
	assert.Empty(t, res.Analysis.Warning)
}

// A gateway without the log: its own counters are analysed, and the
// analysis says that they are one replica's and how to fix it.
func TestAnalyzeRolloutWithoutALogUsesTheGatewayAndWarns(t *testing.T) {
	acts, _ := newActs(t)
	rt := routing.Routing{Model: "churn", Mode: routing.ModeCanary, Candidate: 2, Weight: 50, Epoch: 3, UpdatedAt: time.Now().Add(-time.Minute)}
	own := routing.Stats{Model: "churn", Routing: rt, Variants: []routing.VariantStats{
		{Variant: routing.VariantProduction, Version: 1, Requests: 7}, {Variant: routing.VariantCanary, Version: 2, Requests: 5, Errors: 1}}}
	res, err := execute[activities.AnalyzeRolloutResult](t, acts, acts.AnalyzeRollout,
		activities.AnalyzeRolloutInput{GatewayURL: repGateway(t, own, false), Model: "churn", Mode: routing.ModeCanary})
	require.NoError(t, err)
	assert.Equal(t, rollout.SourceGateway, res.Source)
	assert.Equal(t, own.Variants, res.Stats.Variants)
	assert.Equal(t, rollout.SourceGateway, res.Analysis.Source)
	assert.Contains(t, res.Analysis.Warning, "mlpipe serve --inference-log=false")
	assert.Contains(t, res.Analysis.Summary, "[from the counters of the one gateway the rollout steers; warning: the gateway writes no inference log")
}

// The gateway logs, but the workers read another store: the log holds
// nothing while the gateway counted requests, and the analysis says what
// to check.
func TestAnalyzeRolloutWarnsWhenTheLogIsEmptyButTheGatewayCounted(t *testing.T) {
	acts, _ := newActs(t)
	rt := routing.Routing{Model: "churn", Mode: routing.ModeShadow, Candidate: 2, Mirror: 100, Epoch: 3, UpdatedAt: time.Now().Add(-time.Minute)}
	own := routing.Stats{Model: "churn", Routing: rt, Variants: []routing.VariantStats{
		{Variant: routing.VariantProduction, Version: 1, Requests: 40}, {Variant: routing.VariantShadow, Version: 2, Requests: 40}}}
	res, err := execute[activities.AnalyzeRolloutResult](t, acts, acts.AnalyzeRollout,
		activities.AnalyzeRolloutInput{GatewayURL: repGateway(t, own, true), Model: "churn", Mode: routing.ModeShadow})
	require.NoError(t, err)
	assert.Equal(t, rollout.SourceInferenceLog, res.Source)
	assert.Zero(t, res.Stats.Variant(routing.VariantShadow).Requests)
	assert.Equal(t, 1, res.Stats.Variant(routing.VariantProduction).Version, "versions come from the gateway when the log has none")
	assert.Equal(t, rollout.VerdictInconclusive, res.Analysis.Verdict)
	assert.Contains(t, res.Analysis.Warning, "while the gateway counted 80")
	assert.Contains(t, res.Analysis.Warning, "MLPIPE_ARTIFACTS")
}
