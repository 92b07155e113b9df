package dataplane

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/frame"
)

// parityCSVs are tricky CSVs that frame.ReadCSV and Load must read alike:
// the same kinds and cells, or the same error.
var parityCSVs = []struct{ name, text string }{
	{"plain", "id,x,s\n1,1.5,a\n2,2.5,b\n"},
	{"bom and crlf", "\ufeffid,x\r\n1,2\r\n3,4\r\n"},
	{"null tokens", "x,s,t\n,a,2026-01-01\nNA,NA,NA\nN/A,N/A,N/A\nnull,null,null\nNULL,NULL,NULL\nNaN,NaN,NaN\nnan,nan,nan\n1,b,2026-01-02\n"},
	{"near-miss null tokens stay text", "s\nna\nNull\nNone\nn/a\n-\n"},
	{"number spellings", "x\n+.5\n1.\n-0\n1e5\n1E-3\n0.1\n123456789012345678901234567890\n-2.5e+10\n007\n"},
	{"numeric except n/a and ?", "x\n1\n2\nn/a\n?\n3\n"},
	{"spaces make text", "x\n1\n 2\n"},
	{"underscores make text", "x\n1_000\n2\n"},
	{"times", "t\n2026-01-01T10:00:00Z\n2026-01-01T10:00:00+02:00\n2026-01-01T10:00:00.123456Z\n2026-01-01 03:04:05\n2026-01-01\n\n"},
	{"time and a word is text", "t\n2026-01-01\nsoon\n"},
	{"number and a date is text", "t\n5\n2026-01-01\n"},
	{"all null is float", "x,y\n,1\nNA,2\n"},
	{"quoting", "a,b\n\"x, y\",\"say \"\"hi\"\"\"\n\"multi\nline\",\"crlf\r\ninside\"\n\"\",\"1\"\n"},
	{"header trimmed", " a , b \n1,2\n"},
	{"unicode", "name,city\nJosé,Zürich\n李,東京\n"},
	{"blank lines skipped", "a,b\n1,2\n\n3,4\n\n"},
	{"header only", "a,b\n"},
	{"empty file", ""},
	{"utf-16", "\xff\xfea\x00,\x00b\x00\n\x00"},
	{"latin-1 cell", "name,city\nJos\xe9,Paris\n"},
	{"latin-1 header", "caf\xe9,b\n1,2\n"},
	{"ragged row", "a,b,c\n1,2,3\n4,5\n"},
	{"too many fields", "a,b\n1,2\n3,4,5\n"},
	{"duplicate header", "a,b,a\n1,2,3\n"},
	{"blank header", "a,,c\n1,2,3\n"},
	{"trailing comma header", "a,b,\n1,2,3\n"},
	{"infinity", "x\n1\ninf\n-Inf\n"},
	{"overflow", "x\n1\n1e999\n"},
	{"NAN spelled", "x\n1\nNAN\n"},
	{"inf among words is text", "x\ninf\nabc\n"},
	{"bare quote", "a,b\n1,x\"y\n"},
	{"unterminated quote", "a,b\n1,\"xy\n"},
}

func TestLoadReadsCSVLikeFrameReadCSV(t *testing.T) {
	e := openTest(t)
	ctx := context.Background()
	dir := t.TempDir()
	for i, tc := range parityCSVs {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, "data.csv")
			require.NoError(t, os.WriteFile(p, []byte(tc.text), 0o600))
			want, wantErr := frame.ReadCSV(strings.NewReader(tc.text), frame.ReadOptions{Source: "data.csv"})
			tab, err := e.Load(ctx, p, LoadOptions{Source: "data.csv", Table: "parity" + string(rune('a'+i))})
			if wantErr != nil {
				require.Error(t, err, "frame.ReadCSV refuses it: %v", wantErr)
				assert.Equal(t, wantErr.Error(), err.Error())
				var de *frame.DataError
				assert.ErrorAs(t, err, &de, "bad input is a DataError")
				return
			}
			require.NoError(t, err)
			got, err := e.Frame(ctx, tab)
			require.NoError(t, err)
			assert.EqualValues(t, want.NumRows(), tab.Rows)
			assertSameFrame(t, want, got)
			for i, c := range want.Columns() {
				assert.Equal(t, c.Kind, tab.Columns[i].Kind, "column %s", c.Name)
				assert.Equal(t, frame.NotNumbers(c), tab.Columns[i].NotNumbers, "column %s", c.Name)
			}
		})
	}
}

// assertSameFrame compares kinds and every cell: floats to the bit, times
// as instants (the engine keeps microseconds, as every test time has).
func assertSameFrame(t *testing.T, want, got *frame.Frame) {
	t.Helper()
	require.Equal(t, want.Names(), got.Names())
	require.Equal(t, want.NumRows(), got.NumRows())
	for _, w := range want.Columns() {
		g, _ := got.Col(w.Name)
		require.Equal(t, w.Kind, g.Kind, "column %s", w.Name)
		for r := 0; r < want.NumRows(); r++ {
			require.Equal(t, w.Null[r], g.Null[r], "column %s row %d null", w.Name, r+1)
			if w.Null[r] {
				continue
			}
			switch w.Kind {
			case frame.Float:
				assert.Equal(t, math.Float64bits(w.Floats[r]), math.Float64bits(g.Floats[r]), "column %s row %d: %v vs %v", w.Name, r+1, w.Floats[r], g.Floats[r])
			case frame.String:
				assert.Equal(t, w.Strings[r], g.Strings[r], "column %s row %d", w.Name, r+1)
			case frame.Time:
				assert.True(t, w.Times[r].Equal(g.Times[r]), "column %s row %d: %v vs %v", w.Name, r+1, w.Times[r], g.Times[r])
			}
		}
	}
}

func openTest(t testing.TB) *Engine {
	t.Helper()
	e, err := Open(Options{MemoryLimit: "256MB", Threads: 2, TempDir: t.TempDir()})
	require.NoError(t, err)
	t.Cleanup(func() { _ = e.Close() })
	return e
}
