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

const commaCSV = "id,name,score,seen\n1,\"Smith, J\",2.5,2026-01-02\n2,Lee,NA,2026-01-03\n"

func TestLoadSniffsTheDelimiter(t *testing.T) {
	e := openTest(t)
	ctx := context.Background()
	want, err := frame.ReadCSV(strings.NewReader(commaCSV), frame.ReadOptions{})
	require.NoError(t, err)
	dir := t.TempDir()
	for _, tc := range []struct{ name, file, sep string }{
		{"semicolon", "d.csv", ";"},
		{"tab by extension", "d.tsv", "\t"},
		{"tab sniffed", "d.txt", "\t"},
		{"pipe", "p.csv", "|"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			text := strings.ReplaceAll(commaCSV, ",", tc.sep)
			text = strings.ReplaceAll(text, "Smith"+tc.sep+" J", "Smith, J") // the quoted comma stays
			p := filepath.Join(dir, tc.file)
			require.NoError(t, os.WriteFile(p, []byte(text), 0o600))
			tab, err := e.Load(ctx, p, LoadOptions{})
			require.NoError(t, err)
			got, err := e.Frame(ctx, tab)
			require.NoError(t, err)
			assertSameFrame(t, want, got)
			require.NoError(t, e.Drop(ctx, tab))
		})
	}
}

func TestLoadTypedFormats(t *testing.T) {
	e := openTest(t)
	ctx := context.Background()
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
		return p
	}

	t.Run("json lines, sniffed", func(t *testing.T) {
		p := write("rows.data", `{"id": 1, "ok": true, "city": "Oslo", "at": "2026-01-02 03:04:05"}
{"id": 2, "ok": false, "city": "N/A", "at": null}
`)
		tab, err := e.Load(ctx, p, LoadOptions{})
		require.NoError(t, err)
		assert.Equal(t, FormatJSONL, tab.Format)
		assert.Equal(t, []ColumnInfo{{Name: "id", Kind: frame.Float}, {Name: "ok", Kind: frame.Float},
			{Name: "city", Kind: frame.String}, {Name: "at", Kind: frame.Time}}, tab.Columns)
		f, err := e.Frame(ctx, tab)
		require.NoError(t, err)
		city, _ := f.Col("city")
		assert.Equal(t, []bool{false, true}, city.Null, "a null token in a JSON string is missing, as in a CSV")
		ok, _ := f.Col("ok")
		assert.Equal(t, []float64{1, 0}, ok.Floats, "booleans are 1 and 0")
	})
	t.Run("json nested object refused naming the column", func(t *testing.T) {
		p := write("nested.jsonl", `{"id": 1, "address": {"city": "Oslo"}}`+"\n")
		_, err := e.Load(ctx, p, LoadOptions{Source: "nested.jsonl"})
		require.Error(t, err)
		var de *frame.DataError
		assert.ErrorAs(t, err, &de)
		assert.Contains(t, err.Error(), `nested.jsonl: column "address" has type STRUCT`)
		assert.Contains(t, err.Error(), "make it a number, text or a timestamp")
	})
	t.Run("json that is not json", func(t *testing.T) {
		p := write("bad.jsonl", "{\"id\": 1}\n{oops\n")
		_, err := e.Load(ctx, p, LoadOptions{Source: "bad.jsonl"})
		require.Error(t, err)
		var de *frame.DataError
		assert.ErrorAs(t, err, &de)
		assert.Contains(t, err.Error(), "bad.jsonl: not readable as jsonl")
	})
	t.Run("parquet: NaN is missing, infinity refused naming row and column", func(t *testing.T) {
		nan := filepath.Join(dir, "nan.parquet")
		_, err := e.DB().ExecContext(ctx, "COPY (SELECT * FROM (VALUES (1.5), ('NaN'::DOUBLE), (2.5)) v(x)) TO "+quote(nan)+" (FORMAT parquet)")
		require.NoError(t, err)
		tab, err := e.ReadParquetTable(ctx, nan, LoadOptions{})
		require.NoError(t, err)
		f, err := e.Frame(ctx, tab)
		require.NoError(t, err)
		x, _ := f.Col("x")
		assert.Equal(t, []bool{false, true, false}, x.Null)

		inf := filepath.Join(dir, "inf.parquet")
		_, err = e.DB().ExecContext(ctx, "COPY (SELECT * FROM (VALUES (1.5), (2.5), ('-Infinity'::DOUBLE)) v(x)) TO "+quote(inf)+" (FORMAT parquet)")
		require.NoError(t, err)
		_, err = e.Load(ctx, inf, LoadOptions{Source: "inf.parquet"})
		require.Error(t, err)
		assert.Contains(t, err.Error(), `inf.parquet: row 3, column "x": "-Inf" is not a finite number`)
	})
	t.Run("not parquet", func(t *testing.T) {
		p := write("fake.parquet", "id,x\n1,2\n")
		_, err := e.Load(ctx, p, LoadOptions{Source: "fake.parquet"})
		require.Error(t, err)
		var de *frame.DataError
		assert.ErrorAs(t, err, &de)
		assert.Contains(t, err.Error(), "fake.parquet: not readable as parquet")
	})
}

func TestLoadRefusesWhatTheEngineCannotHold(t *testing.T) {
	e := openTest(t)
	ctx := context.Background()
	dir := t.TempDir()
	for _, tc := range []struct{ name, body, want string }{
		{"names differing in case", "id,ID\n1,2\n", `header: columns "id" and "ID" (columns 1 and 2) differ only in case: rename one`},
		{"lone carriage return", "id,x\r1,2\r", `has a carriage return (\r) that does not end a line`},
		{"hexadecimal number", "x\n1\n0x1p-2\n", `row 2 (line 3), column "x": "0x1p-2" is a hexadecimal number: write it in decimal`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, "d.csv")
			require.NoError(t, os.WriteFile(p, []byte(tc.body), 0o600))
			_, err := e.Load(ctx, p, LoadOptions{Source: "d.csv"})
			require.Error(t, err)
			var de *frame.DataError
			assert.ErrorAs(t, err, &de)
			assert.Contains(t, err.Error(), "d.csv: ")
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}
