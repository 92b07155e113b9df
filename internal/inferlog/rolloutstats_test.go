package inferlog_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/inferlog"
	"github.com/mlpipe/mlpipe/internal/routing"
)

// repEpoch is when the tests' routing was stored.
var repEpoch = t0.Add(-30 * time.Second)

func repCanary(candidate int) routing.Routing {
	return routing.Routing{Model: "churn", Mode: routing.ModeCanary, Candidate: candidate, Weight: 50, Epoch: 4, UpdatedAt: repEpoch}
}

func repRows(n int) []map[string]any {
	rows := make([]map[string]any, n)
	for i := range rows {
		rows[i] = map[string]any{"age": float64(30 + i)}
	}
	return rows
}

func repStats(t *testing.T, store artifact.Store, q inferlog.RolloutQuery) inferlog.RolloutCounts {
	t.Helper()
	if q.To.IsZero() {
		q.To = t0.Add(time.Hour)
	}
	q.Logger = quiet()
	got, err := inferlog.RolloutStats(context.Background(), store, engine(t), q)
	require.NoError(t, err)
	return got
}

// Two replicas each see part of a canary: the counts add up over both,
// labels join whichever replica received them, the canary's failed request
// counts as its error, and nothing from before the epoch or from another
// candidate counts.
func TestRolloutStatsCountsEveryReplicaOfTheEpoch(t *testing.T) {
	ctx := context.Background()
	store, err := artifact.NewFileStore(t.TempDir())
	require.NoError(t, err)
	a, b := newWriter(t, store, "gw-a"), newWriter(t, store, "gw-b")
	log := func(w *inferlog.Writer, p inferlog.Predictions) {
		t.Helper()
		p.Model = "churn"
		if p.Rows == nil {
			p.Rows = repRows(p.Answers.Len())
		}
		require.True(t, w.LogPredictions(&p))
	}
	log(a, inferlog.Predictions{RequestID: "r1", Time: t0, Version: 1, Variant: "production", Answers: answers{"yes", "no"}, Latency: 10 * time.Millisecond})
	log(a, inferlog.Predictions{RequestID: "r2", Time: t0, Version: 2, Variant: "canary", Answers: answers{"yes"}, Latency: 20 * time.Millisecond})
	log(b, inferlog.Predictions{RequestID: "r3", Time: t0, Version: 1, Variant: "production", Answers: answers{"no"}, Latency: 30 * time.Millisecond})
	// The canary's failure happened on the other replica.
	log(b, inferlog.Predictions{RequestID: "r4", Time: t0, Version: 2, Variant: "canary", Answers: answers{}, Status: 500, Latency: 40 * time.Millisecond})
	// Before the epoch, and a canary of another version: neither counts.
	log(a, inferlog.Predictions{RequestID: "old", Time: repEpoch.Add(-time.Second), Version: 1, Variant: "production", Answers: answers{"yes"}})
	log(b, inferlog.Predictions{RequestID: "r5", Time: t0, Version: 7, Variant: "canary", Answers: answers{"yes"}})
	five := 5.0
	// Every label reaches the replica that did not make the prediction.
	require.True(t, b.LogFeedback([]inferlog.Feedback{
		{RequestID: "r1", Row: 0, Time: t0.Add(time.Second), Model: "churn", Label: "yes", Value: &five},
		{RequestID: "r1", Row: 1, Time: t0.Add(time.Second), Model: "churn", Label: "yes"},
		{RequestID: "r2", Row: 0, Time: t0.Add(time.Second), Model: "churn", Label: "no"},
	}))
	require.True(t, a.LogFeedback([]inferlog.Feedback{{RequestID: "r3", Row: 0, Time: t0.Add(time.Second), Model: "churn", Label: "no"}}))
	require.NoError(t, a.Close(ctx))
	require.NoError(t, b.Close(ctx))
	assert.Equal(t, uint64(3), b.Stats().Rows, "the failed request is written: 1 row, 1 record")

	got := repStats(t, store, inferlog.RolloutQuery{Routing: repCanary(2), Positive: map[int]string{1: "yes", 2: "yes"}})
	assert.Equal(t, []string{"gw-a", "gw-b"}, got.Replicas)
	assert.Empty(t, got.Skipped)
	assert.Equal(t, repEpoch, got.Stats.Since)
	prod, canary := got.Stats.Variant(routing.VariantProduction), got.Stats.Variant(routing.VariantCanary)

	assert.Equal(t, 1, prod.Version)
	assert.Equal(t, [3]int64{2, 0, 3}, [3]int64{prod.Requests, prod.Errors, prod.Rows})
	assert.Equal(t, int64(1), prod.Positives)
	assert.Equal(t, [routing.ProbabilityBins]int64{1: 2, 9: 1}, prod.Probabilities)
	assert.Equal(t, [5]int64{3, 1, 0, 1, 1}, [5]int64{prod.Feedback, prod.TP, prod.FP, prod.FN, prod.TN}, "TP r1/0, FN r1/1, TN r3/0")
	assert.InDelta(t, 5.0, prod.Value, 1e-9)
	assert.InDelta(t, 0.020, prod.P50, 1e-9, "exact median of 10 ms and 30 ms")

	assert.Equal(t, 2, canary.Version)
	assert.Equal(t, [3]int64{2, 1, 1}, [3]int64{canary.Requests, canary.Errors, canary.Rows}, "one answered request, one failed")
	assert.InDelta(t, 0.5, canary.ErrorRate(), 1e-9)
	assert.Equal(t, [5]int64{1, 0, 1, 0, 0}, [5]int64{canary.Feedback, canary.TP, canary.FP, canary.FN, canary.TN})
	assert.InDelta(t, 0.0398, canary.P99, 1e-9, "p99 of 20 ms and 40 ms, the failure's latency included")
}

// Analysing up to a time excludes what was logged after it, and an epoch
// with no settled time yet counts nothing without reading.
func TestRolloutStatsStopsAtTo(t *testing.T) {
	ctx := context.Background()
	store, err := artifact.NewFileStore(t.TempDir())
	require.NoError(t, err)
	a := newWriter(t, store, "gw-a")
	for i, at := range []time.Time{t0, t0.Add(time.Second), t0.Add(2 * time.Second)} {
		require.True(t, a.LogPredictions(&inferlog.Predictions{RequestID: string(rune('a' + i)), Time: at, Model: "churn", Version: 1,
			Variant: "production", Rows: repRows(1), Answers: answers{"no"}}))
	}
	require.NoError(t, a.Close(ctx))
	got := repStats(t, store, inferlog.RolloutQuery{Routing: repCanary(2), To: t0.Add(2 * time.Second)})
	assert.Equal(t, int64(2), got.Stats.Variant(routing.VariantProduction).Requests)
	assert.Equal(t, int64(0), got.Stats.Variant(routing.VariantCanary).Requests)
	assert.Equal(t, 2, got.Stats.Variant(routing.VariantCanary).Version)

	early := repStats(t, store, inferlog.RolloutQuery{Routing: repCanary(2), To: repEpoch})
	assert.Zero(t, early.Files)
	assert.Len(t, early.Stats.Variants, 2)

	_, err = inferlog.RolloutStats(ctx, store, engine(t), inferlog.RolloutQuery{Routing: routing.Routing{Model: "churn"}, To: t0})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "updated_at")
}

// A shadow's rows are compared with production's answers to the same
// request and row, wherever each was logged; its labels count but its
// value does not (it answered nobody); a failed shadow scoring is its error.
func TestRolloutStatsComparesTheShadowWithProduction(t *testing.T) {
	ctx := context.Background()
	store, err := artifact.NewFileStore(t.TempDir())
	require.NoError(t, err)
	a, b := newWriter(t, store, "gw-a"), newWriter(t, store, "gw-b")
	for _, p := range []inferlog.Predictions{
		{RequestID: "r1", Version: 1, Variant: "production", Answers: answers{"yes", "no", "no"}},
		{RequestID: "r1", Version: 3, Variant: "shadow", Answers: answers{"yes", "yes", "no"}},
		{RequestID: "r2", Version: 1, Variant: "production", Answers: answers{"no"}},
		{RequestID: "r2", Version: 3, Variant: "shadow", Answers: answers{}, Status: 500},
	} {
		p.Time, p.Model, p.Rows = t0, "churn", repRows(p.Answers.Len())
		w := a
		if p.RequestID == "r2" {
			w = b
		}
		require.True(t, w.LogPredictions(&p))
	}
	v := 9.0
	require.True(t, b.LogFeedback([]inferlog.Feedback{{RequestID: "r1", Row: 1, Time: t0, Model: "churn", Label: "yes", Value: &v}}))
	require.NoError(t, a.Close(ctx))
	require.NoError(t, b.Close(ctx))

	rt := routing.Routing{Model: "churn", Mode: routing.ModeShadow, Candidate: 3, Mirror: 100, UpdatedAt: repEpoch}
	got := repStats(t, store, inferlog.RolloutQuery{Routing: rt})
	prod, shadow := got.Stats.Variant(routing.VariantProduction), got.Stats.Variant(routing.VariantShadow)
	assert.Equal(t, [2]int64{3, 2}, [2]int64{shadow.Compared, shadow.Agreed})
	assert.Equal(t, [3]int64{2, 1, 3}, [3]int64{shadow.Requests, shadow.Errors, shadow.Rows})
	assert.Equal(t, [2]int64{1, 1}, [2]int64{shadow.Feedback, shadow.TP}, "positive by probability: no label named")
	assert.Zero(t, shadow.Value)
	assert.Equal(t, [2]int64{1, 1}, [2]int64{prod.Feedback, prod.FN})
	assert.InDelta(t, 9.0, prod.Value, 1e-9)
	assert.Zero(t, prod.Compared)
}

// classAnswers are a multi-class model's answers.
type classAnswers []string

func (c classAnswers) Len() int { return len(c) }
func (c classAnswers) At(i int) (string, float64, map[string]float64) {
	probs := map[string]float64{"basic": 0.2, "plus": 0.2, "pro": 0.2}
	probs[c[i]] = 0.6
	return c[i], 0.6, probs
}

// A multi-class variant counts per class, one-vs-rest, from the log.
func TestRolloutStatsCountsPerClass(t *testing.T) {
	ctx := context.Background()
	store, err := artifact.NewFileStore(t.TempDir())
	require.NoError(t, err)
	a := newWriter(t, store, "gw-a")
	require.True(t, a.LogPredictions(&inferlog.Predictions{RequestID: "r1", Time: t0, Model: "churn", Version: 1, Variant: "production",
		Rows: repRows(3), Answers: classAnswers{"basic", "pro", "pro"}}))
	require.True(t, a.LogFeedback([]inferlog.Feedback{
		{RequestID: "r1", Row: 0, Time: t0, Model: "churn", Label: "basic"},
		{RequestID: "r1", Row: 1, Time: t0, Model: "churn", Label: "plus"},
		{RequestID: "r1", Row: 2, Time: t0, Model: "churn", Label: "nonsense"},
	}))
	require.NoError(t, a.Close(ctx))
	got := repStats(t, store, inferlog.RolloutQuery{Routing: repCanary(2)})
	prod := got.Stats.Variant(routing.VariantProduction)
	assert.Equal(t, []string{"basic", "plus", "pro"}, prod.Classes)
	assert.Equal(t, []routing.ClassCounts{{Predicted: 1, TP: 1}, {FN: 1}, {Predicted: 2, FP: 1}}, prod.PerClass)
	assert.Equal(t, int64(2), prod.Feedback, "a label that is no class is not counted")
	assert.InDelta(t, 0.5, prod.Accuracy(), 1e-9)
}

// legacyRow is a request as logged before failed requests were: no status.
type legacyRow struct {
	RequestID     string    `parquet:"request_id"`
	Time          int64     `parquet:"time,timestamp(microsecond)"`
	Model         string    `parquet:"model,dict"`
	Version       int32     `parquet:"version"`
	Variant       string    `parquet:"variant,dict"`
	Inputs        string    `parquet:"inputs"`
	Predictions   []string  `parquet:"predictions,list"`
	Probability   []float64 `parquet:"probability,list"`
	Probabilities *string   `parquet:"probabilities,optional"`
	LatencyMs     float64   `parquet:"latency_ms"`
	Replica       string    `parquet:"replica,dict"`
}

// Files written before the status column still read, as answered
// requests, alone or beside new ones; a corrupt file is skipped and named.
func TestRolloutStatsReadsOldFilesAndSkipsCorruptOnes(t *testing.T) {
	ctx := context.Background()
	store, err := artifact.NewFileStore(t.TempDir())
	require.NoError(t, err)
	var old bytes.Buffer
	pw := parquet.NewGenericWriter[legacyRow](&old)
	_, err = pw.Write([]legacyRow{{RequestID: "o1", Time: t0.UnixMicro(), Model: "churn", Version: 1, Variant: "production", Inputs: `[{"age": 1}]`,
		Predictions: []string{"no"}, Probability: []float64{0.2}, LatencyMs: 3, Replica: "gw-old"}})
	require.NoError(t, err)
	require.NoError(t, pw.Close())
	_, err = artifact.PutBytes(ctx, store, "inference/churn/dt=2026-12-05/hour=10/gw-old-1-000001.parquet", old.Bytes(), "")
	require.NoError(t, err)

	only := repStats(t, store, inferlog.RolloutQuery{Routing: repCanary(2)})
	prod := only.Stats.Variant(routing.VariantProduction)
	assert.Equal(t, [3]int64{1, 0, 1}, [3]int64{prod.Requests, prod.Errors, prod.Rows}, "an old file alone")
	assert.Empty(t, only.Skipped)

	a := newWriter(t, store, "gw-a")
	require.True(t, a.LogPredictions(&inferlog.Predictions{RequestID: "n1", Time: t0, Model: "churn", Version: 2, Variant: "canary",
		Answers: answers{}, Status: 504}))
	require.NoError(t, a.Close(ctx))
	check := func(what string) inferlog.RolloutCounts {
		got := repStats(t, store, inferlog.RolloutQuery{Routing: repCanary(2)})
		prod, canary := got.Stats.Variant(routing.VariantProduction), got.Stats.Variant(routing.VariantCanary)
		assert.Equal(t, [3]int64{1, 0, 1}, [3]int64{prod.Requests, prod.Errors, prod.Rows}, what)
		assert.Equal(t, [3]int64{1, 1, 0}, [3]int64{canary.Requests, canary.Errors, canary.Rows}, what)
		assert.Equal(t, []string{"gw-a", "gw-old"}, got.Replicas, what)
		return got
	}
	assert.Empty(t, check("old beside new").Skipped)

	junk := "inference/churn/dt=2026-12-05/hour=10/x-1-000009.parquet"
	_, err = artifact.PutBytes(ctx, store, junk, bytes.Repeat([]byte("PAR1"), 10), "")
	require.NoError(t, err)
	got := check("beside a corrupt file")
	require.Len(t, got.Skipped, 1)
	assert.Contains(t, got.Skipped[0], junk)
}

// A record whose rows did not match its answers is stored with null
// inputs; its predictions still read (they once made the whole file
// unreadable).
func TestWindowReadsPredictionsWhoseInputsWereNotLogged(t *testing.T) {
	ctx := context.Background()
	store, err := artifact.NewFileStore(t.TempDir())
	require.NoError(t, err)
	a := newWriter(t, store, "gw-a")
	require.True(t, a.LogPredictions(&inferlog.Predictions{RequestID: "r1", Time: t0, Model: "churn", Version: 1, Variant: "production",
		Rows: repRows(1), Answers: answers{"yes", "no"}}))
	require.NoError(t, a.Close(ctx))
	eng := engine(t)
	w, err := inferlog.Window(ctx, store, eng, "churn", t0.Add(-time.Minute), t0.Add(time.Minute))
	require.NoError(t, err)
	assert.Empty(t, w.Skipped)
	assert.Equal(t, int64(2), w.Predictions)
	var nullInputs int
	require.NoError(t, eng.DB().QueryRow(`SELECT count(*) FROM predictions WHERE input IS NULL`).Scan(&nullInputs))
	assert.Equal(t, 2, nullInputs)
}
