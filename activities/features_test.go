package activities_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/activities"
	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/features"
	"github.com/mlpipe/mlpipe/internal/matrix"
)

func engineer(t *testing.T, acts *activities.Activities, ds activities.Dataset, s features.Spec) activities.FeatureSet {
	t.Helper()
	res, err := execute[activities.EngineerFeaturesResult](t, acts, acts.EngineerFeatures,
		activities.EngineerFeaturesInput{Pipeline: "churn", Dataset: ds, Spec: s})
	require.NoError(t, err)
	return res.Features
}

func readMatrix(t *testing.T, ref artifact.Ref) matrix.Matrix {
	t.Helper()
	rc, err := artifact.OpenRef(context.Background(), ref)
	require.NoError(t, err)
	defer rc.Close()
	m, err := matrix.Read(rc, ref.URI)
	require.NoError(t, err)
	return m
}

// column returns one column of a matrix by name.
func column(t *testing.T, m matrix.Matrix, name string) []float64 {
	t.Helper()
	j := -1
	for i, n := range m.Names {
		if n == name {
			j = i
		}
	}
	require.GreaterOrEqual(t, j, 0, "column %s in %v", name, m.Names)
	out := make([]float64, m.Rows())
	for r := range out {
		out[r] = m.X[r*m.Cols()+j]
	}
	return out
}

func mean(vs []float64) float64 {
	s := 0.0
	for _, v := range vs {
		s += v
	}
	return s / float64(len(vs))
}

func TestEngineerFeaturesWritesAVersion(t *testing.T) {
	acts, store := newActs(t)
	ds := ingest(t, acts, 500)
	fs := engineer(t, acts, ds, churnFeatures())

	assert.Equal(t, 500, fs.TrainRows+fs.TestRows)
	assert.Equal(t, 100, fs.TestRows, "test_size 0.2 of 500 rows")
	assert.Equal(t, [2]string{"no", "yes"}, fs.Labels)
	assert.Equal(t, ds.Ref.SHA256, fs.DataDigest)
	assert.False(t, fs.Reused)
	prefix := "features/churn/" + fs.Version + "/"
	assert.Equal(t, []string{prefix + "manifest.json", prefix + "test.matrix", prefix + "test_raw.csv", prefix + "train.matrix", prefix + "transform.json"},
		keys(t, store, "features/"))

	train, test := readMatrix(t, fs.Train), readMatrix(t, fs.Test)
	assert.Equal(t, fs.TrainRows, train.Rows())
	assert.Equal(t, fs.TestRows, test.Rows())
	assert.Equal(t, fs.Features, train.Names)
	// age, status×2, plan×3, tenure, charges, calls, last_activity.
	assert.Len(t, fs.Features, 10)
}

func TestEngineerFeaturesReusesAVersion(t *testing.T) {
	acts, store := newActs(t)
	ds := ingest(t, acts, 200)
	first := engineer(t, acts, ds, churnFeatures())
	res, err := execute[activities.EngineerFeaturesResult](t, acts, acts.EngineerFeatures,
		activities.EngineerFeaturesInput{Pipeline: "churn", Dataset: ds, Spec: churnFeatures(), Cache: activities.CacheUse{Read: true}})
	require.NoError(t, err)
	again := res.Features
	assert.True(t, again.Reused)
	assert.Equal(t, first.Version, again.Version)
	assert.Equal(t, first.Train, again.Train)
	assert.Len(t, keys(t, store, "features/"), 5)

	other := churnFeatures()
	other.Split.Seed = 43
	changed := engineer(t, acts, ds, other)
	assert.False(t, changed.Reused)
	assert.NotEqual(t, first.Version, changed.Version, "a different spec is a different version")
	assert.Len(t, keys(t, store, "features/"), 10)
}

func TestEngineerFeaturesFitsOnTrainingRowsOnly(t *testing.T) {
	acts, _ := newActs(t)
	fs := engineer(t, acts, ingest(t, acts, 500), churnFeatures())
	train, test := readMatrix(t, fs.Train), readMatrix(t, fs.Test)

	// tenure_months has no nulls and is standard-scaled: fitted on the
	// training rows alone, its scaled training values average exactly 0.
	trainZ, testZ := column(t, train, "tenure_months"), column(t, test, "tenure_months")
	assert.InDelta(t, 0, mean(trainZ), 1e-9)
	all := append(append([]float64{}, trainZ...), testZ...)
	assert.Greater(t, abs(mean(all)), 1e-6, "had the test rows been fitted on, the mean over all rows would be 0")

	var tr features.Transform
	b, err := artifact.ReadAll(context.Background(), fs.Transform)
	require.NoError(t, err)
	require.NoError(t, jsonUnmarshal(b, &tr))
	assert.Equal(t, fs.Features, tr.OutputNames())
}

func TestEngineerFeaturesRefusesUnknownColumn(t *testing.T) {
	acts, store := newActs(t)
	ds := ingest(t, acts, 100)
	s := churnFeatures()
	s.Columns = append(s.Columns, features.ColumnSpec{Column: "income"})
	_, err := execute[activities.EngineerFeaturesResult](t, acts, acts.EngineerFeatures,
		activities.EngineerFeaturesInput{Pipeline: "churn", Dataset: ds, Spec: s})
	ae := appError(t, err, activities.ErrInvalidInput)
	assert.Contains(t, ae.Error(), "features: columns[8] (income): no such column (columns: customer_id, age,")
	assert.NotContains(t, ae.Error(), "features: features:")
	assert.Empty(t, keys(t, store, "features/"))
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}
