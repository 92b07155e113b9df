package activities_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/mlpipe/mlpipe/activities"
	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/features"
	"github.com/mlpipe/mlpipe/internal/gen"
	"github.com/mlpipe/mlpipe/internal/registry"
)

// genTime is the generator's "now"; fixed so data and digests repeat.
var genTime = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// newActs returns activities over a fresh file store.
func newActs(t *testing.T) (*activities.Activities, *artifact.FileStore) {
	t.Helper()
	store, err := artifact.NewFileStore(t.TempDir())
	require.NoError(t, err)
	return &activities.Activities{Store: store, Registry: registry.New(store)}, store
}

// execute runs one activity in a test environment and decodes its result.
// details, when given, are the heartbeat details of a previous attempt.
func execute[T any](t *testing.T, acts *activities.Activities, fn, in any, details ...any) (T, error) {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	s.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler))) // failures are asserted, not logged
	env := s.NewTestActivityEnvironment()
	env.RegisterActivity(acts)
	if len(details) > 0 {
		env.SetHeartbeatDetails(details[0])
	}
	var out T
	val, err := env.ExecuteActivity(fn, in)
	if err != nil {
		return out, err
	}
	require.NoError(t, val.Get(&out))
	return out, nil
}

// churnCSV generates rows customers as CSV bytes.
func churnCSV(t *testing.T, rows int, now time.Time) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, gen.Churn(&buf, rows, 7, now))
	return buf.Bytes()
}

// writeFile writes data under a temp folder and returns its file:// URI.
func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, data, 0o644))
	return "file://" + path
}

// appError asserts err is a non-retryable application error of typ.
func appError(t *testing.T, err error, typ string) *temporal.ApplicationError {
	t.Helper()
	require.Error(t, err)
	var ae *temporal.ApplicationError
	require.True(t, errors.As(err, &ae), "want an application error, got %T: %v", err, err)
	assert.True(t, ae.NonRetryable(), "bad input must not be retried")
	assert.Equal(t, typ, ae.Type())
	return ae
}

// churnFeatures is the example pipeline's feature spec.
func churnFeatures() features.Spec {
	return features.Spec{
		Target: "churned", Positive: "yes",
		Split: features.SplitSpec{TestSize: 0.2, Seed: 42},
		Columns: []features.ColumnSpec{
			{Column: "age", Impute: "median", Scale: "standard"},
			{Column: "status", Encode: "onehot"},
			{Column: "plan", Impute: "most_frequent", Encode: "onehot"},
			{Column: "tenure_months", Impute: "median", Scale: "standard"},
			{Column: "monthly_charges", Impute: "mean", Scale: "standard"},
			{Column: "support_calls", Impute: "median", Scale: "standard"},
			{Column: "last_activity", Encode: "age_days"},
		},
	}
}

// ingest stores generated churn data and returns the dataset.
func ingest(t *testing.T, acts *activities.Activities, rows int) activities.Dataset {
	t.Helper()
	res, err := execute[activities.IngestDataResult](t, acts, acts.IngestData, activities.IngestDataInput{
		Pipeline: "churn", Source: writeFile(t, "churn.csv", churnCSV(t, rows, genTime)), Target: "churned",
	})
	require.NoError(t, err)
	return res.Dataset
}

func keys(t *testing.T, store artifact.Store, prefix string) []string {
	t.Helper()
	ks, err := store.List(context.Background(), prefix)
	require.NoError(t, err)
	return ks
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
