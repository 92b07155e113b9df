package features

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/frame"
)

func readCSV(t *testing.T, s string) *frame.Frame {
	t.Helper()
	f, err := frame.ReadCSV(strings.NewReader(s), frame.ReadOptions{Source: "t.csv"})
	require.NoError(t, err)
	return f
}

const small = "age,plan,seen,churned\n" +
	"1,basic,2026-01-10T00:00:00Z,yes\n" +
	"2,premium,2026-01-08T00:00:00Z,no\n" +
	",basic,2026-01-09T12:00:00Z,no\n" +
	"5,,,yes\n"

func TestSpecValidate(t *testing.T) {
	f := readCSV(t, small)
	err := Spec{
		Target: "label",
		Columns: []ColumnSpec{
			{Column: "agee"},
			{Column: "plan", Impute: "mean"},
			{Column: "age", Encode: "onehot"},
			{Column: "plan"},
			{Column: "seen", Scale: "log"},
		},
	}.Validate(f)
	require.Error(t, err)
	msg := err.Error()
	assert.Contains(t, msg, `target "label" is not a column (columns: age, plan, seen, churned)`)
	assert.Contains(t, msg, "columns[1] (agee): no such column")
	assert.Contains(t, msg, "columns[2] (plan): impute mean needs a numeric column, this one is string")
	assert.Contains(t, msg, `columns[3] (age): encode "onehot" does not apply to a float column`)
	assert.Contains(t, msg, "columns[4] (plan): listed twice")
	assert.Contains(t, msg, `columns[5] (seen): unknown scale "log"`)

	err = Spec{Target: "churned", Columns: []ColumnSpec{{Column: "age"}}}.Validate(f)
	assert.ErrorContains(t, err, `positive is required: name the "churned" value that is class 1 (one of no, yes)`)
	err = Spec{Target: "churned", Positive: "Yes", Columns: []ColumnSpec{{Column: "age"}}}.Validate(f)
	assert.ErrorContains(t, err, `positive "Yes" is not a value of target "churned" (values: no, yes)`)
	err = Spec{Target: "churned", Positive: "yes", Columns: []ColumnSpec{{Column: "churned"}}}.Validate(f)
	assert.ErrorContains(t, err, "is the target; a model must not see its own label")
	assert.NoError(t, Spec{Target: "churned", Positive: "yes", Columns: []ColumnSpec{{Column: "age"}}}.Validate(f))
}

func TestFitHandComputed(t *testing.T) {
	f := readCSV(t, small)
	spec := Spec{Target: "churned", Positive: "yes", Columns: []ColumnSpec{
		{Column: "age"}, // mean impute, standard scale
		{Column: "plan", Impute: "most_frequent"},
		{Column: "seen", Scale: "none"},
	}}
	tr, err := Fit(f, spec)
	require.NoError(t, err)
	assert.Equal(t, []string{"age", "plan=basic", "plan=premium", "seen_age_days"}, tr.OutputNames())
	assert.Equal(t, [2]string{"no", "yes"}, tr.Labels)

	// age: [1, 2, null, 5], mean 8/3 fills the null; the imputed column has
	// mean 8/3 and variance (25/9 + 4/9 + 0 + 49/9) / 4 = 78/36.
	age := tr.Columns[0]
	assert.InDelta(t, 8.0/3, age.FillValue, 1e-12)
	assert.InDelta(t, 8.0/3, age.Offset, 1e-12)
	sd := math.Sqrt(78.0 / 36)
	assert.InDelta(t, sd, age.Divisor, 1e-12)
	// plan: basic twice, premium once; the null becomes basic.
	assert.Equal(t, "basic", tr.Columns[1].FillCategory)
	// seen: newest is 2026-01-10; ages 0, 2, 0.5 days, null imputed with their mean 2.5/3.
	seen := tr.Columns[2]
	assert.Equal(t, time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC), seen.Reference)
	assert.InDelta(t, 2.5/3, seen.FillValue, 1e-12)

	X, y, err := tr.Apply(f)
	require.NoError(t, err)
	assert.Equal(t, []float64{1, 0, 0, 1}, y)
	want := []float64{
		(1 - 8.0/3) / sd, 1, 0, 0,
		(2 - 8.0/3) / sd, 0, 1, 2,
		0, 1, 0, 0.5,
		(5 - 8.0/3) / sd, 1, 0, 2.5 / 3,
	}
	assert.InDeltaSlice(t, want, X, 1e-12)
}

func TestFitMedianMinMaxConstant(t *testing.T) {
	f := readCSV(t, small)
	tr, err := Fit(f, Spec{Target: "churned", Positive: "yes", Columns: []ColumnSpec{
		{Column: "age", Impute: "median", Scale: "minmax"},
		{Column: "plan", Impute: "constant", Fill: "unknown"},
	}})
	require.NoError(t, err)
	// median of [1, 2, 5] is 2; imputed [1, 2, 2, 5] spans 1..5.
	assert.Equal(t, 2.0, tr.Columns[0].FillValue)
	assert.Equal(t, 1.0, tr.Columns[0].Offset)
	assert.Equal(t, 4.0, tr.Columns[0].Divisor)
	// The constant fill is its own category because training had a null.
	assert.Equal(t, []string{"plan=basic", "plan=premium", "plan=unknown"}, tr.Columns[1].Outputs)

	X, _, err := tr.Apply(f)
	require.NoError(t, err)
	assert.Equal(t, []float64{0, 1, 0, 0, 0.25, 0, 1, 0, 0.25, 1, 0, 0, 1, 0, 0, 1}, X)
}

func TestOneHotUnseenAndNullCategory(t *testing.T) {
	train := readCSV(t, "plan,y\nbasic,a\npremium,b\nbasic,b\n")
	tr, err := Fit(train, Spec{Target: "y", Positive: "b", Columns: []ColumnSpec{{Column: "plan"}}})
	require.NoError(t, err)
	assert.Equal(t, []string{"plan=basic", "plan=premium"}, tr.OutputNames())

	test := readCSV(t, "plan,y\nenterprise,a\n,b\npremium,a\n")
	X, y, err := tr.Apply(test)
	require.NoError(t, err)
	assert.Equal(t, []float64{0, 0, 0, 0, 0, 1}, X, "unseen and null (impute none) are all zeros")
	assert.Equal(t, []float64{0, 1, 0}, y)
}

func TestFitUsesTrainingRowsOnly(t *testing.T) {
	// 40 rows; after the split every test row is set to 1e6. If any test
	// value reached Fit the mean could not be the train mean of 10.
	var b strings.Builder
	b.WriteString("x,y\n")
	for i := 0; i < 40; i++ {
		fmt.Fprintf(&b, "%d,%s\n", i, map[bool]string{true: "p", false: "n"}[i%4 == 0])
	}
	f := readCSV(t, b.String())
	spec := Spec{Target: "y", Positive: "p", Columns: []ColumnSpec{{Column: "x"}}}
	train, test, err := Split(f, spec)
	require.NoError(t, err)
	x, _ := f.Col("x")
	for _, r := range train {
		x.Floats[r] = 10
	}
	for _, r := range test {
		x.Floats[r] = 1e6
	}
	tr, err := Fit(f.Take(train), spec)
	require.NoError(t, err)
	assert.Equal(t, 10.0, tr.Columns[0].Offset)
	assert.Equal(t, 1.0, tr.Columns[0].Divisor, "zero spread is stored as 1")

	X, _, err := tr.Apply(f.Take(test))
	require.NoError(t, err)
	assert.Equal(t, 1e6-10, X[0], "test rows are scaled with train statistics")
}

func TestSplitStratifiedAndDeterministic(t *testing.T) {
	var b strings.Builder
	b.WriteString("x,y\n")
	for i := 0; i < 103; i++ { // 31 yes, 72 no
		fmt.Fprintf(&b, "%d,%s\n", i, map[bool]string{true: "yes", false: "no"}[i < 31])
	}
	f := readCSV(t, b.String())
	spec := Spec{Target: "y", Positive: "yes", Columns: []ColumnSpec{{Column: "x"}}, Split: SplitSpec{TestSize: 0.25, Seed: 7}}
	train, test, err := Split(f, spec)
	require.NoError(t, err)

	countYes := func(rows []int) int {
		n := 0
		for _, r := range rows {
			if r < 31 {
				n++
			}
		}
		return n
	}
	// round(0.25*31) = 8 yes, round(0.25*72) = 18 no in test.
	assert.Equal(t, 8, countYes(test))
	assert.Len(t, test, 26)
	assert.Equal(t, 23, countYes(train))
	assert.Len(t, train, 77)
	seen := map[int]bool{}
	for _, r := range append(append([]int{}, train...), test...) {
		assert.False(t, seen[r], "row %d in both parts", r)
		seen[r] = true
	}
	assert.Len(t, seen, 103)

	train2, test2, err := Split(f, spec)
	require.NoError(t, err)
	assert.Equal(t, train, train2)
	assert.Equal(t, test, test2)
	spec.Split.Seed = 8
	_, test3, err := Split(f, spec)
	require.NoError(t, err)
	assert.NotEqual(t, test, test3, "another seed gives another split")

	no := false
	spec.Split.Stratify = &no
	_, test4, err := Split(f, spec)
	require.NoError(t, err)
	assert.Len(t, test4, 26, "round(0.25*103)")
}

func TestSplitNeedsTwoRowsPerClass(t *testing.T) {
	f := readCSV(t, "x,y\n1,a\n2,a\n3,b\n")
	_, _, err := Split(f, Spec{Target: "y", Positive: "b", Columns: []ColumnSpec{{Column: "x"}}})
	assert.ErrorContains(t, err, `class "b" of target "y" has 1 row; each class needs at least 2`)
}

func TestApplyRowsMatchesApply(t *testing.T) {
	f := readCSV(t, small)
	tr, err := Fit(f, Spec{Target: "churned", Positive: "yes", Columns: []ColumnSpec{
		{Column: "age"}, {Column: "plan", Impute: "most_frequent"}, {Column: "seen"},
	}})
	require.NoError(t, err)
	X, _, err := tr.Apply(f)
	require.NoError(t, err)

	var rows []map[string]any
	dec := json.NewDecoder(strings.NewReader(`[
		{"age": 1, "plan": "basic", "seen": "2026-01-10T00:00:00Z", "churned": "yes"},
		{"age": "2", "plan": "premium", "seen": "2026-01-08"},
		{"age": null, "plan": "basic", "seen": "2026-01-09 12:00:00"},
		{"age": 5.0, "plan": null}
	]`))
	dec.UseNumber()
	require.NoError(t, dec.Decode(&rows))
	got, err := tr.ApplyRows(rows)
	require.NoError(t, err)
	assert.InDeltaSlice(t, X, got, 1e-12)

	_, err = tr.ApplyRows([]map[string]any{{"age": 1.0}, {"age": "old"}})
	assert.EqualError(t, err, `features: rows[1].age: "old" is not a number`)
	_, err = tr.ApplyRows([]map[string]any{{"plan": []any{"x"}}})
	assert.ErrorContains(t, err, "rows[0].plan: [x] ([]interface {}) is not a string")
}

func TestTransformJSONRoundTrip(t *testing.T) {
	f := readCSV(t, small)
	tr, err := Fit(f, Spec{Target: "churned", Positive: "yes", Columns: []ColumnSpec{
		{Column: "age"}, {Column: "plan"}, {Column: "seen"},
	}})
	require.NoError(t, err)
	b, err := json.Marshal(tr)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"kind":"float"`)
	var back Transform
	require.NoError(t, json.Unmarshal(b, &back))
	X1, y1, err := tr.Apply(f)
	require.NoError(t, err)
	X2, y2, err := back.Apply(f)
	require.NoError(t, err)
	assert.Equal(t, X1, X2)
	assert.Equal(t, y1, y2)
	assert.Equal(t, map[string]frame.Kind{"age": frame.Float, "plan": frame.String, "seen": frame.Time, "churned": frame.String}, back.InputKinds())
}

func TestApplyErrors(t *testing.T) {
	f := readCSV(t, small)
	tr, err := Fit(f, Spec{Target: "churned", Positive: "yes", Columns: []ColumnSpec{
		{Column: "age", Impute: "none"}, {Column: "plan"},
	}})
	require.NoError(t, err)

	_, _, err = tr.Apply(f)
	assert.EqualError(t, err, `features: apply: row 3, column "age": value is null and impute is none; set impute (mean, median, most_frequent or constant) for this column`)

	_, _, err = tr.Apply(readCSV(t, "plan\nbasic\n"))
	assert.ErrorContains(t, err, `column "age" is missing from the data (the transform needs age, plan)`)

	_, _, err = tr.Apply(readCSV(t, "age,plan\n1,2\n"))
	assert.ErrorContains(t, err, `column "plan" is float in this data but was string when fitted`)

	_, _, err = tr.Apply(readCSV(t, "age,plan,churned\n1,basic,maybe\n"))
	assert.ErrorContains(t, err, `row 1: target "churned" is "maybe", which is neither "yes" nor "no"`)

	// Serving data has no target: y is nil. An all-null column is accepted
	// whatever kind the reader gave it.
	X, y, err := tr.Apply(readCSV(t, "age,plan\n3,\n"))
	require.NoError(t, err)
	assert.Nil(t, y)
	assert.Len(t, X, 3)
}

func TestNumericTargetDefaultsPositiveToOne(t *testing.T) {
	f := readCSV(t, "x,y\n1,0\n2,1\n3,1\n")
	tr, err := Fit(f, Spec{Target: "y", Columns: []ColumnSpec{{Column: "x", Scale: "none"}}})
	require.NoError(t, err)
	_, y, err := tr.Apply(f)
	require.NoError(t, err)
	assert.Equal(t, []float64{0, 1, 1}, y)
}

func BenchmarkApply(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("a,b,c,d,plan,status,y\n")
	for i := 0; i < 100_000; i++ {
		fmt.Fprintf(&sb, "%d,%d,%d,%d,p%d,s%d,%d\n", i, i%7, i%13, i%17, i%3, i%2, i%2)
	}
	f, err := frame.ReadCSV(strings.NewReader(sb.String()), frame.ReadOptions{})
	if err != nil {
		b.Fatal(err)
	}
	tr, err := Fit(f, Spec{Target: "y", Columns: []ColumnSpec{
		{Column: "a"}, {Column: "b"}, {Column: "c"}, {Column: "d", Scale: "minmax"}, {Column: "plan"}, {Column: "status"},
	}})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, _, err := tr.Apply(f); err != nil {
			b.Fatal(err)
		}
	}
}
