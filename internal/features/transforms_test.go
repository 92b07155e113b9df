package features

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const tiny = "id,x,amount,seen,plan,grade,y\n" +
	"1,-3,0,2026-03-02T10:00:00Z,a,low,0\n" +
	"2,1,1,2026-03-07T23:00:00Z,a,mid,1\n" +
	"3,2,3,,b,high,0\n" +
	"4,10,7,2026-12-31T00:00:00Z,a,low,1\n" +
	"5,,15,2026-01-01T05:00:00Z,c,mid,0\n"

func fitTiny(t *testing.T, cols ...ColumnSpec) (*Transform, []float64) {
	t.Helper()
	f := readCSV(t, tiny)
	tr, err := Fit(f, Spec{Target: "y", Columns: cols})
	require.NoError(t, err)
	X, _, err := tr.Apply(f)
	require.NoError(t, err)
	return tr, X
}

func TestLog1p(t *testing.T) {
	tr, X := fitTiny(t, ColumnSpec{Column: "amount", Scale: "none", Transforms: Transforms{Log1p: true}})
	assert.Equal(t, []float64{0, math.Log1p(1), math.Log1p(3), math.Log1p(7), math.Log1p(15)}, X)
	_, err := tr.ApplyRows([]map[string]any{{"amount": -1.5}})
	assert.EqualError(t, err, "features: rows[0].amount: log1p of -1.5 is not a number: log1p needs values above -1 (training values were ≥ 0); send a value ≥ 0, or add clip: {min: 0} to this column")
	got, err := tr.ApplyRows([]map[string]any{{"amount": -0.5}})
	require.NoError(t, err, "above -1 log1p is defined")
	assert.Equal(t, math.Log1p(-0.5), got[0])
}

func TestClip(t *testing.T) {
	_, X := fitTiny(t, ColumnSpec{Column: "x", Impute: "constant", Fill: "2", Scale: "none", Transforms: Transforms{Clip: &Clip{Min: f64(0), Max: f64(5)}}})
	assert.Equal(t, []float64{0, 1, 2, 5, 2}, X)
	// Quantiles of -3, 1, 2, 2, 10 (imputed; numpy's linear): 0.25 → 1, 0.75 → 2.
	tr, X := fitTiny(t, ColumnSpec{Column: "x", Impute: "constant", Fill: "2", Scale: "none", Transforms: Transforms{Clip: &Clip{LowerQuantile: f64(0.25), UpperQuantile: f64(0.75)}}})
	assert.Equal(t, 1.0, *tr.Columns[0].ClipMin)
	assert.Equal(t, 2.0, *tr.Columns[0].ClipMax)
	assert.Equal(t, []float64{1, 1, 2, 2, 2}, X)
}

func TestBucketize(t *testing.T) {
	tr, X := fitTiny(t, ColumnSpec{Column: "amount", Transforms: Transforms{Bucketize: &Bucketize{Boundaries: []float64{1, 7}}}})
	assert.Equal(t, []float64{0, 1, 1, 2, 2}, X, "bucket i is [b[i-1], b[i])")
	assert.Equal(t, None, tr.Columns[0].Scale, "a bucket index is not scaled")
	// Quartiles of 0, 1, 3, 7, 15: 1, 3, 7.
	tr, X = fitTiny(t, ColumnSpec{Column: "amount", Transforms: Transforms{Bucketize: &Bucketize{Buckets: 4}}})
	assert.Equal(t, []float64{1, 3, 7}, tr.Columns[0].Boundaries)
	assert.Equal(t, []float64{0, 1, 2, 3, 3}, X)
}

func TestOrdinal(t *testing.T) {
	spec := ColumnSpec{Column: "grade", Transforms: Transforms{Ordinal: &Ordinal{Order: []string{"low", "mid", "high"}}}}
	tr, X := fitTiny(t, spec)
	assert.Equal(t, []float64{0, 1, 2, 0, 1}, X)
	_, err := tr.ApplyRows([]map[string]any{{"grade": "top"}})
	assert.EqualError(t, err, `features: rows[0].grade: "top" is not in ordinal.order (low, mid, high); send one of them, or set ordinal.handle_unknown: use_encoded_value to encode it as -1`)

	spec.Ordinal.HandleUnknown = UnknownEncodedValue
	tr, _ = fitTiny(t, spec)
	got, err := tr.ApplyRows([]map[string]any{{"grade": "top"}, {"grade": nil}})
	require.NoError(t, err)
	assert.Equal(t, []float64{-1, -1}, got)
}

func TestDateParts(t *testing.T) {
	tr, X := fitTiny(t, ColumnSpec{Column: "seen", Impute: "most_frequent", Transforms: Transforms{DateParts: []string{"year", "month", "day", "dayofweek", "hour"}}})
	assert.Equal(t, []string{"seen_year", "seen_month", "seen_day", "seen_dayofweek", "seen_hour"}, tr.Outputs)
	// 2026-03-02 is a Monday (0), 2026-03-07 a Saturday (5).
	assert.Equal(t, []float64{2026, 3, 2, 0, 10}, X[0:5])
	assert.Equal(t, []float64{2026, 3, 7, 5, 23}, X[5:10])
	got, err := tr.ApplyRows([]map[string]any{{"seen": "2026-03-07T23:00:00-02:00"}})
	require.NoError(t, err)
	assert.Equal(t, []float64{2026, 3, 8, 6, 1}, got, "parts are taken in UTC")
}

func TestHashingIsStableFNV1a(t *testing.T) {
	tr, X := fitTiny(t, ColumnSpec{Column: "plan", Transforms: Transforms{Hashing: &Hashing{NFeatures: 4}}})
	assert.Equal(t, []string{"plan#0", "plan#1", "plan#2", "plan#3"}, tr.Outputs)
	// FNV-1a 64 of "a" is 0xaf63dc4c8601ec8c; mod 4 = 0. Of "b": 0xaf63df4c8601f1a5; mod 4 = 1.
	assert.Equal(t, []float64{1, 0, 0, 0}, X[0:4])
	assert.Equal(t, []float64{0, 1, 0, 0}, X[8:12])
	got, err := tr.ApplyRows([]map[string]any{{"plan": "never seen"}})
	require.NoError(t, err)
	assert.Equal(t, 1.0, got[0]+got[1]+got[2]+got[3], "an unseen value still hashes somewhere")
}

func TestRareCategoriesGoToOther(t *testing.T) {
	// a ×3, b ×1, c ×1: min_frequency 2 keeps a; b and c become other.
	tr, X := fitTiny(t, ColumnSpec{Column: "plan", Transforms: Transforms{MinFrequency: 2}})
	assert.Equal(t, []string{"plan=a", "plan=__other__"}, tr.Outputs)
	assert.Equal(t, []float64{1, 0, 1, 0, 0, 1, 1, 0, 0, 1}, X)
	got, err := tr.ApplyRows([]map[string]any{{"plan": "z"}, {"plan": nil}})
	require.NoError(t, err)
	assert.Equal(t, []float64{0, 1, 0, 0}, got, "unseen goes to other; a null left unimputed sets nothing")

	// A fraction of the rows: 0.3 × 5 = 1.5, so only a (3) is kept.
	tr, _ = fitTiny(t, ColumnSpec{Column: "plan", Transforms: Transforms{MinFrequency: 0.3}})
	assert.Equal(t, []string{"plan=a", "plan=__other__"}, tr.Outputs)

	// max_categories 2 counts other: a, then other.
	tr, _ = fitTiny(t, ColumnSpec{Column: "plan", Transforms: Transforms{MaxCategories: 2}})
	assert.Equal(t, []string{"plan=a", "plan=__other__"}, tr.Outputs)
	// Three categories fit in three outputs: no other, and unseen sets nothing.
	tr, _ = fitTiny(t, ColumnSpec{Column: "plan", Transforms: Transforms{MaxCategories: 3}})
	assert.Equal(t, []string{"plan=a", "plan=b", "plan=c"}, tr.Outputs)
	assert.False(t, tr.Columns[0].Other)
}

func TestKindBlocksSelectColumns(t *testing.T) {
	f := readCSV(t, tiny)
	spec := Spec{Target: "y", Exclude: []string{"id"},
		Numeric:     &KindSpec{Impute: "median", Scale: "standard"},
		Categorical: &KindSpec{Impute: "most_frequent"},
		Columns:     []ColumnSpec{{Column: "amount", Scale: "minmax"}}}
	tr, err := Fit(f, spec)
	require.NoError(t, err)
	assert.Equal(t, []string{"x", "amount", "plan=a", "plan=b", "plan=c", "grade=high", "grade=low", "grade=mid"}, tr.Outputs,
		"frame order; id excluded, seen (time) has no block, the target is never a feature")
	assert.Equal(t, ImputeMedian, tr.Columns[0].Impute)
	assert.Equal(t, ScaleMinMax, tr.Columns[1].Scale, "a listed column wins")
	assert.Equal(t, ImputeMean, tr.Columns[1].Impute, "a listed column takes its own options only")

	// The spec round-trips through JSON (the workflow input) unchanged.
	b, err := json.Marshal(spec)
	require.NoError(t, err)
	var back Spec
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, spec, back)
}

func TestBadInputNamesTheColumnAndTheFix(t *testing.T) {
	f := readCSV(t, tiny)
	cases := map[string]struct {
		spec Spec
		want string
	}{
		"unknown encode": {Spec{Target: "y", Columns: []ColumnSpec{{Column: "plan", Encode: "target"}}},
			`columns[1] (plan): encode "target" does not apply to a string column; use onehot, ordinal or hashing`},
		"unsorted boundaries": {Spec{Target: "y", Columns: []ColumnSpec{{Column: "x", Transforms: Transforms{Bucketize: &Bucketize{Boundaries: []float64{5, 1}}}}}},
			"columns[1] (x): bucketize: boundaries must be strictly increasing, but boundaries[1] = 1 follows 5; sort them and drop duplicates"},
		"hashing n_features 0": {Spec{Target: "y", Columns: []ColumnSpec{{Column: "plan", Transforms: Transforms{Hashing: &Hashing{}}}}},
			"columns[1] (plan): hashing: n_features 0 must be 1 to 1048576, e.g. 32"},
		"log1p on a string": {Spec{Target: "y", Columns: []ColumnSpec{{Column: "plan", Transforms: Transforms{Log1p: true}}}},
			"columns[1] (plan): log1p needs a numeric column, this one is string; remove it"},
		"unknown date part": {Spec{Target: "y", Columns: []ColumnSpec{{Column: "seen", Transforms: Transforms{DateParts: []string{"minute"}}}}},
			`columns[1] (seen): date_parts: unknown part "minute": use year, month, day, dayofweek, hour`},
		"scale with bucketize": {Spec{Target: "y", Columns: []ColumnSpec{{Column: "x", Scale: "standard", Transforms: Transforms{Bucketize: &Bucketize{Buckets: 3}}}}},
			"columns[1] (x): scale standard does not apply with bucketize, which gives whole numbers; remove scale"},
		"clip min above max": {Spec{Target: "y", Columns: []ColumnSpec{{Column: "x", Transforms: Transforms{Clip: &Clip{Min: f64(3), Max: f64(1)}}}}},
			"columns[1] (x): clip: min 3 is above max 1; swap them"},
		"min_frequency not whole": {Spec{Target: "y", Columns: []ColumnSpec{{Column: "plan", Transforms: Transforms{MinFrequency: 2.5}}}},
			"columns[1] (plan): min_frequency 2.5 must be a count (a whole number ≥ 1) or a fraction of the rows in (0, 1)"},
		"override of a missing column": {Spec{Target: "y", Numeric: &KindSpec{}, Columns: []ColumnSpec{{Column: "amout"}}},
			"columns[1] (amout): no such column (columns: id, x, amount, seen, plan, grade, y)"},
		"exclude of a missing column": {Spec{Target: "y", Numeric: &KindSpec{}, Exclude: []string{"ID"}},
			"exclude[1] (ID): no such column (columns: id, x, amount, seen, plan, grade, y)"},
		"bad block option, once": {Spec{Target: "y", Numeric: &KindSpec{Impute: "avg"}},
			`features: numeric: unknown impute "avg": use mean, median, most_frequent, constant or none`},
		"categorical block on numbers": {Spec{Target: "y", Categorical: &KindSpec{Transforms: Transforms{Clip: &Clip{Min: f64(0)}}}},
			"categorical: clip needs a numeric column, this one is string; remove it"},
	}
	for name, c := range cases {
		err := c.spec.Validate(f)
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), c.want, name)
	}
	err := Spec{Target: "y", Numeric: &KindSpec{Impute: "avg"}}.Validate(f)
	assert.Equal(t, 1, countOf(err.Error(), "avg"), "a block's problem is said once, not once per column")

	// Refused at fit: they depend on the training values.
	fitCases := map[string]struct {
		col  ColumnSpec
		want string
	}{
		"log1p of a negative": {ColumnSpec{Column: "x", Transforms: Transforms{Log1p: true}},
			`features: fit column "x": log1p needs values ≥ 0, but 1 training values are negative (the smallest is -3); add clip: {min: 0} to this column, or remove log1p`},
		"ordinal value not in order": {ColumnSpec{Column: "grade", Transforms: Transforms{Ordinal: &Ordinal{Order: []string{"low", "mid"}}}},
			`features: fit column "grade": ordinal: the training data has 1 values not in order (high); add them to ordinal.order where they rank`},
	}
	for name, c := range fitCases {
		_, err := Fit(f, Spec{Target: "y", Columns: []ColumnSpec{c.col}})
		assert.EqualError(t, err, c.want, name)
	}
}

func countOf(s, sub string) int {
	n := 0
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			n++
		}
	}
	return n
}

// A transform.json stored before version 2 loads and serves as it did.
func TestVersion1TransformStillServes(t *testing.T) {
	const stored = `{"version": 1, "target": "y", "target_kind": "float", "positive": "1", "labels": ["0", "1"],
  "columns": [
    {"column": "x", "kind": "float", "impute": "mean", "scale": "standard", "encode": "none", "fill_value": 2, "offset": 1, "divisor": 4, "outputs": ["x"]},
    {"column": "seen", "kind": "time", "impute": "mean", "scale": "none", "encode": "age_days", "fill_value": 3, "divisor": 1, "reference": "2026-03-10T00:00:00Z", "outputs": ["seen_age_days"]},
    {"column": "plan", "kind": "string", "impute": "none", "scale": "none", "encode": "onehot", "categories": ["a", "b"], "outputs": ["plan=a", "plan=b"]}],
  "outputs": ["x", "seen_age_days", "plan=a", "plan=b"]}`
	var tr Transform
	dec := json.NewDecoder(strings.NewReader(stored))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&tr))
	got, err := tr.ApplyRows([]map[string]any{
		{"x": 9.0, "seen": "2026-03-08T00:00:00Z", "plan": "b"},
		{"x": nil, "seen": nil, "plan": "zzz"},
	})
	require.NoError(t, err)
	assert.Equal(t, []float64{2, 2, 0, 1, 0.25, 3, 0, 0}, got, "unseen categories set nothing without an other bucket")
}

// What is wrong whatever the data holds is found from the spec alone, so a
// run can be refused before it starts.
func TestOptionProblemsNeedNoData(t *testing.T) {
	s := Spec{Target: "y",
		Numeric: &KindSpec{Impute: "avg"},
		Columns: []ColumnSpec{
			{Column: "age", Transforms: Transforms{Bucketize: &Bucketize{Boundaries: []float64{50, 30}}}},
			{Column: "plan", Transforms: Transforms{Hashing: &Hashing{NFeatures: 0}}},
			{Column: "grade", Encode: "target", Transforms: Transforms{Ordinal: &Ordinal{Order: []string{"a", "a"}}}},
			{Column: "x", Transforms: Transforms{Log1p: true}},
		}}
	assert.Equal(t, []string{
		`features.numeric: unknown impute "avg": use mean, median, most_frequent, constant or none`,
		"features.columns[0] (age): bucketize: boundaries must be strictly increasing, but boundaries[1] = 30 follows 50; sort them and drop duplicates",
		"features.columns[1] (plan): hashing: n_features 0 must be 1 to 1048576, e.g. 32",
		`features.columns[2] (grade): ordinal: "a" is listed twice in order`,
		`features.columns[2] (grade): unknown encode "target": use onehot, ordinal or hashing (strings), age_days or date_parts (times), none or bucketize (floats)`,
	}, s.OptionProblems())
	assert.Empty(t, Spec{Target: "y", Columns: []ColumnSpec{{Column: "x", Impute: "median", Scale: "minmax"}}}.OptionProblems())
}
