package inferlog

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// parsed is Inputs as plain values, to compare: each column's rows as
// "-" (absent), "null", "n:<float>", "s:<string>", "true", "false" or
// "nested", and its Seen count.
type parsed struct {
	Rows, Unreadable int64
	Columns          map[string][]string
	Seen             map[string]int64
}

func describe(in *Inputs) parsed {
	out := parsed{Rows: in.Rows, Unreadable: in.Unreadable, Columns: map[string][]string{}, Seen: map[string]int64{}}
	for _, c := range in.Columns {
		vals := make([]string, len(c.Tags))
		for i, t := range c.Tags {
			switch t {
			case Absent:
				vals[i] = "-"
			case Null:
				vals[i] = "null"
			case Number:
				vals[i] = "n:" + strconv.FormatFloat(c.Float(i), 'g', -1, 64)
			case String:
				vals[i] = "s:" + c.Str(i)
			case True:
				vals[i] = "true"
			case False:
				vals[i] = "false"
			case Nested:
				vals[i] = "nested"
			}
		}
		out.Columns[c.Name] = vals
		out.Seen[c.Name] = c.Seen
	}
	return out
}

// parseAll parses requests as the log reader does.
func parseAll(t testing.TB, reqs ...request) *Inputs {
	t.Helper()
	rows := 0
	for _, r := range reqs {
		rows += r.rows
	}
	i := 0
	in, err := parseRequests(context.Background(), rows, func() (request, bool, error) {
		if i == len(reqs) {
			return request{}, false, nil
		}
		i++
		return reqs[i-1], true, nil
	})
	require.NoError(t, err)
	return in
}

func TestReadInputsGoldenRows(t *testing.T) {
	in := parseAll(t,
		// Numbers: exponents, negatives, zero, beyond float64 (Inf).
		request{`[{"n": 1.5e3, "m": -0.25, "z": 0, "big": 1E400, "neg": -2e-3}]`, 1},
		// Strings: escapes, unicode (escaped and raw), a lone surrogate,
		// an escaped key; white space everywhere.
		request{" [ {\"s\" : \"a\\\"b\\\\c\\/d\\n\\t\\u00e9\\ud83d\\ude00\" , \"u\":\"héllo ☃\", \"bad\": \"x\\ud800y\", \"k\\u0065y\": true} ] ", 1},
		// Null, false, nested object and array (wrong type), duplicate key
		// (the last wins, the row counts once), a key missing here.
		request{`[{"s": null, "u": false, "obj": {"a": [1, {"b": "}"}]}, "arr": [], "n": 1, "n": 2}]`, 1},
		// Two rows; the second lacks most keys.
		request{`[{"n": 3, "s": "x"}, {"m": 4}]`, 2},
		// Not objects: each such element is an unreadable row.
		request{`[1, "row", null, [1], {"n": 5}]`, 5},
		// Malformed: every row of the request is unreadable, and the key
		// only it held does not exist.
		request{`[{"n": 6, "onlyhere": 1}, {"n": ]`, 2},
		// The writer's null for rows it could not align.
		request{`null`, 2},
		// Fewer elements than rows: the rest are unreadable; more: ignored.
		request{`[{"n": 7}]`, 2},
		request{`[{"n": 8}, {"n": 9}, {"n": 10}]`, 1},
		// Trailing garbage makes the request malformed.
		request{`[{"n": 11}] x`, 1},
	)
	// Rows: 1 1 1 2 5 2 2 2 1 1 = 18.
	want := parsed{Rows: 18, Unreadable: 4 + 2 + 2 + 1 + 1,
		Columns: map[string][]string{
			"n":   {"n:1500", "-", "n:2", "n:3", "-", "-", "-", "-", "-", "n:5", "-", "-", "-", "-", "n:7", "-", "n:8", "-"},
			"m":   {"n:-0.25", "-", "-", "-", "n:4", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-"},
			"z":   {"n:0", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-"},
			"big": {"n:+Inf", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-"},
			"neg": {"n:-0.002", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-"},
			"s":   {"-", "s:a\"b\\c/d\n\té😀", "null", "s:x", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-"},
			"u":   {"-", "s:héllo ☃", "false", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-"},
			"bad": {"-", "s:x\uFFFDy", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-"},
			"key": {"-", "true", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-"},
			"obj": {"-", "-", "nested", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-"},
			"arr": {"-", "-", "nested", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-"},
		},
		Seen: map[string]int64{"n": 6, "m": 2, "z": 1, "big": 1, "neg": 1, "s": 3, "u": 2, "bad": 1, "key": 1, "obj": 1, "arr": 1},
	}
	assert.Equal(t, want, describe(in))
	require.NotNil(t, in.Column("s"))
	assert.Nil(t, in.Column("onlyhere"))
	s, ok := in.Column("u").Text(2)
	assert.True(t, ok)
	assert.Equal(t, "false", s)
}

func TestReadInputsRowsAsTheTableHoldsThem(t *testing.T) {
	in := ParseRows([]string{`{"a": 1, "A": "x"}`, `not json`, ``, `{"a": 2e-7, "a": 1e21}`, `[]`}, []bool{true, true, false, true, true})
	assert.Equal(t, parsed{Rows: 5, Unreadable: 3,
		// Keys differing in case are different features.
		Columns: map[string][]string{"a": {"n:1", "-", "-", "n:1e+21", "-"}, "A": {"s:x", "-", "-", "-", "-"}},
		Seen:    map[string]int64{"a": 2, "A": 1},
	}, describe(in))
	// A number read by a string column is written as encoding/json would.
	for v, want := range map[float64]string{1e21: "1e+21", 2e-7: "2e-7", 1500: "1500", -0.25: "-0.25", 12345678: "12345678"} {
		assert.Equal(t, want, FormatNumber(v))
	}
}

func TestReadInputsInPartsMatchesOnePart(t *testing.T) {
	// Requests past parseBatchBytes go to several workers: the columns
	// must still come out whole and in order, strings included.
	var reqs []request
	pad := strings.Repeat("p", 4000)
	for i := range 3000 {
		row := fmt.Sprintf(`{"i": %d, "s": "v%d", "pad": "%s"}`, i, i%7, pad)
		if i%500 == 0 {
			row = fmt.Sprintf(`{"i": %d, "late%d": true}`, i, i)
		}
		reqs = append(reqs, request{"[" + row + "]", 1})
	}
	in := parseAll(t, reqs...)
	require.Equal(t, int64(3000), in.Rows)
	i, s := in.Column("i"), in.Column("s")
	for r := range 3000 {
		require.Equal(t, float64(r), i.Float(r))
		if r%500 != 0 {
			require.Equal(t, fmt.Sprintf("v%d", r%7), s.Str(r), r)
		} else {
			require.Equal(t, Absent, s.Tags[r])
			require.Equal(t, True, in.Column(fmt.Sprintf("late%d", r)).Tags[r])
		}
	}
}

// referenceInputs parses a request as encoding/json does, the decoder
// the gateway reads rows with, rendered as describe renders Inputs.
func referenceInputs(inputs string, n int) parsed {
	out := parsed{Rows: int64(n), Columns: map[string][]string{}, Seen: map[string]int64{}}
	var elems []json.RawMessage
	if err := json.Unmarshal([]byte(inputs), &elems); err != nil {
		elems = nil
	}
	rows := make([]map[string]string, n)
	for i := range n {
		if i >= len(elems) {
			out.Unreadable++
			continue
		}
		d := json.NewDecoder(bytes.NewReader(elems[i]))
		d.UseNumber()
		var v any
		if err := d.Decode(&v); err != nil {
			panic(err) // Unmarshal checked it
		}
		obj, ok := v.(map[string]any)
		if !ok {
			out.Unreadable++
			continue
		}
		rows[i] = map[string]string{}
		for k, x := range obj {
			var s string
			switch x := x.(type) {
			case nil:
				s = "null"
			case bool:
				s = strconv.FormatBool(x)
			case string:
				s = "s:" + x
			case json.Number:
				f, err := strconv.ParseFloat(string(x), 64)
				if ne := (*strconv.NumError)(nil); err != nil && !(errors.As(err, &ne) && ne.Err == strconv.ErrRange) {
					panic(err)
				}
				s = "n:" + strconv.FormatFloat(f, 'g', -1, 64)
			default:
				s = "nested"
			}
			rows[i][k] = s
			out.Seen[k]++
		}
	}
	for k := range out.Seen {
		col := make([]string, n)
		for i, r := range rows {
			if v, ok := r[k]; ok {
				col[i] = v
			} else {
				col[i] = "-"
			}
		}
		out.Columns[k] = col
	}
	return out
}

// FuzzMfaInputs checks the scanner against encoding/json on any request
// text: the same rows, keys, types and values, and never a panic.
func FuzzMfaInputs(f *testing.F) {
	for _, s := range []string{
		`[{"a": 1, "b": "x", "c": null, "d": true}]`,
		`[{"a": -1.5e-3, "a": 2}, {"b": [1, {"c": "]"}]}, 3]`,
		`[{"k\u00e9y": "\ud83d\ude00\ud800", "s": "a\"\\\/\b\f\n\r\t"}]`,
		`null`, `[]`, `[{}]`, `[{"a": 1e400}]`, `[{"a": 01}]`, `[{"a": 1.}]`, `[{"a": "\x01"}]`,
		`[{"a": 1},]`, `[{"a" 1}]`, "[{\"a\": \"\xff\"}]", `[{"a": tru}]`, ` [ { "a" : { } } ] `,
	} {
		f.Add(s, uint8(2))
	}
	f.Fuzz(func(t *testing.T, inputs string, rows uint8) {
		if strings.Count(inputs, "[")+strings.Count(inputs, "{") > 500 {
			t.Skip("deeper than the scanner's nesting bound")
		}
		n := int(rows % 8)
		got := describe(parseAll(t, request{inputs, n}))
		want := referenceInputs(inputs, n)
		// A key the reference decoder saw only in rows that are not
		// recorded is not a column; neither side has it.
		if !slices.Equal(keys(got.Seen), keys(want.Seen)) || got.Rows != want.Rows || got.Unreadable != want.Unreadable {
			t.Fatalf("%q (%d rows):\n got %+v\nwant %+v", inputs, n, got, want)
		}
		for k, col := range want.Columns {
			if !slices.Equal(got.Columns[k], col) || got.Seen[k] != want.Seen[k] {
				t.Fatalf("%q (%d rows), key %q:\n got %q (seen %d)\nwant %q (seen %d)", inputs, n, k, got.Columns[k], got.Seen[k], col, want.Seen[k])
			}
		}
		for _, c := range got.Columns {
			for _, v := range c {
				if !strings.HasPrefix(v, "s:") {
					continue
				}
				if s := v[2:]; !isValidUTF8(s) {
					t.Fatalf("%q: invalid UTF-8 string %q", inputs, s)
				}
			}
		}
	})
}

func keys(m map[string]int64) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func isValidUTF8(s string) bool { return strings.ToValidUTF8(s, "") == s }
