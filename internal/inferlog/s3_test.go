package inferlog_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/inferlog"
	"github.com/mlpipe/mlpipe/internal/testenv"
)

// The log on a real S3 server: batches published with one PUT each, read
// back through local copies, an expired hour deleted.
func TestLogOnS3(t *testing.T) {
	if testing.Short() {
		t.Skip("starts versitygw")
	}
	srv := testenv.StartS3(t)
	ctx := context.Background()
	store, err := artifact.Open(ctx, srv.URI("inferlog"))
	require.NoError(t, err)
	a, b := newWriter(t, store, "a"), newWriter(t, store, "b")
	require.True(t, a.LogPredictions(&inferlog.Predictions{RequestID: "r1", Time: t0, Model: "churn", Version: 1, Variant: "production",
		Rows: []map[string]any{{"age": 1.0}, {"age": 2.0}}, Answers: answers{"yes", "no"}}))
	require.True(t, b.LogFeedback([]inferlog.Feedback{{RequestID: "r1", Row: 1, Time: t0.Add(time.Minute), Model: "churn", Label: "no"}}))
	require.NoError(t, a.Close(ctx))
	require.NoError(t, b.Close(ctx))

	w, err := inferlog.Window(ctx, store, engine(t), "churn", t0.Add(-time.Hour), t0.Add(time.Hour))
	require.NoError(t, err)
	assert.Equal(t, [4]int64{2, 1, 1, 0}, [4]int64{w.Predictions, w.Feedback, w.Joined, w.UnknownFeedback})
	assert.Empty(t, w.Skipped)

	n, err := inferlog.Prune(ctx, store, t0.Add(40*24*time.Hour))
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	keys, err := store.List(ctx, "")
	require.NoError(t, err)
	assert.Empty(t, keys)
}
