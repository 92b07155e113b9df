package dataplane

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/frame"
)

// One scan sends each row to its part in file order, with the values of
// the columns each part keeps; the others stay in the frame, every value
// missing. Together the parts are ReadFrame's frame.
func TestReadFramePartsSplitsRowsAndColumns(t *testing.T) {
	t.Run("one query", testReadFrameParts)
	// Batches of 2 rows: 3 queries, with the last one short.
	defer func(b int64) { readBatch = b }(readBatch)
	readBatch = 2
	t.Run("batches", testReadFrameParts)
}

func testReadFrameParts(t *testing.T) {
	e := openTest(t)
	ctx := context.Background()
	dir := t.TempDir()
	src := "id,plan,score,seen\n1,basic,2.5,2026-01-02\n2,plus,NA,2026-01-03\n3,basic,4,\n4,,5.5,2026-01-05\n5,plus,6,2026-01-06\n"
	p := filepath.Join(dir, "d.csv")
	require.NoError(t, os.WriteFile(p, []byte(src), 0o600))
	tab, err := e.Load(ctx, p, LoadOptions{})
	require.NoError(t, err)
	pq := filepath.Join(dir, "d.parquet")
	require.NoError(t, e.WriteParquet(ctx, tab, pq))
	whole, err := e.ReadFrame(ctx, pq)
	require.NoError(t, err)
	fromTable, err := e.Frame(ctx, tab)
	require.NoError(t, err)
	assertSameFrame(t, whole, fromTable)
	require.Equal(t, 5, whole.NumRows())
	ids, _ := whole.Col("id")
	assert.Equal(t, []float64{1, 2, 3, 4, 5}, ids.Floats, "rows in file order")

	scoreOnly := func(name string, _ frame.Kind) bool { return name == "score" }
	parts, err := e.ReadFrameParts(ctx, pq, []int8{1, 0, -1, 0, 1}, []Keep{scoreOnly, nil})
	require.NoError(t, err)
	require.Len(t, parts, 2)
	assertSameFrame(t, whole.Take([]int{0, 4}), parts[1])

	first := parts[0]
	require.Equal(t, 2, first.NumRows())
	assert.Equal(t, whole.Names(), first.Names())
	assert.Equal(t, whole.Kinds(), first.Kinds())
	score, _ := first.Col("score")
	assert.Equal(t, []bool{true, false}, score.Null)
	assert.Equal(t, 5.5, score.Floats[1])
	for _, name := range []string{"id", "plan", "seen"} {
		c, _ := first.Col(name)
		assert.Equal(t, []bool{true, true}, c.Null, name)
		assert.Equal(t, 2, c.Len(), name)
	}

	all, err := e.ReadFrameParts(ctx, pq, nil, []Keep{nil})
	require.NoError(t, err)
	assertSameFrame(t, whole, all[0])

	_, err = e.ReadFrameParts(ctx, pq, []int8{0, 0}, []Keep{nil})
	assert.ErrorContains(t, err, "5 rows, but 2 are assigned to parts")
	_, err = e.ReadFrameParts(ctx, pq, []int8{0, 0, 0, 0, 2}, []Keep{nil, nil})
	assert.ErrorContains(t, err, "part 2 of 2")
	_, err = e.ReadFrameParts(ctx, filepath.Join(dir, "d.csv"), nil, []Keep{nil})
	assert.True(t, strings.Contains(err.Error(), "not readable as parquet"), err.Error())
}

// A column named like the row number the batches select by is read as
// data, in one query.
func TestReadFramePartsKeepsAColumnNamedFileRowNumber(t *testing.T) {
	defer func(b int64) { readBatch = b }(readBatch)
	readBatch = 2
	e := openTest(t)
	ctx := context.Background()
	dir := t.TempDir()
	p := filepath.Join(dir, "d.csv")
	require.NoError(t, os.WriteFile(p, []byte("file_row_number,x\n10,a\n20,b\n30,c\n"), 0o600))
	tab, err := e.Load(ctx, p, LoadOptions{})
	require.NoError(t, err)
	pq := filepath.Join(dir, "d.parquet")
	require.NoError(t, e.WriteParquet(ctx, tab, pq))
	parts, err := e.ReadFrameParts(ctx, pq, nil, []Keep{nil})
	require.NoError(t, err)
	c, ok := parts[0].Col("file_row_number")
	require.True(t, ok)
	assert.Equal(t, []float64{10, 20, 30}, c.Floats)
}
