package inferlog

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/artifact"
)

type fixedAnswers []float64

func (a fixedAnswers) Len() int { return len(a) }
func (a fixedAnswers) At(i int) (string, float64, map[string]float64) {
	return "no", a[i], nil
}

// The files are read in Go, not through the engine: the window's model
// and hours only, each record's rows, its finite probabilities in order.
func TestReadParquetInputsReadsTheWindowsRecords(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	store, err := artifact.NewFileStore(dir)
	require.NoError(t, err)
	w, err := NewWriter(WriterOptions{Store: store, Replica: "gw", FlushInterval: time.Hour, Retention: -1, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	at := time.Date(2026, 12, 5, 10, 30, 0, 0, time.UTC)
	require.True(t, w.LogPredictions(&Predictions{RequestID: "a", Time: at, Model: "churn", Variant: "production",
		Rows: []map[string]any{{"x": 1.0}, {"x": "s"}}, Answers: fixedAnswers{0.1, 0.2}}))
	require.True(t, w.LogPredictions(&Predictions{RequestID: "b", Time: at, Model: "other", Variant: "production",
		Rows: []map[string]any{{"y": 1.0}}, Answers: fixedAnswers{0.3}}))
	require.True(t, w.LogPredictions(&Predictions{RequestID: "c", Time: at.Add(time.Minute), Model: "churn", Variant: "production",
		Rows: []map[string]any{{"x": nil}}, Answers: fixedAnswers{0.4}}))
	require.True(t, w.LogPredictions(&Predictions{RequestID: "d", Time: at.Add(time.Hour), Model: "churn", Variant: "production",
		Rows: []map[string]any{{"late": 1.0}}, Answers: fixedAnswers{0.5}}))
	require.True(t, w.LogPredictions(&Predictions{RequestID: "e", Time: at, Model: "churn", Variant: "production", Status: 503, Answers: fixedAnswers{}}))
	require.NoError(t, w.Close(ctx))
	files, err := filepath.Glob(filepath.Join(dir, "inference", "*", "*", "*", "*.parquet"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	in, warnings, err := readParquetInputs(ctx, files, filter{model: "churn", from: at.UnixMicro(), to: at.Add(30 * time.Minute).UnixMicro()})
	require.NoError(t, err)
	assert.Empty(t, warnings)
	assert.Equal(t, parsed{Rows: 3, Columns: map[string][]string{"x": {"n:1", "s:s", "null"}}, Seen: map[string]int64{"x": 3}}, describe(in))
	assert.Equal(t, []float64{0.1, 0.2, 0.4}, in.Probabilities)
}
