package expect

import (
	"context"
	"database/sql"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// More keys than memory_limit holds at once are counted in hash
// partitions, one pass each, to the same result as one pass: every
// occurrence of a repeated value, nulls and rows outside the row_condition
// left out, and the same samples.
func TestUniquenessBeyondMemoryCountsInPartitions(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("duckdb", "")
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(1) // settings below are per connection
	// 300k rows: two keys repeated (5 rows), 1,000 nulls.
	_, err = db.ExecContext(ctx, `CREATE TABLE t AS SELECT
		CASE WHEN i % 300 = 0 THEN NULL WHEN i IN (5, 6, 7) THEN 'dup4' WHEN i IN (200001, 200002) THEN 'dup9' ELSE 'k' || i END AS id,
		CASE WHEN i % 2 = 0 THEN 'a' ELSE 'b' END AS grp, i FROM range(300000) r(i)`)
	require.NoError(t, err)
	d := Data{DB: db, Relation: `"t"`, Name: "t"}
	exps := []Expectation{
		{Type: ValuesUnique, Column: "id"},
		{Type: ValuesUnique, Column: "id", RowCondition: "grp = 'b'"},
		{Type: CompoundUnique, ColumnList: []string{"id", "grp"}},
	}

	_, err = db.ExecContext(ctx, "SET memory_limit = '1GB'")
	require.NoError(t, err)
	whole := run(t, d, exps, Checks{}, Env{})
	r := &runner{ctx: ctx, d: d}
	require.NoError(t, r.planUniqueness(exps))
	assert.Equal(t, 0, r.uniqueParts, "300k keys fit in 1 GB: counted in the scan")

	_, err = db.ExecContext(ctx, "SET temp_directory = "+lit(t.TempDir()))
	require.NoError(t, err)
	_, err = db.ExecContext(ctx, "SET memory_limit = '16MB'")
	require.NoError(t, err)
	// One thread: the samples' query fits 16 MB only without a second
	// thread's buffers (under the race detector, at least).
	_, err = db.ExecContext(ctx, "SET threads = 1")
	require.NoError(t, err)
	require.NoError(t, r.planUniqueness(exps))
	assert.Equal(t, 2, r.uniqueParts, "16 MB holds 167k keys a pass")
	parts := run(t, d, exps, Checks{}, Env{})

	// dup4 (rows 5, 6, 7) and dup9 (rows 200001, 200002); of the odd
	// rows dup4 twice (5, 7); by (id, grp): (dup4, b) twice, the others
	// once each.
	want := []int64{5, 2, 2}
	for i := range exps {
		w, p := whole.Results[i].Result, parts.Results[i].Result
		assert.Equal(t, want[i], *w.UnexpectedCount, "expectations[%d] in one pass", i+1)
		assert.Equal(t, *w.UnexpectedCount, *p.UnexpectedCount, "expectations[%d] in partitions", i+1)
		assert.Equal(t, *w.MissingCount, *p.MissingCount)
		assert.ElementsMatch(t, w.PartialUnexpectedList, p.PartialUnexpectedList)
		assert.Equal(t, whole.Results[i].Success, parts.Results[i].Success)
	}
}

func TestMemoryBytes(t *testing.T) {
	assert.InDelta(t, 953.6*(1<<20), memoryBytes("953.6 MiB"), 1)
	assert.Equal(t, int64(1<<30), memoryBytes("1.0 GiB"))
	assert.Equal(t, int64(0), memoryBytes("none"))
}
