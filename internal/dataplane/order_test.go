package dataplane

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/frame"
	"github.com/mlpipe/mlpipe/internal/gen"
)

// orderRows is past DuckDB's 8 MB CSV buffer twice over (about 80,000
// churn rows a buffer), the size at which its parallel reader was seen to
// store the first buffer's rows after later ones.
const orderRows = 250_000

// writeNumberedChurn writes orderRows churn rows with a leading "row"
// column holding each row's 0-based position in the file.
func writeNumberedChurn(t testing.TB, path string) {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, gen.Churn(&buf, orderRows, 11, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)))
	f, err := os.Create(path)
	require.NoError(t, err)
	w := bufio.NewWriter(f)
	sc := bufio.NewScanner(&buf)
	for i := -1; sc.Scan(); i++ {
		if i < 0 {
			_, err = w.WriteString("row,")
		} else {
			_, err = w.WriteString(strconv.Itoa(i) + ",")
		}
		require.NoError(t, err)
		_, err = w.Write(append(sc.Bytes(), '\n'))
		require.NoError(t, err)
	}
	require.NoError(t, sc.Err())
	require.NoError(t, w.Flush())
	require.NoError(t, f.Close())
	st, err := os.Stat(path)
	require.NoError(t, err)
	require.Greater(t, st.Size(), int64(16<<20), "the file spans several of DuckDB's 8 MB buffers")
}

// firstOutOfOrder is the position of the first value of the "row" column
// that is not its own position, or -1 when every row is in file order.
func firstOutOfOrder(t testing.TB, f *frame.Frame) int {
	t.Helper()
	c, ok := f.Col("row")
	require.True(t, ok, "the frame has the row column")
	require.Equal(t, orderRows, len(c.Floats))
	for i, v := range c.Floats {
		if c.Null[i] || v != float64(i) {
			return i
		}
	}
	return -1
}

func sha256File(t testing.TB, path string) string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	h := sha256.New()
	_, err = io.Copy(h, f)
	require.NoError(t, err)
	return hex.EncodeToString(h.Sum(nil))
}

// A CSV larger than DuckDB's read buffer is ingested in file order, every
// time: the Parquet that Load and WriteParquet make holds row i at
// position i, as ReadFrameParts reads it (in one query and in batches),
// and two ingestions of the same file are byte-identical. The parallel CSV
// reader is timing dependent, so the load is repeated.
func TestLoadKeepsFileOrderPastTheReadBuffer(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	src := filepath.Join(dir, "churn.csv")
	writeNumberedChurn(t, src)
	var digest string
	for try := range 6 {
		// The engine as ingestion opens it: every thread, the default
		// memory limit.
		e, err := Open(Options{Threads: 2, TempDir: t.TempDir()})
		require.NoError(t, err)
		tab, err := e.Load(ctx, src, LoadOptions{})
		require.NoError(t, err)
		require.Equal(t, int64(orderRows), tab.Rows)
		pq := filepath.Join(dir, fmt.Sprintf("data%d.parquet", try))
		require.NoError(t, e.WriteParquet(ctx, tab, pq))

		parts, err := e.ReadFrameParts(ctx, pq, nil, []Keep{nil})
		require.NoError(t, err)
		assert.Equal(t, -1, firstOutOfOrder(t, parts[0]), "try %d: the ingested Parquet holds the file's rows in order", try)
		if try == 0 {
			// Read back in batches selected by file_row_number, as a
			// larger file is, the rows keep their order too.
			func() {
				defer func(b int64) { readBatch = b }(readBatch)
				readBatch = 30_000
				parts, err := e.ReadFrameParts(ctx, pq, nil, []Keep{nil})
				require.NoError(t, err)
				assert.Equal(t, -1, firstOutOfOrder(t, parts[0]), "read in batches, the Parquet's rows stay in order")
			}()
		}

		sum := sha256File(t, pq)
		if digest == "" {
			digest = sum
		}
		assert.Equal(t, digest, sum, "try %d: the same file ingests to the same bytes", try)
		require.NoError(t, e.Close())
		if t.Failed() {
			return
		}
	}
}

// JSON lines and Parquet sources keep their order through Load too (DuckDB's
// JSON reader stored its blocks out of order with two threads).
func TestLoadTypedKeepsFileOrder(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	src := filepath.Join(dir, "churn.csv")
	writeNumberedChurn(t, src)
	e, err := Open(Options{Threads: 2, TempDir: t.TempDir()})
	require.NoError(t, err)
	tab, err := e.Load(ctx, src, LoadOptions{})
	require.NoError(t, err)
	jl, pq := filepath.Join(dir, "churn.jsonl"), filepath.Join(dir, "churn.parquet")
	_, err = e.DB().ExecContext(ctx, fmt.Sprintf("COPY (SELECT * FROM %s) TO %s (FORMAT json)", tab.Name, quote(jl)))
	require.NoError(t, err)
	require.NoError(t, e.WriteParquet(ctx, tab, pq))
	require.NoError(t, e.Close())
	for try := range 4 {
		for _, p := range []string{jl, pq} {
			e, err := Open(Options{Threads: 2, TempDir: t.TempDir()})
			require.NoError(t, err)
			tab, err := e.Load(ctx, p, LoadOptions{})
			require.NoError(t, err)
			f, err := e.Frame(ctx, tab)
			require.NoError(t, err)
			assert.Equal(t, -1, firstOutOfOrder(t, f), "try %d: %s loads in file order", try, filepath.Base(p))
			require.NoError(t, e.Close())
		}
	}
}

// The column a JSON-lines load numbers rows by cannot be one of the file's.
func TestLoadRefusesTheJSONRowColumn(t *testing.T) {
	e := openTest(t)
	p := filepath.Join(t.TempDir(), "rows.jsonl")
	require.NoError(t, os.WriteFile(p, []byte(`{"id": 1, "__mlpipe_file_row": 7}`+"\n"), 0o600))
	_, err := e.Load(context.Background(), p, LoadOptions{Source: "rows.jsonl"})
	var de *frame.DataError
	require.ErrorAs(t, err, &de)
	assert.Contains(t, err.Error(), `rows.jsonl: column "__mlpipe_file_row" is a name mlpipe uses while it reads JSON lines: rename it`)
}
