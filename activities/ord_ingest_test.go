package activities_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/activities"
)

// A source larger than DuckDB's 8 MB CSV read buffer is ingested in the
// file's order, and each ingestion of it stores the same bytes: the seeded
// split, the model and the dataset digest downstream do not depend on
// thread timing. Each ingestion runs in a store of its own (a store that
// holds the dataset already would reuse it), and there are three, since
// the parallel reader reordered rows only now and then.
func TestIngestDataKeepsFileOrderAndBytes(t *testing.T) {
	const rows = 300_000
	data := churnCSV(t, rows, genTime)
	require.Greater(t, len(data), 16<<20, "the file spans several of DuckDB's read buffers")
	src := writeFile(t, "churn.csv", data)
	var sum string
	for try := range 3 {
		acts, _ := newActs(t)
		res, err := execute[activities.IngestDataResult](t, acts, acts.IngestData,
			activities.IngestDataInput{Pipeline: "churn", Source: src, Target: "churned"})
		require.NoError(t, err)
		f := readParquetFrame(t, res.Dataset.Ref)
		ids, ok := f.Col("customer_id")
		require.True(t, ok)
		require.Len(t, ids.Strings, rows)
		first := -1
		for i, id := range ids.Strings {
			if id != fmt.Sprintf("C%06d", i+1) {
				first = i
				break
			}
		}
		assert.Equal(t, -1, first, "ingestion %d: row %d of the Parquet is not the file's row %d", try+1, first+1, first+1)
		if sum == "" {
			sum = res.Dataset.Ref.SHA256
		}
		assert.Equal(t, sum, res.Dataset.Ref.SHA256, "ingestion %d stored other bytes than the first", try+1)
		if t.Failed() {
			return
		}
	}
}
