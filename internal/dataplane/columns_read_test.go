package dataplane

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/frame"
)

// columnTypesSQL makes a table of every type the column reader reads,
// with nulls, NaN, signed zeros, infinities, extremes, text that repeats
// (dictionary pages) and text that does not (plain pages), empty text,
// multi-byte text, times before 1970 and to the microsecond.
const columnTypesSQL = `CREATE TABLE t AS SELECT
  i::BIGINT AS id,
  CASE WHEN i % 7 = 0 THEN NULL WHEN i % 11 = 0 THEN 'NaN'::DOUBLE WHEN i % 13 = 0 THEN -0.0::DOUBLE
       WHEN i % 17 = 0 THEN 'inf'::DOUBLE WHEN i % 19 = 0 THEN -1e308 WHEN i % 23 = 0 THEN 5e-324
       ELSE i * 0.1 - 3 END AS d,
  CASE WHEN i % 5 = 0 THEN NULL ELSE ((i % 9) * 0.5)::DOUBLE END AS few,
  CASE WHEN i % 6 = 0 THEN NULL ELSE (i * 1.37)::FLOAT END AS f,
  CASE WHEN i % 8 = 0 THEN NULL WHEN i % 3 = 0 THEN 9007199254740993 + i WHEN i % 4 = 0 THEN -9223372036854775808
       WHEN i % 10 = 1 THEN 9223372036854775807 ELSE i * 1000003 END::BIGINT AS big,
  CASE WHEN i % 9 = 0 THEN NULL ELSE (i * 7919 % 4294967) - 2147483 END::INTEGER AS int,
  CASE WHEN i % 10 = 0 THEN NULL ELSE (i % 65536) - 32768 END::SMALLINT AS small,
  CASE WHEN i % 4 = 0 THEN NULL ELSE (i % 256) - 128 END::TINYINT AS tiny,
  CASE WHEN i % 3 = 0 THEN NULL ELSE i % 2 = 0 END AS flag,
  CASE WHEN i % 4 = 0 THEN NULL WHEN i % 5 = 0 THEN '' ELSE ['basic', 'plus', 'prémium ✓', 'a value longer than twelve bytes'][i % 4 + 1] END AS plan,
  CASE WHEN i % 12 = 0 THEN NULL ELSE 'customer-' || i || repeat('x', i % 30) END AS cid,
  CASE WHEN i % 6 = 0 THEN NULL ELSE TIMESTAMP '1960-02-29 23:59:59.123456' + to_microseconds(i * 987654321) END AS seen,
  CASE WHEN i % 15 = 0 THEN NULL ELSE TIMESTAMP '2020-01-01' + INTERVAL 1 DAY * (i % 40) END AS few_times,
  CASE WHEN i % 5 = 0 THEN NULL ELSE DATE '1901-01-01' + (i * 37 % 80000)::INTEGER END AS day
FROM range(%d) r(i)`

// writeColumnTypes writes the table to a Parquet file with the options
// given to COPY.
func writeColumnTypes(t *testing.T, e *Engine, rows int, options string) string {
	t.Helper()
	ctx := context.Background()
	_, err := e.DB().ExecContext(ctx, "DROP TABLE IF EXISTS t")
	require.NoError(t, err)
	_, err = e.DB().ExecContext(ctx, strings.Replace(columnTypesSQL, "%d", fmt.Sprint(rows), 1))
	require.NoError(t, err)
	p := filepath.Join(t.TempDir(), "t.parquet")
	_, err = e.DB().ExecContext(ctx, fmt.Sprintf("COPY (SELECT * FROM t ORDER BY id) TO %s (FORMAT parquet, %s)", quote(p), options))
	require.NoError(t, err)
	return p
}

// requireIdentical fails unless the frames hold the same columns and the
// same values bit for bit, null slots and time locations included.
func requireIdentical(t *testing.T, want, got *frame.Frame) {
	t.Helper()
	require.Equal(t, want.Names(), got.Names())
	require.Equal(t, want.NumRows(), got.NumRows())
	for _, w := range want.Columns() {
		g, _ := got.Col(w.Name)
		require.Equal(t, w.Kind, g.Kind, "column %s", w.Name)
		require.Equal(t, w.Null, g.Null, "column %s nulls", w.Name)
		require.Equal(t, w.Strings, g.Strings, "column %s", w.Name)
		require.Equal(t, len(w.Floats), len(g.Floats), "column %s", w.Name)
		for r := range w.Floats {
			require.Equal(t, math.Float64bits(w.Floats[r]), math.Float64bits(g.Floats[r]), "column %s row %d: %v vs %v", w.Name, r+1, w.Floats[r], g.Floats[r])
		}
		require.Equal(t, len(w.Times), len(g.Times), "column %s", w.Name)
		for r := range w.Times {
			// == compares the location too, not only the instant.
			require.True(t, w.Times[r] == g.Times[r], "column %s row %d: %#v vs %#v", w.Name, r+1, w.Times[r], g.Times[r])
		}
	}
}

// readBoth reads the file with the row reader and the column reader,
// requires the column reader to have read it itself, and compares.
func readBoth(t *testing.T, e *Engine, path string, part []int8, keep []Keep) []*frame.Frame {
	t.Helper()
	ctx := context.Background()
	want, err := e.ReadFrameParts(ctx, path, part, keep)
	require.NoError(t, err)
	cols, err := describe(ctx, e.db, fmt.Sprintf("SELECT * FROM read_parquet(%s)", quote(path)))
	require.NoError(t, err)
	direct, err := readColumns(ctx, path, cols, part, keep)
	require.NoError(t, err, "the column reader must read this file itself")
	got, err := e.ReadColumnParts(ctx, path, part, keep)
	require.NoError(t, err)
	require.Len(t, got, len(want))
	for p := range want {
		requireIdentical(t, want[p], direct[p])
		requireIdentical(t, want[p], got[p])
	}
	return got
}

// Every type DuckDB writes for mlpipe's kinds reads to the row reader's
// values, whatever the codec, the row group size, the encoding, the split
// into parts and the columns each part keeps.
func TestReadColumnPartsMatchesTheRowReader(t *testing.T) {
	e := openTest(t)
	const rows = 5000
	split := make([]int8, rows)
	half := make([]int8, rows)
	for i := range split {
		split[i] = int8(i*7%5) - 1 // -1 (skipped), 0, 1, 2, 3
		half[i] = int8(i%3%2) - 1  // -1, 0, -1
	}
	numbersOnly := func(_ string, k frame.Kind) bool { return k == frame.Float }
	someColumns := func(name string, _ frame.Kind) bool { return name == "plan" || name == "seen" || name == "d" }
	for _, options := range []string{
		"COMPRESSION zstd",
		"COMPRESSION snappy, ROW_GROUP_SIZE 1000",
		"COMPRESSION uncompressed, ROW_GROUP_SIZE 777",
		"COMPRESSION zstd, PARQUET_VERSION v2, ROW_GROUP_SIZE 2048",
	} {
		t.Run(options, func(t *testing.T) {
			path := writeColumnTypes(t, e, rows, options)
			whole := readBoth(t, e, path, nil, []Keep{nil})
			require.Equal(t, rows, whole[0].NumRows())
			readBoth(t, e, path, split, []Keep{nil, numbersOnly, someColumns, func(string, frame.Kind) bool { return false }})
			readBoth(t, e, path, half, []Keep{someColumns})
		})
	}
}

// The test above covers both kinds of text page: repeated values in
// dictionary pages, distinct ones in plain pages.
func TestReadColumnPartsSeesDictionaryAndPlainText(t *testing.T) {
	e := openTest(t)
	path := writeColumnTypes(t, e, 5000, "COMPRESSION zstd")
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	st, err := f.Stat()
	require.NoError(t, err)
	pf, err := parquet.OpenFile(f, st.Size())
	require.NoError(t, err)
	encodings := map[string]string{}
	for _, c := range pf.Metadata().RowGroups[0].Columns {
		encodings[c.MetaData.PathInSchema[0]] = fmt.Sprint(c.MetaData.Encoding)
	}
	assert.Contains(t, encodings["plan"], "DICTIONARY")
	assert.NotContains(t, encodings["cid"], "DICTIONARY")
}

// The Parquet that ingestion writes reads the same either way, null
// tokens, times and all.
func TestReadColumnPartsReadsWhatIngestionWrites(t *testing.T) {
	e := openTest(t)
	ctx := context.Background()
	dir := t.TempDir()
	src := "id,plan,score,seen,flag\n1,basic,2.5,2026-01-02,yes\n2,plus,NA,2026-01-03T04:05:06Z,no\n3,basic,4,,\n4,,5.5,2026-01-05 10:00:00+02:00,yes\n5,n/a,-0,2026-01-06,no\n"
	p := filepath.Join(dir, "d.csv")
	require.NoError(t, os.WriteFile(p, []byte(src), 0o600))
	tab, err := e.Load(ctx, p, LoadOptions{})
	require.NoError(t, err)
	pq := filepath.Join(dir, "d.parquet")
	require.NoError(t, e.WriteParquet(ctx, tab, pq))
	got := readBoth(t, e, pq, []int8{1, 0, -1, 0, 1}, []Keep{nil, nil})
	plan, _ := got[0].Col("plan")
	assert.Equal(t, []bool{false, true}, plan.Null, "rows 2 and 4, in file order")
	assert.Equal(t, "plus", plan.Strings[0])
}

// Types the column reader leaves alone, and a schema it cannot map, are
// read by the row reader: the same frames, or the same error. DuckDB
// writes some types as others (HUGEINT as DOUBLE, TIMESTAMP_NS as
// microseconds), which the column reader then reads itself.
func TestReadColumnPartsHandsOtherTypesToTheRowReader(t *testing.T) {
	e := openTest(t)
	ctx := context.Background()
	for _, c := range []struct {
		name, sel string
		rowReader bool
	}{
		{"decimal", "(i / 7)::DECIMAL(12,3) AS x", true},
		{"small decimal", "(i / 7)::DECIMAL(4,1) AS x", true},
		{"ubigint", "(18446744073709551615 - i)::UBIGINT AS x", true},
		{"utinyint", "i::UTINYINT AS x", true},
		{"timestamptz", "TIMESTAMPTZ '2026-01-02 03:04:05+01' + INTERVAL 1 HOUR * i AS x", true},
		{"infinite day", "CASE WHEN i = 3 THEN 'infinity'::DATE ELSE DATE '2026-01-01' END AS x", true},
		{"blob", "'\\xAA'::BLOB AS x", true},
		{"list", "[i, i] AS x", true},
		{"hugeint", "(i * 170141183460469231731687303715884105)::HUGEINT AS x", false},
		{"timestamp_ns", "TIMESTAMP_NS '2026-01-02 03:04:05.123456789' + INTERVAL 1 HOUR * i AS x", false},
		{"timestamp_ms", "TIMESTAMP_MS '2026-01-02 03:04:05.123' + INTERVAL 1 HOUR * i AS x", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "x.parquet")
			q := fmt.Sprintf("COPY (SELECT i::DOUBLE AS n, %s FROM range(10) r(i)) TO %s (FORMAT parquet)", c.sel, quote(p))
			_, err := e.DB().ExecContext(ctx, q)
			require.NoError(t, err)
			cols, err := describe(ctx, e.db, fmt.Sprintf("SELECT * FROM read_parquet(%s)", quote(p)))
			require.NoError(t, err)
			_, err = readColumns(ctx, p, cols, nil, []Keep{nil})
			var nc notColumnar
			if c.rowReader {
				require.True(t, errors.As(err, &nc), "want the row reader, got %v (types %v)", err, cols)
			} else {
				require.NoError(t, err, "types %v", cols)
			}

			want, werr := e.ReadFrameParts(ctx, p, nil, []Keep{nil})
			got, gerr := e.ReadColumnParts(ctx, p, nil, []Keep{nil})
			if werr != nil {
				require.Error(t, gerr)
				assert.Equal(t, werr.Error(), gerr.Error())
				return
			}
			require.NoError(t, gerr)
			requireIdentical(t, want[0], got[0])
		})
	}
}

// A column the parts do not read may have any type the row reader
// accepts: the column reader still reads the others itself.
func TestReadColumnPartsSkipsColumnsItDoesNotRead(t *testing.T) {
	e := openTest(t)
	ctx := context.Background()
	p := filepath.Join(t.TempDir(), "x.parquet")
	q := fmt.Sprintf("COPY (SELECT i::DOUBLE AS n, (i / 7)::DECIMAL(12,3) AS x FROM range(10) r(i)) TO %s (FORMAT parquet)", quote(p))
	_, err := e.DB().ExecContext(ctx, q)
	require.NoError(t, err)
	readBoth(t, e, p, nil, []Keep{func(name string, _ frame.Kind) bool { return name == "n" }})
}

// Bad arguments and files that are not Parquet get the row reader's
// errors.
func TestReadColumnPartsErrors(t *testing.T) {
	e := openTest(t)
	ctx := context.Background()
	path := writeColumnTypes(t, e, 5, "COMPRESSION zstd")
	_, err := e.ReadColumnParts(ctx, path, []int8{0, 0}, []Keep{nil})
	assert.ErrorContains(t, err, "5 rows, but 2 are assigned to parts")
	_, err = e.ReadColumnParts(ctx, path, []int8{0, 0, 0, 0, 2}, []Keep{nil, nil})
	assert.ErrorContains(t, err, "part 2 of 2")
	notParquet := filepath.Join(t.TempDir(), "d.csv")
	require.NoError(t, os.WriteFile(notParquet, []byte("a,b\n1,2\n"), 0o600))
	_, err = e.ReadColumnParts(ctx, notParquet, nil, []Keep{nil})
	require.Error(t, err)
	assert.Contains(t, err.Error(), notParquet+": not readable as parquet")
	var de *frame.DataError
	assert.True(t, errors.As(err, &de), "bad input, not a retryable failure")

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = e.ReadColumnParts(cancelled, path, nil, []Keep{nil})
	assert.ErrorIs(t, err, context.Canceled)
}

// A file whose pages are damaged gets the row reader's error, never a
// panic or made-up values.
func TestReadColumnPartsDamagedPages(t *testing.T) {
	e := openTest(t)
	ctx := context.Background()
	path := writeColumnTypes(t, e, 5000, "COMPRESSION zstd")
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	for _, at := range []int{len(b) / 10, len(b) / 5, len(b) / 3, len(b) / 2, len(b) * 2 / 3, len(b) * 4 / 5, len(b) * 9 / 10} {
		bad := append([]byte(nil), b...)
		for k := range 64 {
			bad[at+k] ^= 0x5a
		}
		p := filepath.Join(t.TempDir(), "bad.parquet")
		require.NoError(t, os.WriteFile(p, bad, 0o600))
		want, werr := e.ReadFrameParts(ctx, p, nil, []Keep{nil})
		got, gerr := e.ReadColumnParts(ctx, p, nil, []Keep{nil})
		if werr != nil {
			require.Error(t, gerr, "byte %d", at)
			assert.Equal(t, werr.Error(), gerr.Error())
			t.Logf("byte %d: %v", at, gerr)
			continue
		}
		require.NoError(t, gerr, "byte %d", at)
		requireIdentical(t, want[0], got[0])
	}
}

// A file with no rows, or one row, reads to the row reader's frames.
func TestReadColumnPartsEmptyAndSingleRow(t *testing.T) {
	e := openTest(t)
	for _, rows := range []int{0, 1} {
		path := writeColumnTypes(t, e, rows, "COMPRESSION zstd")
		got := readBoth(t, e, path, nil, []Keep{nil})
		assert.Equal(t, rows, got[0].NumRows())
		readBoth(t, e, path, make([]int8, rows), []Keep{nil, nil})
	}
}
