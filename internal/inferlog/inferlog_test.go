package inferlog_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/dataplane"
	"github.com/mlpipe/mlpipe/internal/inferlog"
)

type answers []string

func (a answers) Len() int { return len(a) }
func (a answers) At(i int) (string, float64, map[string]float64) {
	if a[i] == "yes" {
		return a[i], 0.9, nil
	}
	return a[i], 0.1, nil
}

var t0 = time.Date(2026, 12, 5, 10, 59, 0, 0, time.UTC)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newWriter(t *testing.T, store artifact.Store, replica string) *inferlog.Writer {
	t.Helper()
	w, err := inferlog.NewWriter(inferlog.WriterOptions{Store: store, Replica: replica, FlushInterval: time.Hour, Logger: quiet(), Retention: -1})
	require.NoError(t, err)
	return w
}

func engine(t *testing.T) *dataplane.Engine {
	t.Helper()
	eng, err := dataplane.Open(dataplane.Options{Threads: 1, TempDir: t.TempDir()})
	require.NoError(t, err)
	t.Cleanup(func() { _ = eng.Close() })
	return eng
}

func TestWindowJoinsFeedbackAcrossReplicasAndHours(t *testing.T) {
	ctx := context.Background()
	store, err := artifact.NewFileStore(t.TempDir())
	require.NoError(t, err)
	a, b := newWriter(t, store, "a"), newWriter(t, store, "b")
	require.True(t, a.LogPredictions(&inferlog.Predictions{RequestID: "r1", Time: t0, Model: "churn", Version: 3, Variant: "production",
		Rows: []map[string]any{{"age": 41.0, "plan": "gold", "note": "say \"hi\"\n"}, {"age": nil, "plan": "basic"}}, Answers: answers{"yes", "no"}, Latency: 2 * time.Millisecond}))
	// Another model's rows never show up in churn's window.
	require.True(t, a.LogPredictions(&inferlog.Predictions{RequestID: "r1", Time: t0, Model: "other", Version: 1, Variant: "production",
		Rows: []map[string]any{{"x": 1.0}}, Answers: answers{"yes"}}))
	v := 12.5
	// Replica b gets the feedback, in the next hour; one label for a row never logged.
	require.True(t, b.LogFeedback([]inferlog.Feedback{
		{RequestID: "r1", Row: 0, Time: t0.Add(2 * time.Minute), Model: "churn", Label: "no", Value: &v},
		{RequestID: "r1", Row: 1, Time: t0.Add(3 * time.Minute), Model: "churn", Label: "no"},
		{RequestID: "nope", Row: 0, Time: t0.Add(3 * time.Minute), Model: "churn", Label: "yes"},
	}))
	require.NoError(t, a.Close(ctx))
	require.NoError(t, b.Close(ctx))
	assert.Equal(t, uint64(3), a.Stats().Rows)
	assert.Equal(t, uint64(3), b.Stats().FeedbackRows)

	keys, err := store.List(ctx, "")
	require.NoError(t, err)
	require.Len(t, keys, 3)
	assert.True(t, strings.HasPrefix(keys[0], "feedback/churn/dt=2026-12-05/hour=11/b-"), keys[0])
	assert.True(t, strings.HasPrefix(keys[1], "inference/churn/dt=2026-12-05/hour=10/a-"), keys[1])

	eng := engine(t)
	w, err := inferlog.Window(ctx, store, eng, "churn", t0.Add(-time.Hour), t0.Add(time.Hour))
	require.NoError(t, err)
	assert.Equal(t, int64(2), w.Predictions)
	assert.Equal(t, int64(3), w.Feedback)
	assert.Equal(t, int64(2), w.Joined)
	assert.Equal(t, int64(1), w.UnknownFeedback)
	assert.Empty(t, w.Skipped)

	var label, input, replica string
	var value float64
	var latency float64
	require.NoError(t, eng.DB().QueryRow(`SELECT label, value, input, replica, latency_ms FROM joined WHERE "row" = 0`).Scan(&label, &value, &input, &replica, &latency))
	assert.Equal(t, "no", label)
	assert.Equal(t, 12.5, value)
	assert.Equal(t, "a", replica)
	assert.Equal(t, 2.0, latency)
	var row map[string]any
	require.NoError(t, json.Unmarshal([]byte(input), &row), input)
	assert.Equal(t, map[string]any{"age": 41.0, "plan": "gold", "note": "say \"hi\"\n"}, row)
	var age float64
	require.NoError(t, eng.DB().QueryRow(`SELECT CAST(json_extract(input, '$.age') AS DOUBLE) FROM predictions WHERE "row" = 0`).Scan(&age))
	assert.Equal(t, 41.0, age)
}

func TestWindowSkipsCorruptFileWithWarning(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	store, err := artifact.NewFileStore(dir)
	require.NoError(t, err)
	a := newWriter(t, store, "a")
	require.True(t, a.LogPredictions(&inferlog.Predictions{RequestID: "r1", Time: t0, Model: "churn", Variant: "production",
		Rows: []map[string]any{{"age": 1.0}}, Answers: answers{"yes"}}))
	require.NoError(t, a.Close(ctx))
	good, err := store.List(ctx, "inference/")
	require.NoError(t, err)
	require.Len(t, good, 1)
	data, err := os.ReadFile(filepath.Join(dir, good[0]))
	require.NoError(t, err)
	// A half-written copy (its footer missing) and garbage, in the same hour.
	half := "inference/churn/dt=2026-12-05/hour=10/x-1-000001.parquet"
	junk := "inference/churn/dt=2026-12-05/hour=10/x-1-000002.parquet"
	_, err = artifact.PutBytes(ctx, store, half, data[:len(data)/2], "")
	require.NoError(t, err)
	_, err = artifact.PutBytes(ctx, store, junk, bytes.Repeat([]byte("PAR1"), 10), "")
	require.NoError(t, err)

	var logs bytes.Buffer
	w, err := inferlog.Read(ctx, store, engine(t), inferlog.Query{Model: "churn", From: t0.Add(-time.Hour), To: t0.Add(time.Hour),
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	require.NoError(t, err)
	assert.Equal(t, int64(1), w.Predictions)
	assert.Equal(t, 3, w.Files)
	require.Len(t, w.Skipped, 2)
	assert.Contains(t, w.Skipped[0]+w.Skipped[1], half)
	assert.Contains(t, w.Skipped[0]+w.Skipped[1], junk)
	assert.Contains(t, logs.String(), half)
	assert.Contains(t, logs.String(), junk)
}

func TestWindowEmptyIsNotAnError(t *testing.T) {
	store, err := artifact.NewFileStore(t.TempDir())
	require.NoError(t, err)
	eng := engine(t)
	w, err := inferlog.Window(context.Background(), store, eng, "churn", t0.Add(-time.Hour), t0)
	require.NoError(t, err)
	assert.Zero(t, w.Predictions+w.Feedback+w.Joined+w.UnknownFeedback)
	var n int
	require.NoError(t, eng.DB().QueryRow(`SELECT count(*) FROM joined`).Scan(&n))
	assert.Zero(t, n)
}

func TestLateLabelJoinsWithLookback(t *testing.T) {
	ctx := context.Background()
	store, err := artifact.NewFileStore(t.TempDir())
	require.NoError(t, err)
	a := newWriter(t, store, "a")
	require.True(t, a.LogPredictions(&inferlog.Predictions{RequestID: "old", Time: t0, Model: "churn", Variant: "production",
		Rows: []map[string]any{{"age": 1.0}}, Answers: answers{"yes"}}))
	late := t0.Add(20 * 24 * time.Hour)
	require.True(t, a.LogFeedback([]inferlog.Feedback{{RequestID: "old", Row: 0, Time: late, Model: "churn", Label: "yes"}}))
	require.NoError(t, a.Close(ctx))

	eng := engine(t)
	// The label's own window alone cannot know the prediction...
	w, err := inferlog.Window(ctx, store, eng, "churn", late.Add(-time.Minute), late.Add(time.Minute))
	require.NoError(t, err)
	assert.Equal(t, int64(1), w.UnknownFeedback)
	// ...looking back 30 days finds it.
	w, err = inferlog.Read(ctx, store, eng, inferlog.Query{Model: "churn", From: late.Add(-time.Minute), To: late.Add(time.Minute), KeysFrom: late.Add(-30 * 24 * time.Hour)})
	require.NoError(t, err)
	assert.Equal(t, int64(0), w.UnknownFeedback)
	var label, pred string
	require.NoError(t, eng.DB().QueryRow(`SELECT label, prediction FROM labelled`).Scan(&label, &pred))
	assert.Equal(t, "yes", label)
	assert.Equal(t, "yes", pred)
}

func TestPruneDeletesExpiredHours(t *testing.T) {
	ctx := context.Background()
	store, err := artifact.NewFileStore(t.TempDir())
	require.NoError(t, err)
	a := newWriter(t, store, "a")
	for _, at := range []time.Time{t0.Add(-31 * 24 * time.Hour), t0.Add(-29 * 24 * time.Hour)} {
		require.True(t, a.LogPredictions(&inferlog.Predictions{RequestID: "r", Time: at, Model: "churn", Variant: "production",
			Rows: []map[string]any{{"age": 1.0}}, Answers: answers{"yes"}}))
		require.True(t, a.LogFeedback([]inferlog.Feedback{{RequestID: "r", Time: at, Model: "churn", Label: "yes"}}))
	}
	require.NoError(t, a.Close(ctx))
	_, err = artifact.PutBytes(ctx, store, "inference/README", []byte("not a partition"), "")
	require.NoError(t, err)

	// A writer prunes at start.
	w, err := inferlog.NewWriter(inferlog.WriterOptions{Store: store, Logger: quiet(), Retention: 30 * 24 * time.Hour,
		Now: func() time.Time { return t0 }})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return w.Stats().Deleted == 2 }, 10*time.Second, 10*time.Millisecond)
	require.NoError(t, w.Close(ctx))
	keys, err := store.List(ctx, "")
	require.NoError(t, err)
	assert.Len(t, keys, 3)
	for _, k := range keys {
		assert.NotContains(t, k, t0.Add(-31*24*time.Hour).Format("2006-01-02"))
	}
}

func TestWriterDropsWhenFullAndNeverBlocks(t *testing.T) {
	store, err := artifact.NewFileStore(t.TempDir())
	require.NoError(t, err)
	w, err := inferlog.NewWriter(inferlog.WriterOptions{Store: store, FlushInterval: time.Hour, FlushRows: 1000, MaxPending: 3, Logger: quiet(), Retention: -1})
	require.NoError(t, err)
	p := &inferlog.Predictions{RequestID: "r", Time: t0, Model: "churn", Variant: "production", Rows: make([]map[string]any, 2), Answers: answers{"yes", "no"}}
	assert.True(t, w.LogPredictions(p))
	assert.False(t, w.LogPredictions(p))
	assert.Equal(t, uint64(2), w.Stats().Dropped)
	require.NoError(t, w.Close(context.Background()))
	assert.Equal(t, uint64(2), w.Stats().Rows)
	assert.False(t, w.LogPredictions(p), "closed")
}

func TestWriterFlushesOnRows(t *testing.T) {
	store, err := artifact.NewFileStore(t.TempDir())
	require.NoError(t, err)
	w, err := inferlog.NewWriter(inferlog.WriterOptions{Store: store, FlushInterval: time.Hour, FlushRows: 2, Logger: quiet(), Retention: -1})
	require.NoError(t, err)
	defer func() { _ = w.Close(context.Background()) }()
	require.True(t, w.LogPredictions(&inferlog.Predictions{RequestID: "r", Time: t0, Model: "churn", Variant: "production",
		Rows: make([]map[string]any, 2), Answers: answers{"yes", "no"}}))
	require.Eventually(t, func() bool { return w.Stats().Files == 1 }, 10*time.Second, 10*time.Millisecond)
}

func TestRetentionRunsAgainWhileTheWriterRuns(t *testing.T) {
	ctx := context.Background()
	store, err := artifact.NewFileStore(t.TempDir())
	require.NoError(t, err)
	a := newWriter(t, store, "a")
	require.True(t, a.LogPredictions(&inferlog.Predictions{RequestID: "r", Time: t0, Model: "churn", Variant: "production",
		Rows: []map[string]any{{"age": 1.0}}, Answers: answers{"yes"}}))
	require.NoError(t, a.Close(ctx))

	// The clock moves past the retention while the writer runs: the next
	// pass, not a restart, deletes the hour.
	var now atomic.Int64
	now.Store(t0.Add(time.Hour).UnixNano())
	w, err := inferlog.NewWriter(inferlog.WriterOptions{Store: store, Logger: quiet(), Retention: 24 * time.Hour, PruneEvery: 20 * time.Millisecond,
		Now: func() time.Time { return time.Unix(0, now.Load()) }})
	require.NoError(t, err)
	defer func() { _ = w.Close(ctx) }()
	keys, err := store.List(ctx, "inference/")
	require.NoError(t, err)
	require.Len(t, keys, 1)
	now.Store(t0.Add(26 * time.Hour).UnixNano())
	require.Eventually(t, func() bool { return w.Stats().Deleted == 1 }, 10*time.Second, 10*time.Millisecond)
	keys, err = store.List(ctx, "inference/")
	require.NoError(t, err)
	assert.Empty(t, keys)
}
