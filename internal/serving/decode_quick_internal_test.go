package serving

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/inferlog"
)

// quickSeeds are bodies at the edges of what the quick path takes.
var quickSeeds = []string{
	`{"instances": [{"tenure": 1, "plan": "basic"}, {"tenure": 2.5e3, "plan": "premium"}]}`,
	`{"rows": [{"a": -0, "b": 0.5, "c": 1E+2, "d": -1e-7, "e": true, "f": false, "g": null}], "strict": false}`,
	`{"strict": true, "instances": [{"a": 1}]}`,
	"\n\t{ \"instances\" :\r\n [ {\"a\" : 1 } ,\n\t{ } , {\"a\":2,\"a\":3} ] } trailing",
	`{"instances": [{"a": "caf\u00e9", "b": "tab\there", "c": "\ud83d\ude00", "d": "\ud800"}]}`,
	`{"instances": [{"naïve": "café", "x": "` + "\xff\xfe" + `"}]}`,
	`{"instances": [{"a": "` + "\x01" + `"}]}`,
	`{"instances": [{"a": "\q"}]}`,
	`{"instances": [{"a": 1e400}]}`,
	`{"instances": [{"a": 01}]}`,
	`{"instances": [{"a": 1.}]}`,
	`{"instances": [{"a": -}]}`,
	`{"instances": [{"a": .5}]}`,
	`{"instances": [{"a": 1e}]}`,
	`{"instances": [{"a": tru}]}`,
	`{"instances": [{"a": [1]}, {"b": {"c": 1}}]}`,
	`{"instances": [{"a": 1},]}`,
	`{"instances": [{"a": 1}], }`,
	`{"instances": [{"a": 1}] "strict": false}`,
	`{"instances": [{"a": 1}], "rows": [{"a": 1}]}`,
	`{"instances": [null]}`,
	`{"instances": null}`,
	`{"instances": []}`,
	`{"instances": [{"a": 1}], "strict": "no"}`,
	`{"instances": [{"a": 1}], "extra": 1}`,
	`{"inst\u0061nces": [{"a": 1}]}`,
	`{"instances": [{"a\"b": 1, "a\\b": 2, "a/b": 3}]}`,
	`{"instances": [{"a": 1}]`,
	`{"instances": [{"a": 1`,
	`{}`,
	`[]`,
	`{"instances": [{"a": 1}, {"a": 2}, {"a": 3}]}`,
	"\xef\xbb\xbf" + `{"instances": [{"a": 1}]}`,
	``,
}

// quickAndStream decodes body both ways; the quick path may decline, but
// what it decodes must be exactly what the streaming decoder makes of it.
func quickAndStream(t *testing.T, body []byte, maxRows int) (quickOK bool) {
	t.Helper()
	g := &Gateway{opts: Options{MaxRowsPerRequest: maxRows}.withDefaults(), ilog: &inferlog.Writer{}}
	qHold := rowHold{b: newRowBudget(1 << 20)}
	got, ok := quickPredict(body, &qHold, maxRows, true)
	if !ok {
		return false
	}
	sHold := rowHold{b: newRowBudget(1 << 20)}
	want, aerr := g.decodeStream(bytes.NewReader(body), &sHold)
	if aerr != nil {
		t.Fatalf("body %q: the quick path decoded it, the streaming decoder refused it: %s", body, aerr.body.Error)
	}
	if !assert.Equal(t, want.rows, got.rows, "body %q: rows", body) ||
		!assert.Equal(t, string(want.raw), string(got.raw), "body %q: the rows' bytes kept for the log", body) ||
		!assert.Equal(t, want.strict, got.strict, "body %q: strict", body) {
		t.FailNow()
	}
	_, ok = quickPredict(body, &qHold, maxRows, false)
	assert.True(t, ok)
	return true
}

func TestQuickDecodeMatchesStream(t *testing.T) {
	took := 0
	for _, s := range quickSeeds {
		if quickAndStream(t, []byte(s), 100) {
			took++
		}
	}
	assert.GreaterOrEqual(t, took, 5, "the quick path takes the plain bodies")
	for _, plain := range quickSeeds[:5] {
		assert.True(t, quickAndStream(t, []byte(plain), 100), "the quick path takes %q", plain)
	}
	for _, refused := range []string{`{"instances": [{"a": 1e400}]}`, `{"instances": [null]}`, `{"instances": []}`, `{}`, `{"instances": [{"a": [1]}]}`} {
		assert.False(t, quickAndStream(t, []byte(refused), 100), "the streaming decoder answers %q", refused)
	}
}

func TestQuickDecodeLeavesLimitsToTheStream(t *testing.T) {
	body := []byte(`{"instances": [{"a": 1}, {"a": 2}, {"a": 3}]}`)
	hold := rowHold{b: newRowBudget(100)}
	_, ok := quickPredict(body, &hold, 2, false)
	assert.False(t, ok, "three rows over a limit of two")
	small := rowHold{b: newRowBudget(2)}
	_, ok = quickPredict(body, &small, 100, false)
	assert.False(t, ok, "three rows over a budget of two")
}

func TestReadPrefixReplaysTheWholeBody(t *testing.T) {
	big := `{"instances": [` + strings.Repeat(`{"a": 1},`, quickBodyBytes/9) + `{"a": 1}]}`
	p := readPrefix(strings.NewReader(big))
	require.False(t, p.complete, "a body over quickBodyBytes is not read whole")
	r := strings.NewReader(big)
	p = readPrefix(r)
	var replayed bytes.Buffer
	_, err := replayed.ReadFrom(p.replay(r))
	require.NoError(t, err)
	assert.Equal(t, big, replayed.String())
	p.free()
}

func FuzzQuickDecodeMatchesStream(f *testing.F) {
	for _, s := range quickSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		quickAndStream(t, body, 3)
	})
}

// BenchmarkDecodePredict is a 32-row body of the serving bench's shape,
// decoded by the quick path and by the streaming decoder.
func BenchmarkDecodePredict(b *testing.B) {
	var body bytes.Buffer
	body.WriteString(`{"instances": [`)
	for i := range 32 {
		if i > 0 {
			body.WriteString(", ")
		}
		fmt.Fprintf(&body, `{"customer_id": "C-%05d", "age": %d, "tenure_months": %d, "monthly_charges": %.2f, "plan": %q, "contract": "month-to-month", "payment_method": %q, "support_calls": %d, "paperless": %t, "region": "north", "signup": "2026-01-%02d", "discount": null}`,
			10234+i, 20+i, i%24, 20+1.37*float64(i), []string{"basic", "standard", "premium"}[i%3], []string{"card", "bank"}[i%2], i%5, i%2 == 0, 1+i%28)
	}
	body.WriteString(`]}`)
	g := &Gateway{opts: Options{}.withDefaults(), ilog: &inferlog.Writer{}}
	b.Run("quick", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			hold := rowHold{b: newRowBudget(1 << 20)}
			if _, ok := g.decodeQuick(body.Bytes(), &hold); !ok {
				b.Fatal("declined")
			}
		}
	})
	b.Run("stream", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			hold := rowHold{b: newRowBudget(1 << 20)}
			if _, err := g.decodeStream(bytes.NewReader(body.Bytes()), &hold); err != nil {
				b.Fatal(err)
			}
		}
	})
}
