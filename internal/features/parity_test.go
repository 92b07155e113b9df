package features

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/frame"
)

// parityData has every kind of column, nulls, negatives, rare categories
// and timestamps, over 200 rows.
func parityData(t *testing.T) *frame.Frame {
	t.Helper()
	var b strings.Builder
	b.WriteString("id,x,amount,seen,plan,city,grade,churned\n")
	plans := []string{"basic", "plus", "premium"}
	grades := []string{"low", "mid", "high"}
	for i := 0; i < 200; i++ {
		x := fmt.Sprint(math.Sin(float64(i))*1000/3 - 40)
		if i%17 == 0 {
			x = ""
		}
		amount := fmt.Sprint(float64(i*i%97) / 7)
		if i%23 == 0 {
			amount = ""
		}
		seen := fmt.Sprintf("2026-%02d-%02dT%02d:%02d:00Z", 1+i%12, 1+i%28, i%24, i%60)
		if i%19 == 0 {
			seen = ""
		}
		plan := plans[i%3]
		if i%29 == 0 {
			plan = ""
		}
		city := fmt.Sprintf("city%d", i%7)
		if i%50 == 0 {
			city = fmt.Sprintf("rare%d", i)
		}
		grade := grades[(i/3)%3]
		label := []string{"no", "yes"}[i%2]
		fmt.Fprintf(&b, "%d,%s,%s,%s,%s,%s,%s,%s\n", i, x, amount, seen, plan, city, grade, label)
	}
	return readCSV(t, b.String())
}

func f64(v float64) *float64 { return &v }

// parityCases has one spec per transform, each alone on a column, and a
// kind-selected spec that combines them.
func parityCases() map[string]Spec {
	base := func(cols ...ColumnSpec) Spec { return Spec{Target: "churned", Positive: "yes", Columns: cols} }
	return map[string]Spec{
		"impute mean, scale standard": base(ColumnSpec{Column: "x"}),
		"impute median, minmax":       base(ColumnSpec{Column: "x", Impute: "median", Scale: "minmax"}),
		"impute constant":             base(ColumnSpec{Column: "x", Impute: "constant", Fill: "-7.5"}),
		"age_days":                    base(ColumnSpec{Column: "seen"}),
		"onehot":                      base(ColumnSpec{Column: "plan"}, ColumnSpec{Column: "city", Impute: "most_frequent"}),
		"log1p":                       base(ColumnSpec{Column: "amount", Impute: "median", Transforms: Transforms{Log1p: true}}),
		"clip fixed":                  base(ColumnSpec{Column: "x", Transforms: Transforms{Clip: &Clip{Min: f64(-100), Max: f64(150)}}}),
		"clip quantiles":              base(ColumnSpec{Column: "x", Transforms: Transforms{Clip: &Clip{LowerQuantile: f64(0.05), UpperQuantile: f64(0.95)}}}),
		"clip then log1p":             base(ColumnSpec{Column: "x", Transforms: Transforms{Clip: &Clip{Min: f64(0)}, Log1p: true}}),
		"bucketize boundaries":        base(ColumnSpec{Column: "x", Transforms: Transforms{Bucketize: &Bucketize{Boundaries: []float64{-200, 0, 0.5, 200}}}}),
		"bucketize quantiles":         base(ColumnSpec{Column: "amount", Impute: "median", Transforms: Transforms{Bucketize: &Bucketize{Buckets: 4}}}),
		"ordinal":                     base(ColumnSpec{Column: "grade", Transforms: Transforms{Ordinal: &Ordinal{Order: []string{"low", "mid", "high"}}}}),
		"ordinal unknown -1":          base(ColumnSpec{Column: "plan", Transforms: Transforms{Ordinal: &Ordinal{Order: []string{"basic", "plus", "premium"}, HandleUnknown: UnknownEncodedValue}}}),
		"date_parts":                  base(ColumnSpec{Column: "seen", Impute: "median", Transforms: Transforms{DateParts: []string{"year", "month", "day", "dayofweek", "hour"}}}),
		"hashing":                     base(ColumnSpec{Column: "city", Transforms: Transforms{Hashing: &Hashing{NFeatures: 8}}}),
		"min_frequency":               base(ColumnSpec{Column: "city", Transforms: Transforms{MinFrequency: 5}}),
		"max_categories":              base(ColumnSpec{Column: "city", Impute: "most_frequent", Transforms: Transforms{MaxCategories: 4}}),
		"kind blocks": {Target: "churned", Positive: "yes", Exclude: []string{"id"},
			Numeric:     &KindSpec{Impute: "median", Scale: "standard"},
			Categorical: &KindSpec{Impute: "most_frequent", Encode: "onehot", Transforms: Transforms{MinFrequency: 0.02}},
			Time:        &KindSpec{Transforms: Transforms{DateParts: []string{"month", "dayofweek"}}},
			Columns: []ColumnSpec{{Column: "amount", Transforms: Transforms{Log1p: true, Bucketize: &Bucketize{Buckets: 3}}},
				{Column: "grade", Transforms: Transforms{Ordinal: &Ordinal{Order: []string{"low", "mid", "high"}}}}}},
	}
}

// gatewayRows renders f's rows as a client's JSON body and decodes them the
// way the gateway does (json.Number), so ApplyRows sees what it serves.
func gatewayRows(t *testing.T, f *frame.Frame) []map[string]any {
	t.Helper()
	var body strings.Builder
	body.WriteString("[")
	for r := 0; r < f.NumRows(); r++ {
		if r > 0 {
			body.WriteString(",")
		}
		body.WriteString("{")
		for j, name := range f.Names() {
			c, _ := f.Col(name)
			if j > 0 {
				body.WriteString(",")
			}
			v := "null"
			if !c.Null[r] {
				if c.Kind == frame.Float {
					v = c.Format(r)
				} else {
					q, err := json.Marshal(c.Format(r))
					require.NoError(t, err)
					v = string(q)
				}
			}
			fmt.Fprintf(&body, "%q:%s", name, v)
		}
		body.WriteString("}")
	}
	body.WriteString("]")
	dec := json.NewDecoder(strings.NewReader(body.String()))
	dec.UseNumber()
	var rows []map[string]any
	require.NoError(t, dec.Decode(&rows))
	return rows
}

// The training matrix and the gateway's vectors are bit for bit the same
// for every transform, after the transform has been stored and loaded.
func TestTrainingAndServingVectorsAreBitIdentical(t *testing.T) {
	f := parityData(t)
	rows := gatewayRows(t, f)
	for name, spec := range parityCases() {
		t.Run(name, func(t *testing.T) {
			fitted, err := Fit(f, spec)
			require.NoError(t, err)
			X, y, err := fitted.Apply(f)
			require.NoError(t, err)
			require.Len(t, y, f.NumRows())

			stored, err := json.Marshal(fitted)
			require.NoError(t, err)
			var served Transform
			dec := json.NewDecoder(bytes.NewReader(stored))
			dec.DisallowUnknownFields()
			require.NoError(t, dec.Decode(&served))
			got, err := served.ApplyRows(rows)
			require.NoError(t, err)

			require.Len(t, got, len(X))
			w := fitted.NumOutputs()
			for k := range X {
				if math.Float64bits(X[k]) != math.Float64bits(got[k]) {
					t.Fatalf("row %d, output %s: training %v, serving %v", k/w+1, fitted.Outputs[k%w], X[k], got[k])
				}
			}
			distinct := map[float64]bool{}
			for _, v := range X {
				distinct[v] = true
			}
			assert.Greater(t, len(distinct), 1, "the matrix is not constant")
		})
	}
}

// Without kind blocks and new steps a transform stays version 1, bit for
// bit the JSON it always was, so older gateways serve it; a new step makes
// it version 2.
func TestTransformVersion(t *testing.T) {
	f := parityData(t)
	for name, spec := range parityCases() {
		tr, err := Fit(f, spec)
		require.NoError(t, err, name)
		want := TransformVersion
		if strings.HasPrefix(name, "impute") || name == "age_days" || name == "onehot" {
			want = TransformVersionBasic
		}
		assert.Equal(t, want, tr.Version, name)
	}
}
