package activities_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/activities"
	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/features"
	"github.com/mlpipe/mlpipe/internal/frame"
)

// The feature stage reads a Parquet dataset in parts (the split's rows,
// the spec's columns) and writes its matrices a block at a time; the
// version is the one the whole-table path writes, matrix for matrix, and
// the held-out raw rows keep every column, the excluded ones included.
func TestEngineerFeaturesInPartsWritesWhatTheWholeTableGives(t *testing.T) {
	acts, store := newActs(t)
	data := churnCSV(t, 3000, genTime)
	ref, err := artifact.PutBytes(context.Background(), store, "datasets/old/0123456789abcdef/raw.csv", data, "text/csv")
	require.NoError(t, err)
	whole := activities.Dataset{Ref: ref, Rows: 3000, Columns: []string{"customer_id"}}
	spec := features.Spec{
		Target: "churned", Positive: "yes", Exclude: []string{"customer_id"},
		Split:       features.SplitSpec{TestSize: 0.25, Seed: 3},
		Numeric:     &features.KindSpec{Impute: features.ImputeMedian, Scale: features.ScaleStandard},
		Categorical: &features.KindSpec{Impute: features.ImputeMostFrequent, Encode: features.EncodeOneHot},
		Time:        &features.KindSpec{Impute: features.ImputeMean, Scale: features.ScaleStandard},
	}
	fromCSV := engineer(t, acts, whole, spec)
	fromParquet := engineer(t, acts, ingest(t, acts, 3000), spec)
	assert.Equal(t, fromCSV.Features, fromParquet.Features)
	assert.Equal(t, 2250, fromParquet.TrainRows)
	assert.Equal(t, 750, fromParquet.TestRows)
	assert.Equal(t, fromCSV.Labels, fromParquet.Labels)
	assert.Equal(t, readMatrix(t, fromCSV.Train), readMatrix(t, fromParquet.Train))
	assert.Equal(t, readMatrix(t, fromCSV.Test), readMatrix(t, fromParquet.Test))

	rc, err := artifact.OpenRef(context.Background(), fromParquet.TestRaw)
	require.NoError(t, err)
	defer rc.Close()
	raw, err := frame.ReadCSV(rc, frame.ReadOptions{Source: fromParquet.TestRaw.URI})
	require.NoError(t, err)
	ids, ok := raw.Col("customer_id")
	require.True(t, ok, "the excluded column is in test_raw.csv")
	assert.Zero(t, ids.NullCount(), "with its values")
	assert.Equal(t, 750, raw.NumRows())
}
