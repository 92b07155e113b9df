package dataplane

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/frame"
)

// fastCSVs are plain CSVs the fast tokenizer reads itself, and near
// misses it must hand to encoding/csv; name says which ("fast: ...").
var fastCSVs = []struct{ name, text string }{
	{"fast: plain", "id,x,s\n1,1.5,a\n2,2.5,b\n"},
	{"fast: no final newline", "id,x\n1,2\n3,4"},
	{"fast: crlf", "id,x\r\n1,2\r\n3,4\r\n"},
	{"fast: bom", "\ufeffid,x\n1,2\n"},
	{"fast: quoted fields", "a,b\n\"x, y\",\"say \"\"hi\"\"\"\n\"multi\nline\",\"1\"\n\"\",\"2\"\n"},
	{"fast: quoted numbers and null tokens", "a,b\n\"1.5\",\"NA\"\n\"2\",x\n"},
	{"fast: numbers with words", "x,y\n1,a\nn/a,b\n?,c\n2,d\n"},
	{"fast: empty last field", "a,b\n1,\n2,"},
	{"fast: semicolons", "a;b\n1;2,5\n"},
	{"fast: times", "t,x\n2026-01-01T10:00:00Z,1\n2026-01-01 03:04:05,2\n2026-01-01,3\n"},
	{"fast: unicode", "name,city\nJosé,Zürich\n李,東京\n"},
	{"fast: header only", "a,b\n"},
	{"fast: underscores", "x,y\n1_000,1\n2,2\n"},
	{"slow: blank line", "a,b\n1,2\n\n3,4\n"},
	{"slow: crlf inside quotes", "a,b\n\"x\r\ny\",1\n"},
	{"slow: lone cr", "a,b\n1,2\r3,4\n"},
	{"slow: bare quote", "a,b\n1,x\"y\n"},
	{"slow: text after a closing quote", "a,b\n\"x\"y,1\n"},
	{"slow: unterminated quote", "a,b\n1,\"xy\n"},
	{"slow: ragged", "a,b,c\n1,2,3\n4,5\n"},
	{"slow: latin-1", "name,city\nJos\xe9,Paris\n"},
	{"slow: infinity", "x,y\n1,a\ninf,b\n"},
	{"slow: hexadecimal", "x,y\n1,a\n0x1p-2,b\n"},
	{"slow: one column blank line", "x\n1\n\n2\n"},
}

// The fast tokenizer types a file exactly as encoding/csv does (kinds,
// counts, samples of words, rows), or hands it over; every parity and fuzz
// seed, and the near misses above, agree.
func TestFastScanAgreesWithTheExactScan(t *testing.T) {
	cases := append([]struct{ name, text string }{}, fastCSVs...)
	cases = append(cases, parityCSVs...)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			exact, exactErr := scanCSVExact(strings.NewReader(tc.text), "d.csv", 0, nil)
			fast, err := scanCSVFast(bytes.NewReader([]byte(tc.text)), "d.csv", 0, nil)
			switch {
			case strings.HasPrefix(tc.name, "fast: "):
				require.NoError(t, err, "the fast tokenizer reads it")
			case strings.HasPrefix(tc.name, "slow: "):
				require.ErrorIs(t, err, errSlowPath, "handed to encoding/csv")
			}
			if errors.Is(err, errSlowPath) {
				return
			}
			if exactErr != nil {
				// Only header errors are the fast path's own: the same code.
				require.Error(t, err)
				assert.Equal(t, exactErr.Error(), err.Error())
				return
			}
			require.NoError(t, err)
			assert.True(t, fast.fast)
			forgetFast(fast)
			assert.Equal(t, exact, fast)
		})
	}
}

// Every cell the fast pass reads, typed by DuckDB's own DOUBLE reader,
// comes out as frame.ReadCSV reads it, through the table and the view.
func TestLoadFastPathMatchesFrameReadCSV(t *testing.T) {
	e := openTest(t)
	ctx := context.Background()
	dir := t.TempDir()
	for i, tc := range fastCSVs {
		if strings.Contains(tc.name, "semicolons") || strings.Contains(tc.name, "hexadecimal") {
			// frame.ReadCSV reads commas only, and reads hexadecimal,
			// which Load refuses on purpose.
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, "data.csv")
			require.NoError(t, os.WriteFile(p, []byte(tc.text), 0o600))
			want, wantErr := frame.ReadCSV(strings.NewReader(tc.text), frame.ReadOptions{Source: "data.csv"})
			for _, lazy := range []bool{false, true} {
				tab, err := e.Load(ctx, p, LoadOptions{Source: "data.csv", Table: "fast" + string(rune('a'+i)), Lazy: lazy})
				if wantErr != nil {
					require.Error(t, err)
					assert.Equal(t, wantErr.Error(), err.Error())
					continue
				}
				require.NoError(t, err)
				got, err := e.Frame(ctx, tab)
				require.NoError(t, err)
				assert.EqualValues(t, want.NumRows(), tab.Rows)
				assertSameFrame(t, want, got)
				for i, c := range want.Columns() {
					assert.Equal(t, frame.NotNumbers(c), tab.Columns[i].NotNumbers, "column %s", c.Name)
				}
				require.NoError(t, e.Drop(ctx, tab))
			}
		})
	}
}

// A lazy load of a plain file is a view: nothing is copied, and the view
// reads the same rows; a file only encoding/csv reads alike is copied.
func TestLazyLoadIsAViewOfAPlainFile(t *testing.T) {
	e := openTest(t)
	ctx := context.Background()
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain.csv")
	require.NoError(t, os.WriteFile(plain, []byte("id,x\n1,2.5\n2,NA\n"), 0o600))
	tab, err := e.Load(ctx, plain, LoadOptions{Lazy: true})
	require.NoError(t, err)
	assert.True(t, tab.IsView())
	var n, nulls int64
	require.NoError(t, e.DB().QueryRowContext(ctx, "SELECT count(*), count(*) FILTER (WHERE x IS NULL) FROM "+tab.Name).Scan(&n, &nulls))
	assert.Equal(t, int64(2), n)
	assert.Equal(t, int64(1), nulls)
	require.NoError(t, e.Drop(ctx, tab))

	blank := filepath.Join(dir, "blank.csv")
	require.NoError(t, os.WriteFile(blank, []byte("id,x\n1,2.5\n\n2,NA\n"), 0o600))
	tab, err = e.Load(ctx, blank, LoadOptions{Lazy: true})
	require.NoError(t, err)
	assert.False(t, tab.IsView(), "blank lines: copied, after the exact reader")
	assert.Equal(t, int64(2), tab.Rows)
	require.NoError(t, e.Drop(ctx, tab))
}

// A time spelled in a way Go reads and DuckDB's reader may not (a comma
// before the fraction) is not viewed: the lazy load copies the file as a
// plain load does, with the same result.
func TestLazyLoadCopiesOddTimes(t *testing.T) {
	e := openTest(t)
	ctx := context.Background()
	dir := t.TempDir()
	for _, tc := range []struct {
		name, body string
		view       bool
	}{
		{"plain times", "id,t\n1,2026-01-01T10:00:00.5+02:00\n2,2026-01-02 03:04:05\n3,2026-01-03\n", true},
		{"comma fraction", "id,t\n1,\"2026-01-01 03:04:05,5\"\n", false},
		{"comma fraction, RFC 3339", "id,t\n1,2026-01-02T10:00:00Z\n2,\"2026-01-01T10:00:00,5Z\"\n", false},
		{"lower-case t is text", "id,t\n1,2026-01-01t10:00:00Z\n", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, "d.csv")
			require.NoError(t, os.WriteFile(p, []byte(tc.body), 0o600))
			want, wantErr := e.Load(ctx, p, LoadOptions{Source: "d.csv"})
			got, err := e.Load(ctx, p, LoadOptions{Source: "d.csv", Lazy: true})
			if wantErr != nil {
				require.Error(t, err)
				assert.Equal(t, wantErr.Error(), err.Error())
				assert.False(t, tc.view)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.view, got.IsView())
			wf, err := e.Frame(ctx, want)
			require.NoError(t, err)
			gf, err := e.Frame(ctx, got)
			require.NoError(t, err)
			assertSameFrame(t, wf, gf)
			require.NoError(t, e.Drop(ctx, want))
			require.NoError(t, e.Drop(ctx, got))
		})
	}
}

func TestPlainTime(t *testing.T) {
	for _, v := range []string{"2026-01-01", "2026-01-01T10:00:00Z", "2026-01-01 10:00:00", "2026-01-01T10:00:00.123456789-05:30", "0000-01-01"} {
		assert.True(t, plainTime(v), v)
	}
	for _, v := range []string{"2026-01-01 10:00:00,5", "2026-01-01t10:00:00Z", "2026-01-01T10:00:00z", "2026-01-01T10:00:00.1234567890Z", "2026-01-01T10:00:00.Z", "2026-01-01T10:00", "2026-1-01", "2026-01-01T10:00:00+0200"} {
		assert.False(t, plainTime(v), v)
	}
}

// Records longer than the tokenizer's buffer, and "" straddling its end,
// still read as encoding/csv reads them.
func TestFastScanAcrossBufferEnds(t *testing.T) {
	var b strings.Builder
	b.WriteString("id,note\n")
	long := strings.Repeat("x", 3<<20)
	for i := 0; i < 3; i++ {
		b.WriteString("1,\"" + long + "\"\"q\"\"\"\n")
	}
	for i := 0; i < 200000; i++ {
		b.WriteString("2,\"a \"\"b\"\"\"\n")
	}
	text := b.String()
	exact, err := scanCSVExact(strings.NewReader(text), "d.csv", 0, nil)
	require.NoError(t, err)
	fast, err := scanCSVFast(bytes.NewReader([]byte(text)), "d.csv", 0, nil)
	require.NoError(t, err)
	forgetFast(fast)
	assert.Equal(t, exact, fast)
}

// forgetFast clears what only the fast pass records.
func forgetFast(s *csvScan) {
	s.fast, s.plain = false, false
	for i := range s.cols {
		s.cols[i].oddTime = false
	}
}

// FuzzFastScan: on any bytes, the fast tokenizer types the file exactly as
// encoding/csv does, gives the same header error, or hands the file over.
func FuzzFastScan(f *testing.F) {
	for _, tc := range fastCSVs {
		f.Add([]byte(tc.text))
	}
	for _, tc := range parityCSVs {
		f.Add([]byte(tc.text))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		exact, exactErr := scanCSVExact(bytes.NewReader(data), "in.csv", ',', nil)
		// In one pass, and in two halves read at once wherever the data
		// can be split.
		for _, split := range []int64{splitAt, 1} {
			fast, err := withSplitAt(split, func() (*csvScan, error) { return scanCSVFast(bytes.NewReader(data), "in.csv", ',', nil) })
			if errors.Is(err, errSlowPath) {
				continue
			}
			if exactErr != nil {
				require.Error(t, err, "encoding/csv refuses it: %v", exactErr)
				require.Equal(t, exactErr.Error(), err.Error())
				continue
			}
			require.NoError(t, err)
			forgetFast(fast)
			require.Equal(t, exact, fast, "split at %d", split)
		}
	})
}

// withSplitAt runs f with scanHalves splitting data from size bytes.
func withSplitAt(size int64, f func() (*csvScan, error)) (*csvScan, error) {
	old := splitAt
	splitAt = size
	defer func() { splitAt = old }()
	return f()
}

// A large file's two halves are typed at once and merged to exactly what
// one pass gives; where the merge could not be exact (a quote, a sample
// of words the first half leaves room for) one pass reads the file.
func TestScanHalvesMergesExactlyOrGivesUp(t *testing.T) {
	rows := func(n int, row func(i int) string) string {
		var b strings.Builder
		b.WriteString("id,x,t,s\n")
		for i := range n {
			b.WriteString(row(i))
		}
		return b.String()
	}
	plain := func(i int) string {
		return fmt.Sprintf("%d,%d.5,2026-01-%02d,w%d\n", i, i%97, 1+i%28, i%5)
	}
	cases := []struct {
		name  string
		text  string
		split bool
	}{
		{"plain", rows(5000, plain), true},
		{"a number column turns to words in the second half", rows(5000, func(i int) string {
			if i > 4000 {
				return fmt.Sprintf("%d,n/a,2026-01-01,w\n", i)
			}
			return plain(i)
		}), false},
		{"words in both halves", rows(5000, func(i int) string {
			if i%100 == 0 {
				return fmt.Sprintf("%d,?,2026-01-01,w\n", i)
			}
			return plain(i)
		}), true},
		{"a time column with a number late", rows(5000, func(i int) string {
			if i == 4999 {
				return fmt.Sprintf("%d,1,7,w\n", i)
			}
			return plain(i)
		}), true},
		{"a quote in the second half", rows(5000, func(i int) string {
			if i == 4500 {
				return fmt.Sprintf("%d,1,2026-01-01,\"q, r\"\n", i)
			}
			return plain(i)
		}), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			exact, err := scanCSVExact(strings.NewReader(tc.text), "d.csv", 0, nil)
			require.NoError(t, err)
			one, err := scanCSVFast(bytes.NewReader([]byte(tc.text)), "d.csv", 0, nil)
			require.NoError(t, err)
			var split bool
			halves, err := withSplitAt(1, func() (*csvScan, error) {
				r := bytes.NewReader([]byte(tc.text))
				h, _, err := scanHeader(r, "d.csv", 0, nil)
				require.NoError(t, err)
				s, ok, err := scanHalves(r, "d.csv", h)
				split = ok
				if !ok && err == nil {
					return scanCSVFast(bytes.NewReader([]byte(tc.text)), "d.csv", 0, nil)
				}
				return s, err
			})
			require.NoError(t, err)
			assert.Equal(t, tc.split, split, "read in two halves")
			assert.Equal(t, one, halves, "the same as one pass")
			forgetFast(halves)
			assert.Equal(t, exact, halves, "the same as encoding/csv")
		})
	}
}
