package expect

import (
	"context"
	"database/sql"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// xdvKeyed is a suite of every expectation that counts distinct values or
// keys, passing and failing, with row_conditions, over xdvTable's columns.
func xdvKeyed() []Expectation {
	return []Expectation{
		{Type: ValuesUnique, Column: "id"},
		{Type: ValuesUnique, Column: "id", RowCondition: "grp = 'b' OR i > 100000"},
		{Type: CompoundUnique, ColumnList: []string{"id", "grp"}},
		{Type: ValuesUnique, Column: "id", Mostly: fp(0.99)},
		{Type: ProportionUniqueBetwen, Column: "id", Min: fp(0.99)},
		{Type: ProportionUniqueBetwen, Column: "v", Min: fp(0.9)},
		{Type: ProportionUniqueBetwen, Column: "v", Min: fp(0.9), RowCondition: "grp = 'a' AND i < 200000"},
		{Type: DistinctValuesInSet, Column: "id", ValueSet: []string{"dup4", "dup9"}},
		{Type: DistinctValuesInSet, Column: "v", ValueSet: []string{"1", "2.5"}, RowCondition: "i < 280000"},
		{Type: DistinctValuesInSet, Column: "cat", ValueSet: []string{"x", "y", "z"}},
		{Type: DistinctValuesInSet, Column: "cat", ValueSet: []string{"x"}, RowCondition: "grp = 'b'"},
	}
}

// xdvTable is 300k rows: id unique but for two repeated keys (5 rows) and
// 1,000 nulls; v with 150k distinct values (0, 0.5, 1, ...; each twice)
// and nulls; cat with 3 values.
func xdvTable(t *testing.T) (Data, *sql.DB) {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(1) // settings below are per connection
	_, err = db.ExecContext(context.Background(), `CREATE TABLE t AS SELECT
		CASE WHEN i % 300 = 0 THEN NULL WHEN i IN (5, 6, 7) THEN 'dup4' WHEN i IN (200001, 200002) THEN 'dup9' ELSE 'k' || i END AS id,
		CASE WHEN i % 2 = 0 THEN 'a' ELSE 'b' END AS grp,
		CASE WHEN i % 7 = 0 THEN NULL ELSE CAST(i // 2 AS DOUBLE) / 2 END AS v,
		['x', 'y', 'z'][1 + i % 3] AS cat,
		i FROM range(300000) r(i)`)
	require.NoError(t, err)
	return Data{DB: db, Relation: `"t"`, Name: "t"}, db
}

func xdvSet(t *testing.T, db *sql.DB, stmt string) {
	t.Helper()
	_, err := db.ExecContext(context.Background(), stmt)
	require.NoError(t, err)
}

// More keys than memory_limit holds at once are counted in hash
// partitions, written once, to the same results as in one scan: every
// occurrence of a repeated value, nulls and rows outside the row_condition
// left out, the same distinct counts, observed values and samples in the
// same order. Keys that the scan's estimate says fit (cat's three values)
// are counted in one query.
func TestKeysBeyondMemoryCountInPartitions(t *testing.T) {
	d, db := xdvTable(t)
	exps := xdvKeyed()
	tmp := t.TempDir()
	xdvSet(t, db, "SET temp_directory = "+lit(tmp))

	xdvSet(t, db, "SET memory_limit = '1GB'")
	whole, plans, err := evaluate(context.Background(), d, exps, Checks{}, Env{Now: now})
	require.NoError(t, err)
	for i, p := range plans {
		assert.Equal(t, 1, p.parts, "expectations[%d]: 300k keys fit in 1 GB", i+1)
		_, inScan := p.at["distinct"]
		assert.Equal(t, exps[i].Type != DistinctValuesInSet, inScan, "expectations[%d] counts distinct values in the scan", i+1)
	}

	xdvSet(t, db, "SET memory_limit = '16MB'")
	// One thread: the samples' query fits 16 MB only without a second
	// thread's buffers (under the race detector, at least).
	xdvSet(t, db, "SET threads = 1")
	parts, plans, err := evaluate(context.Background(), d, exps, Checks{}, Env{Now: now})
	require.NoError(t, err)
	// 16 MB holds 159k keys a query: 299k ids (250k where grp = 'b' OR
	// i > 100000), 150k values of v (140k below i 280000) take 2
	// partitions; the 86k values of v where grp = 'a' AND i < 200000 and
	// cat's 3 fit one query.
	wantParts := []int{2, 2, 2, 2, 2, 2, 1, 2, 2, 1, 1}
	for i, p := range plans {
		assert.Equal(t, wantParts[i], p.parts, "expectations[%d] %s partitions", i+1, exps[i].Type)
	}
	entries, err := os.ReadDir(tmp)
	require.NoError(t, err)
	for _, e := range entries {
		assert.NotContains(t, e.Name(), "mlpipe-expect-", "partition files are removed after the run")
	}

	want := []struct {
		success  bool
		observed any
		sample   []any
	}{
		{false, nil, []any{"dup4", "dup4", "dup4", "dup9", "dup9"}},
		{false, nil, []any{"dup4", "dup4", "dup9", "dup9"}},
		{false, nil, []any{[]any{"dup4", "b"}, []any{"dup4", "b"}}},
		{true, nil, nil},
		{true, nil, nil},
		{false, nil, nil},
		{true, nil, nil},
		{false, nil, nil},
		{false, nil, nil},
		{true, []any{"x", "y", "z"}, nil},
		{false, []any{"x", "y", "z"}, []any{"y", "z"}},
	}
	for i := range exps {
		w, p := whole.Results[i], parts.Results[i]
		assert.Equal(t, want[i].success, w.Success, "expectations[%d]: %s", i+1, w.Message)
		if want[i].observed != nil {
			assert.Equal(t, want[i].observed, w.Result.ObservedValue, "expectations[%d]", i+1)
		}
		if want[i].sample != nil {
			assert.Equal(t, want[i].sample, w.Result.PartialUnexpectedList, "expectations[%d]", i+1)
		}
		assert.Equal(t, w, p, "expectations[%d] in partitions as in one scan", i+1)
	}
	// 5 rows of repeated ids; 150k values of v over 257,142 non-null rows.
	assert.Equal(t, int64(5), *whole.Results[0].Result.UnexpectedCount)
	assert.Equal(t, int64(150000), *whole.Results[5].Result.DistinctCount)
	assert.InDelta(t, 150000.0/257142, whole.Results[5].Result.ObservedValue, 1e-12)
	in := whole.Results[7].Result
	assert.Equal(t, int64(299000-3), *in.DistinctCount, "every id but the 2 extra dup4s and 1 extra dup9")
	assert.True(t, in.ObservedValueTruncated)
	assert.Len(t, in.ObservedValue, maxObserved)
	assert.Equal(t, []any{"dup4", "dup9", "k1"}, in.ObservedValue.([]any)[:3], "the first distinct values in sort order")
	assert.Len(t, in.PartialUnexpectedList, maxPartial)
	assert.Contains(t, whole.Results[7].Message, "observed_value lists the first 50 of 298997 distinct values")
}

func TestMemoryBytes(t *testing.T) {
	assert.InDelta(t, 953.6*(1<<20), memoryBytes("953.6 MiB"), 1)
	assert.Equal(t, int64(1<<30), memoryBytes("1.0 GiB"))
	assert.Equal(t, int64(0), memoryBytes("none"))
}

// 1M distinct emails (longer than DuckDB keeps inline) do not fit a
// distinct count in 16 MB: the engine runs out of memory in one query.
// Counted in hash partitions, the keyed expectations all finish.
func TestDistinctValuesPastMemoryLimit(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("duckdb", "")
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(1)
	xdvSet(t, db, `CREATE TABLE t AS SELECT 'e' || i || '@example.com' AS email, i FROM range(1000000) r(i)`)
	xdvSet(t, db, "SET temp_directory = "+lit(t.TempDir()))
	xdvSet(t, db, "SET memory_limit = '16MB'")
	xdvSet(t, db, "SET threads = 1")
	_, err = db.ExecContext(ctx, `SELECT count(DISTINCT email) FROM t`)
	require.ErrorContains(t, err, "Out of Memory", "the data must not fit one distinct count for this test to mean anything")

	d := Data{DB: db, Relation: `"t"`, Name: "t"}
	rep := run(t, d, []Expectation{
		{Type: ProportionUniqueBetwen, Column: "email", Min: fp(1)},
		{Type: DistinctValuesInSet, Column: "email", ValueSet: []string{"e0@example.com"}},
		{Type: ValuesUnique, Column: "email"},
	}, Checks{}, Env{})
	prop, in, uniq := rep.Results[0], rep.Results[1], rep.Results[2]
	assert.True(t, prop.Success, prop.Message)
	assert.Equal(t, 1.0, prop.Result.ObservedValue)
	assert.False(t, in.Success)
	assert.Equal(t, int64(1000000), *in.Result.DistinctCount)
	require.Len(t, in.Result.ObservedValue, maxObserved)
	assert.Equal(t, "e0@example.com", in.Result.ObservedValue.([]any)[0])
	assert.Equal(t, "e100000@example.com", in.Result.PartialUnexpectedList[0])
	assert.Contains(t, in.Message, "999999 distinct value(s) not in [e0@example.com] (observed_value lists the first 50 of 1000000 distinct values)")
	assert.True(t, uniq.Success, uniq.Message)
}

// Each distinct count in the scan holds its own keys: two columns of 100k
// keys do not share a scan that holds 159k (16 MB), though either alone
// fits; each is then counted in a query of its own, to the same results.
func TestDistinctCountsShareTheScansMemory(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("duckdb", "")
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(1)
	xdvSet(t, db, `CREATE TABLE t AS SELECT 'e' || i || '@example.com' AS email, 'C' || lpad(CAST(i AS VARCHAR), 9, '0') AS id FROM range(100000) r(i)`)
	xdvSet(t, db, "SET temp_directory = "+lit(t.TempDir()))
	d := Data{DB: db, Relation: `"t"`, Name: "t"}
	both := []Expectation{
		{Type: ValuesUnique, Column: "id"},
		{Type: ProportionUniqueBetwen, Column: "email", Min: fp(1)},
		{Type: ProportionUniqueBetwen, Column: "id", Min: fp(1)},
	}

	xdvSet(t, db, "SET memory_limit = '1GB'")
	whole, _, err := evaluate(ctx, d, both, Checks{}, Env{Now: now})
	require.NoError(t, err)

	xdvSet(t, db, "SET memory_limit = '16MB'")
	xdvSet(t, db, "SET threads = 1")
	r := &runner{ctx: ctx, d: d}
	require.NoError(t, r.planKeys(both[:1]))
	assert.Zero(t, r.keysPerQuery, "one column's 100k keys fit the scan")
	require.NoError(t, r.planKeys(both))
	assert.Positive(t, r.keysPerQuery, "two columns' 200k keys do not")
	apart, plans, err := evaluate(ctx, d, both, Checks{}, Env{Now: now})
	require.NoError(t, err)
	for i, p := range plans {
		assert.Equal(t, 1, p.parts, "expectations[%d]: 100k keys fit a query of their own", i+1)
		_, inScan := p.at["distinct"]
		assert.False(t, inScan, "expectations[%d] is not counted in the scan", i+1)
		assert.Equal(t, whole.Results[i], apart.Results[i])
		assert.True(t, apart.Results[i].Success, apart.Results[i].Message)
	}
}
