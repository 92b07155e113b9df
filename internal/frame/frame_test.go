package frame

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseKind(t *testing.T) {
	for in, want := range map[string]Kind{
		"float": Float, "number": Float, "int": Float, "integer": Float,
		"string": String, "str": String, "category": String,
		"time": Time, "timestamp": Time, "datetime": Time, " Float ": Float,
	} {
		got, err := ParseKind(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	_, err := ParseKind("bool")
	assert.ErrorContains(t, err, `"bool"`)
	assert.Equal(t, "float", Float.String())
	assert.Equal(t, "string", String.String())
	assert.Equal(t, "time", Time.String())
}

func TestReadCSVInfersKindsAndNulls(t *testing.T) {
	in := "id,age,joined,when,note\n" +
		"a,31,2024-01-02,2024-01-02T03:04:05Z,x\n" +
		"b,NA,,2024-01-02 10:00:00,\n" +
		"c,2.5,2024-03-04,null,NaN\n"
	f, err := ReadCSV(strings.NewReader(in), ReadOptions{Source: "t.csv"})
	require.NoError(t, err)
	require.Equal(t, 3, f.NumRows())
	assert.Equal(t, []string{"id", "age", "joined", "when", "note"}, f.Names())

	age, ok := f.Col("age")
	require.True(t, ok)
	assert.Equal(t, Float, age.Kind)
	assert.Equal(t, []float64{31, 0, 2.5}, age.Floats)
	assert.Equal(t, []bool{false, true, false}, age.Null)

	joined, _ := f.Col("joined")
	assert.Equal(t, Time, joined.Kind)
	assert.Equal(t, time.Date(2024, 3, 4, 0, 0, 0, 0, time.UTC), joined.Times[2])
	assert.True(t, joined.Null[1])

	when, _ := f.Col("when")
	assert.Equal(t, Time, when.Kind)
	assert.Equal(t, time.Date(2024, 1, 2, 10, 0, 0, 0, time.UTC), when.Times[1])

	id, _ := f.Col("id")
	assert.Equal(t, String, id.Kind)
	note, _ := f.Col("note")
	assert.Equal(t, String, note.Kind)
	assert.Equal(t, []bool{false, true, true}, note.Null)

	_, ok = f.Col("missing")
	assert.False(t, ok)
}

func TestReadCSVForcedTypes(t *testing.T) {
	in := "zip,score\n02134,1\n90210,2\n"
	f, err := ReadCSV(strings.NewReader(in), ReadOptions{Types: map[string]Kind{"zip": String}})
	require.NoError(t, err)
	zip, _ := f.Col("zip")
	assert.Equal(t, []string{"02134", "90210"}, zip.Strings, "forced string keeps leading zeros")

	_, err = ReadCSV(strings.NewReader("a,score\nx,1\ny,two\n"), ReadOptions{Source: "s.csv", Types: map[string]Kind{"score": Float}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `s.csv: row 2 (line 3), column "score": "two" is not a number`)

	_, err = ReadCSV(strings.NewReader("a\n1\n"), ReadOptions{Source: "s.csv", Types: map[string]Kind{"b": Float}})
	assert.ErrorContains(t, err, `types names column "b", which is not in the header`)
}

func TestReadCSVErrors(t *testing.T) {
	cases := map[string]struct{ in, want string }{
		"ragged": {
			in:   "a,b,c\n1,2,3\n4,5\n",
			want: "churn.csv: row 2 (line 3): has 2 fields, header has 3",
		},
		"ragged after quoted newline": {
			in:   "a,b\n\"x\ny\",1\n2,3,4\n",
			want: "churn.csv: row 2 (line 4): has 3 fields, header has 2",
		},
		"duplicate header": {
			in:   "a,b,a\n1,2,3\n",
			want: `churn.csv: header: column "a" appears twice (columns 1 and 3)`,
		},
		"empty header name": {
			in:   "a,,c\n1,2,3\n",
			want: "churn.csv: header: column 2 has no name",
		},
		"empty file": {
			in:   "",
			want: "churn.csv: empty file",
		},
		"bad quote": {
			in:   "a,b\n1,2\n3,\"x\"y\n",
			want: "churn.csv: row 2 (line 3)",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := ReadCSV(strings.NewReader(tc.in), ReadOptions{Source: "churn.csv"})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestWriteCSVRoundTrip(t *testing.T) {
	ts := []time.Time{
		time.Date(2025, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Date(2026, 1, 2, 3, 4, 5, 600_000_000, time.UTC),
		{},
	}
	f, err := New(
		&Column{Name: "x", Kind: Float, Floats: []float64{0.1, -3e-12, 0}, Null: []bool{false, false, true}},
		&Column{Name: "s", Kind: String, Strings: []string{"a,b", "say \"hi\"", ""}, Null: []bool{false, false, true}},
		&Column{Name: "code", Kind: String, Strings: []string{"007", "8", "9"}, Null: make([]bool, 3)},
		&Column{Name: "t", Kind: Time, Times: ts, Null: []bool{false, false, true}},
	)
	require.NoError(t, err)

	var buf bytes.Buffer
	require.NoError(t, f.WriteCSV(&buf))
	assert.Equal(t, "x,s,code,t\n"+
		"0.1,\"a,b\",007,2025-12-31T23:59:59Z\n"+
		"-3e-12,\"say \"\"hi\"\"\",8,2026-01-02T03:04:05.6Z\n"+
		",,9,\n", buf.String())

	back, err := ReadCSV(bytes.NewReader(buf.Bytes()), ReadOptions{Types: f.Kinds()})
	require.NoError(t, err)
	assert.Equal(t, f.Names(), back.Names())
	for _, c := range f.Columns() {
		bc, ok := back.Col(c.Name)
		require.True(t, ok)
		assert.Equal(t, c.Kind, bc.Kind, c.Name)
		assert.Equal(t, c.Null, bc.Null, c.Name)
		for i := range c.Null {
			assert.Equal(t, c.Format(i), bc.Format(i), "%s row %d", c.Name, i)
		}
		if c.Kind == Time {
			assert.True(t, c.Times[1].Equal(bc.Times[1]))
		}
	}
}

func TestTake(t *testing.T) {
	f, err := New(FloatColumn("x", []float64{10, 20, 30}), StringColumn("s", []string{"a", "b", "c"}))
	require.NoError(t, err)
	g := f.Take([]int{2, 0})
	assert.Equal(t, 2, g.NumRows())
	x, _ := g.Col("x")
	s, _ := g.Col("s")
	assert.Equal(t, []float64{30, 10}, x.Floats)
	assert.Equal(t, []string{"c", "a"}, s.Strings)
	x.Floats[0] = 99
	orig, _ := f.Col("x")
	assert.Equal(t, 30.0, orig.Floats[2], "Take copies, it does not alias")
}

func TestNewRejectsMismatchedColumns(t *testing.T) {
	_, err := New(FloatColumn("x", []float64{1, 2}), StringColumn("s", []string{"a"}))
	assert.ErrorContains(t, err, `column "s" has 1 rows, column "x" has 2`)
	_, err = New(FloatColumn("x", nil), FloatColumn("x", nil))
	assert.ErrorContains(t, err, `column "x" appears twice`)
}

// TestReadCSVLarge guards against accidentally quadratic parsing: 100k rows
// must read and keep their values (no timing assertion, see BenchmarkReadCSV).
func TestReadCSVLarge(t *testing.T) {
	data := bigCSV(100_000)
	f, err := ReadCSV(bytes.NewReader(data), ReadOptions{})
	require.NoError(t, err)
	assert.Equal(t, 100_000, f.NumRows())
	c, _ := f.Col("c3")
	assert.Equal(t, 99_999.0*3, c.Floats[99_999])
}

func BenchmarkReadCSV(b *testing.B) {
	data := bigCSV(100_000)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := ReadCSV(bytes.NewReader(data), ReadOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func bigCSV(rows int) []byte {
	var buf bytes.Buffer
	buf.WriteString("c0,c1,c2,c3,c4,c5,c6,c7,s8,t9\n")
	for r := 0; r < rows; r++ {
		for c := 0; c < 8; c++ {
			fmt.Fprintf(&buf, "%d,", r*c)
		}
		fmt.Fprintf(&buf, "cat%d,2025-01-%02dT10:00:00Z\n", r%7, r%28+1)
	}
	return buf.Bytes()
}
