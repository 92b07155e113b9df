package drift

import (
	"encoding/json"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"math"
	"os"
	"testing"
	"unicode/utf8"
)

// golden is testdata/golden.json, written by testdata/golden.py with numpy
// and scipy.
type golden struct {
	Numeric []struct {
		Name      string    `json:"name"`
		RefValues []float64 `json:"reference_values"`
		Current   []float64 `json:"current"`
		Profile   struct {
			Count     int64     `json:"count"`
			Std       float64   `json:"std"`
			Quantiles []float64 `json:"quantiles"`
			Edges     []float64 `json:"edges"`
			Counts    []int64   `json:"counts"`
		} `json:"profile"`
		CurrentCounts   []int64 `json:"current_counts"`
		KS              float64 `json:"ks"`
		PValue          float64 `json:"p_value"`
		Wasserstein     float64 `json:"wasserstein"`
		WassersteinNorm float64 `json:"wasserstein_norm"`
		PSI             float64 `json:"psi"`
	} `json:"numeric"`
	Categorical []struct {
		Name             string   `json:"name"`
		RefValues        []string `json:"reference_values"`
		Current          []string `json:"current"`
		Labels           []string `json:"labels"`
		RefCounts        []int64  `json:"reference_counts"`
		CurCounts        []int64  `json:"current_counts"`
		ChiSquare        float64  `json:"chi_square"`
		PValue           float64  `json:"p_value"`
		DF               int      `json:"df"`
		JensenShannon    float64  `json:"jensen_shannon"`
		MaxShareChange   float64  `json:"max_share_change"`
		MaxShareCategory string   `json:"max_share_category"`
	} `json:"categorical"`
	Kolmogorov []struct {
		X  float64 `json:"x"`
		SF float64 `json:"sf"`
	} `json:"kolmogorov"`
}

func loadGolden(t *testing.T) golden {
	t.Helper()
	b, err := os.ReadFile("testdata/golden.json")
	require.NoError(t, err)
	var g golden
	require.NoError(t, json.Unmarshal(b, &g))
	require.NotEmpty(t, g.Numeric)
	require.NotEmpty(t, g.Categorical)
	return g
}

// closeRel asserts |got−want| ≤ abs + rel·|want|.
func closeRel(t *testing.T, want, got, abs, rel float64, what string) {
	t.Helper()
	assert.LessOrEqual(t, math.Abs(got-want), abs+rel*math.Abs(want), "%s: got %v, scipy %v", what, got, want)
}

func TestNumericMatchesScipy(t *testing.T) {
	for _, c := range loadGolden(t).Numeric {
		t.Run(c.Name, func(t *testing.T) {
			ref := ProfileNumeric("x", c.RefValues, 0)
			// The profile is built as numpy builds it.
			require.Equal(t, c.Profile.Count, ref.Count)
			require.Len(t, ref.Quantiles, len(c.Profile.Quantiles))
			for i := range ref.Quantiles {
				closeRel(t, c.Profile.Quantiles[i], ref.Quantiles[i], 1e-12, 1e-12, "quantile")
			}
			require.Len(t, ref.Edges, len(c.Profile.Edges))
			for i := range ref.Edges {
				closeRel(t, c.Profile.Edges[i], ref.Edges[i], 1e-12, 1e-12, "edge")
			}
			assert.Equal(t, c.Profile.Counts, ref.Counts)
			closeRel(t, c.Profile.Std, *ref.Std, 0, 1e-12, "std")

			r := Numeric(&ref, c.Current, 0, DefaultConfig())
			require.Empty(t, r.Skipped)
			assert.Equal(t, c.CurrentCounts, r.Histogram.Current)
			// ks_2samp and wasserstein_distance ran against 200,000
			// evenly spaced points of the quantile function: exact to
			// about 1/200,000.
			closeRel(t, c.KS, r.Numeric.KS, 2e-5, 0, "KS D")
			closeRel(t, c.PValue, r.PValue, 1e-9, 2e-3, "KS p-value")
			closeRel(t, c.Wasserstein, r.Numeric.Wasserstein, 1e-6, 1e-4, "W1")
			closeRel(t, c.WassersteinNorm, r.Numeric.WassersteinNorm, 1e-6, 1e-4, "W1/std")
			closeRel(t, c.PSI, r.Numeric.PSI, 1e-12, 1e-9, "PSI")
		})
	}
}

func TestCategoricalMatchesScipy(t *testing.T) {
	for _, c := range loadGolden(t).Categorical {
		t.Run(c.Name, func(t *testing.T) {
			ref := ProfileCategorical("x", c.RefValues, 0)
			r := Categorical(&ref, c.Current, 0, DefaultConfig())
			require.Empty(t, r.Skipped)
			assert.Equal(t, c.Labels, r.Histogram.Labels)
			assert.Equal(t, c.RefCounts, r.Histogram.Reference)
			assert.Equal(t, c.CurCounts, r.Histogram.Current)
			closeRel(t, c.ChiSquare, r.Categorical.ChiSquare, 1e-9, 1e-9, "chi2")
			assert.Equal(t, c.DF, r.Categorical.DF)
			closeRel(t, c.PValue, r.PValue, 1e-300, 1e-6, "chi2 p-value")
			closeRel(t, c.JensenShannon, r.Categorical.JensenShannon, 1e-12, 1e-9, "JS distance")
			closeRel(t, c.MaxShareChange, r.Categorical.MaxShareChange, 1e-12, 0, "max share change")
			assert.Equal(t, c.MaxShareCategory, r.Categorical.MaxShareCategory)
		})
	}
}

func TestKolmogorovMatchesScipy(t *testing.T) {
	for _, c := range loadGolden(t).Kolmogorov {
		closeRel(t, c.SF, kolmogorovSF(c.X), 1e-15, 1e-9, "kstwobign.sf")
	}
}

// The verdict reads the numbers it reports, and a failing side is named.
func TestVerdictNeedsSignificanceAndEffect(t *testing.T) {
	g := loadGolden(t)
	cfg := DefaultConfig()
	byName := map[string]Result{}
	for _, c := range g.Numeric {
		ref := ProfileNumeric("x", c.RefValues, 0)
		byName[c.Name] = Numeric(&ref, c.Current, 0, cfg)
	}
	assert.False(t, byName["normal, no drift"].Drifted, byName["normal, no drift"].Reason)
	assert.True(t, byName["normal, 0.3 sigma shift"].Drifted, byName["normal, 0.3 sigma shift"].Reason)
	assert.True(t, byName["poisson atoms, shifted"].Drifted)
	// 40 values: W1/std is 0.35 but p = 0.0006 ... the test decides.
	small := byName["small window"]
	assert.Equal(t, small.PValue < cfg.Alpha, small.Drifted, small.Reason)
	assert.Contains(t, byName["normal, no drift"].Reason, "ks p = 0.635 ≥ 0.001")
}

func TestSkippedWithAReason(t *testing.T) {
	cfg := DefaultConfig()
	num := ProfileNumeric("age", []float64{1, 2, 3}, 0)
	str := ProfileCategorical("plan", []string{"a", "b"}, 0)

	r := Numeric(&num, []float64{math.NaN(), math.NaN()}, 3, cfg)
	assert.Equal(t, "no values in the window", r.Skipped)
	assert.Equal(t, int64(5), r.Nulls)
	assert.False(t, r.Drifted)

	r = Numeric(&str, []float64{1}, 0, cfg)
	assert.Contains(t, r.Skipped, `"plan" is a string column`)

	r = Categorical(&num, []string{"a"}, 0, cfg)
	assert.Contains(t, r.Skipped, `"age" is a float column`)

	r = Categorical(&str, nil, 2, cfg)
	assert.Equal(t, "no values in the window", r.Skipped)

	bad := num
	bad.Quantiles = bad.Quantiles[:10]
	r = Numeric(&bad, []float64{1}, 0, cfg)
	assert.Contains(t, r.Skipped, "has 10 quantiles; numeric drift needs 101")

	r = Numeric(nil, []float64{1}, 0, cfg)
	assert.Equal(t, "no reference column", r.Skipped)

	// ±Inf are counted apart and left out.
	r = Numeric(&num, []float64{1, math.Inf(1), 2, math.Inf(-1)}, 0, cfg)
	assert.Equal(t, int64(2), r.NonFinite)
	assert.Equal(t, int64(2), r.Count)
	_, err := json.Marshal(r)
	assert.NoError(t, err, "a result must encode as JSON: no NaN or Inf")
}

func TestUnseenValuesAreNamed(t *testing.T) {
	ref := ProfileCategorical("plan", []string{"basic", "basic", "premium"}, 0)
	r := Categorical(&ref, []string{"basic", "trial", "gold", "trial"}, 0, DefaultConfig())
	assert.Equal(t, int64(3), r.Categorical.Unseen)
	assert.Equal(t, []string{"gold", "trial"}, r.Categorical.UnseenValues)
	assert.Equal(t, []string{"basic", "premium", UnseenLabel}, r.Histogram.Labels)
}

func TestConstantReference(t *testing.T) {
	ref := ProfileNumeric("flag", []float64{1, 1, 1, 1}, 0)
	require.Equal(t, []float64{1}, ref.Edges)
	require.Equal(t, []int64{4}, ref.Counts)
	same := Numeric(&ref, []float64{1, 1, 1}, 0, DefaultConfig())
	assert.Zero(t, same.Numeric.Wasserstein)
	assert.Zero(t, same.Numeric.KS)
	moved := Numeric(&ref, []float64{3, 3, 3}, 0, DefaultConfig())
	assert.InDelta(t, 2, moved.Numeric.WassersteinNorm, 1e-12, "a constant reference is measured in the column's unit")
	assert.InDelta(t, 1, moved.Numeric.KS, 1e-12)
}

func TestDataset(t *testing.T) {
	cfg := DefaultConfig()
	rs := []Result{{Column: "a", Drifted: true}, {Column: "b"}, {Column: "c", Skipped: "no values in the window"}}
	d := Dataset(rs, cfg)
	assert.Equal(t, 2, d.Features)
	assert.Equal(t, 0.5, d.Share)
	assert.True(t, d.Drifted, "half the measured features drifted: Evidently's drift_share 0.5 is reached")
	assert.Equal(t, []string{"a"}, d.DriftedColumns)
	assert.Equal(t, []string{"c"}, d.SkippedColumns)
	cfg.DatasetShare = 0.6
	assert.False(t, Dataset(rs, cfg).Drifted)
	assert.False(t, Dataset(nil, DefaultConfig()).Drifted)
}

func TestConfigValidate(t *testing.T) {
	require.NoError(t, DefaultConfig().Validate())
	for _, c := range []struct {
		edit func(*Config)
		msg  string
	}{
		{func(c *Config) { c.Alpha = 0 }, "alpha is 0; it must be in (0, 0.5]"},
		{func(c *Config) { c.Alpha = math.NaN() }, "alpha is NaN"},
		{func(c *Config) { c.NumericFloor = -1 }, "numeric_floor is -1"},
		{func(c *Config) { c.CategoricalFloor = 2 }, "categorical_floor is 2; it must be in (0, 1]"},
		{func(c *Config) { c.PSIEpsilon = 0.5 }, "psi_epsilon is 0.5"},
		{func(c *Config) { c.DatasetShare = 0 }, "dataset_share is 0"},
		{func(c *Config) { c.PSIMajor = 0.05 }, "psi_major (0.05) must be above psi_moderate (0.1)"},
	} {
		cfg := DefaultConfig()
		c.edit(&cfg)
		err := cfg.Validate()
		if assert.Error(t, err) {
			assert.Contains(t, err.Error(), c.msg)
		}
	}
}

func TestSortFloatsMatchesSort(t *testing.T) {
	xs := make([]float64, 10000)
	for i := range xs {
		xs[i] = math.Sin(float64(i)*12.9898) * 1e3 * float64(i%7-3)
	}
	xs[5], xs[6] = math.Copysign(0, -1), 0
	want := append([]float64(nil), xs...)
	sortFloatsRef(want)
	sortFloats(xs)
	assert.Equal(t, want, xs)
}

func sortFloatsRef(xs []float64) {
	for i := 1; i < len(xs); i++ { // insertion sort is slow but plainly right
		for j := i; j > 0 && xs[j] < xs[j-1]; j-- {
			xs[j], xs[j-1] = xs[j-1], xs[j]
		}
	}
}

// A result crosses Temporal as JSON: it must encode, decode to itself, and
// carry valid UTF-8 even when the data's categories are not.
func TestResultRoundTripsAsValidUTF8JSON(t *testing.T) {
	g := loadGolden(t)
	ref := ProfileNumeric("x", g.Numeric[1].RefValues, 0)
	num := Numeric(&ref, g.Numeric[1].Current, 2, DefaultConfig())
	cref := ProfileCategorical("plan", []string{"basic", "pr\xffemium", "basic"}, 0)
	cat := Categorical(&cref, []string{"basic", "tr\xfeial", "pr\xffemium"}, 0, DefaultConfig())
	for _, r := range []Result{num, cat} {
		b, err := json.Marshal(r)
		require.NoError(t, err)
		assert.True(t, utf8.Valid(b))
		var back Result
		require.NoError(t, json.Unmarshal(b, &back))
		assert.Equal(t, r, back)
	}
	ds := Dataset([]Result{num, cat}, DefaultConfig())
	b, err := json.Marshal(ds)
	require.NoError(t, err)
	var back DatasetResult
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, ds, back)
	assert.Equal(t, []string{"basic", "pr\uFFFDemium", UnseenLabel}, cat.Histogram.Labels)
	assert.Equal(t, []string{"tr\uFFFDial"}, cat.Categorical.UnseenValues)
	assert.Equal(t, []int64{1, 1, 1}, cat.Histogram.Current, "the invalid bytes still match their own category")
}
