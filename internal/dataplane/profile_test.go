package dataplane

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/profile"
)

// TestProfileMatchesNumpy compares the engine's profile with the one numpy
// and pandas compute (testdata/profile/gen.py writes both the data and the
// golden numbers).
func TestProfileMatchesNumpy(t *testing.T) {
	e := openTest(t)
	ctx := context.Background()
	tab, err := e.Load(ctx, "testdata/profile/data.csv", LoadOptions{})
	require.NoError(t, err)
	got, err := e.Profile(ctx, tab)
	require.NoError(t, err)

	b, err := os.ReadFile("testdata/profile/golden.json")
	require.NoError(t, err)
	var want profile.Profile
	require.NoError(t, json.Unmarshal(b, &want))

	assert.Equal(t, profile.Version, got.Version)
	assert.Equal(t, want.Rows, got.Rows)
	require.Len(t, got.Columns, len(want.Columns))
	for i, w := range want.Columns {
		g := got.Columns[i]
		t.Run(w.Name, func(t *testing.T) {
			assert.Equal(t, w.Name, g.Name)
			assert.Equal(t, w.Kind, g.Kind)
			assert.Equal(t, w.Count, g.Count, "count")
			assert.Equal(t, w.Nulls, g.Nulls, "nulls")
			assert.InDelta(t, w.NullRate, g.NullRate, 1e-15, "null rate")
			assert.Equal(t, w.Distinct, g.Distinct, "distinct")
			for _, f := range []struct {
				what       string
				want, have *float64
			}{{"min", w.Min, g.Min}, {"max", w.Max, g.Max}, {"mean", w.Mean, g.Mean}, {"std", w.Std, g.Std}} {
				if f.want == nil {
					assert.Nil(t, f.have, f.what)
					continue
				}
				require.NotNil(t, f.have, f.what)
				assertClose(t, *f.want, *f.have, f.what)
			}
			require.Len(t, g.Quantiles, len(w.Quantiles), "quantiles")
			for j := range w.Quantiles {
				assertClose(t, w.Quantiles[j], g.Quantiles[j], "quantile %d", j)
			}
			require.Len(t, g.Edges, len(w.Edges), "edges")
			for j := range w.Edges {
				assertClose(t, w.Edges[j], g.Edges[j], "edge %d", j)
			}
			assert.Equal(t, w.Counts, g.Counts, "bin counts")
			assert.Equal(t, w.Categories, g.Categories, "top categories")
			assert.Equal(t, w.OtherCount, g.OtherCount, "other count")
		})
	}
}

func assertClose(t *testing.T, want, got float64, msg string, args ...any) {
	t.Helper()
	tol := 1e-10 * math.Max(1, math.Abs(want))
	assert.InDelta(t, want, got, tol, append([]any{msg}, args...)...)
}

// Values near float64's limit profile without overflowing the engine.
func TestProfileOfHugeValues(t *testing.T) {
	e := openTest(t)
	ctx := context.Background()
	p := t.TempDir() + "/huge.csv"
	require.NoError(t, os.WriteFile(p, []byte("x\n1e300\n-1e300\n1.7e308\n-1.7e308\n0\n"), 0o600))
	tab, err := e.Load(ctx, p, LoadOptions{})
	require.NoError(t, err)
	got, err := e.Profile(ctx, tab)
	require.NoError(t, err)
	x := got.Columns[0]
	assert.Equal(t, -1.7e308, *x.Min)
	assert.Equal(t, 1.7e308, *x.Max)
	assert.Equal(t, 0.0, *x.Mean)
	require.NotNil(t, x.Std)
	assert.InEpsilon(t, 1.7e308*math.Sqrt(0.5), *x.Std, 1e-9, "sample std, where a plain sum of squares overflows")
	assert.Equal(t, 0.0, x.Quantiles[50])
	assert.Equal(t, 1.7e308, x.Quantiles[100])
	_, err = json.Marshal(got)
	assert.NoError(t, err)
}
