package expect

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/frame"
)

func testFrame(t *testing.T) *frame.Frame {
	t.Helper()
	in := "id,age,status,seen\n" +
		"c1,30,active,2026-01-01T00:00:00Z\n" +
		"c2,,inactive,2026-01-02T00:00:00Z\n" +
		"c3,-5,active,\n" +
		"c3,200,paused,2025-12-01T00:00:00Z\n" +
		"c5,40,,2025-12-15T00:00:00Z\n"
	f, err := frame.ReadCSV(strings.NewReader(in), frame.ReadOptions{Source: "t.csv"})
	require.NoError(t, err)
	return f
}

var now = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)

func only(t *testing.T, f *frame.Frame, e Expectation) Result {
	t.Helper()
	rep := Run(f, []Expectation{e}, Checks{}, now)
	require.Len(t, rep.Results, 1)
	return rep.Results[0]
}

func TestNotNull(t *testing.T) {
	f := testFrame(t)
	r := only(t, f, Expectation{Type: ValuesNotNull, Column: "age"})
	assert.False(t, r.Success)
	assert.Equal(t, 5, r.ElementCount)
	assert.Equal(t, 1, r.UnexpectedCount)
	assert.InDelta(t, 20.0, r.UnexpectedPercent, 1e-9)
	assert.Equal(t, []string{"row 2"}, r.PartialUnexpected)

	r = only(t, f, Expectation{Type: ValuesNotNull, Column: "age", Mostly: fp(0.8)})
	assert.True(t, r.Success, "4 of 5 non-null meets mostly 0.8")
	r = only(t, f, Expectation{Type: ValuesNotNull, Column: "id"})
	assert.True(t, r.Success)
	assert.Equal(t, 0, r.UnexpectedCount)
}

func TestBetweenIgnoresNulls(t *testing.T) {
	f := testFrame(t)
	r := only(t, f, Expectation{Type: ValuesBetween, Column: "age", Min: fp(0), Max: fp(150)})
	assert.False(t, r.Success)
	assert.Equal(t, 5, r.ElementCount)
	assert.Equal(t, 2, r.UnexpectedCount, "-5 and 200; the null is not unexpected")
	assert.InDelta(t, 50.0, r.UnexpectedPercent, 1e-9, "2 of 4 non-null")
	assert.Equal(t, []string{"-5", "200"}, r.PartialUnexpected)

	r = only(t, f, Expectation{Type: ValuesBetween, Column: "age", Min: fp(0), Max: fp(150), Mostly: fp(0.5)})
	assert.True(t, r.Success, "2 of 4 good meets mostly 0.5")
	r = only(t, f, Expectation{Type: ValuesBetween, Column: "age", Min: fp(0), Max: fp(150), Mostly: fp(0.51)})
	assert.False(t, r.Success)

	r = only(t, f, Expectation{Type: ValuesBetween, Column: "age", Max: fp(200)})
	assert.True(t, r.Success, "open lower bound, inclusive upper bound")

	r = only(t, f, Expectation{Type: ValuesBetween, Column: "status", Min: fp(0)})
	assert.False(t, r.Success)
	assert.Equal(t, "column is string, between needs a float column", r.Observed)
}

func TestInSet(t *testing.T) {
	f := testFrame(t)
	r := only(t, f, Expectation{Type: ValuesInSet, Column: "status", ValueSet: []string{"active", "inactive"}})
	assert.False(t, r.Success)
	assert.Equal(t, 1, r.UnexpectedCount, "paused; the null status is not unexpected")
	assert.InDelta(t, 25.0, r.UnexpectedPercent, 1e-9)
	assert.Equal(t, []string{"paused"}, r.PartialUnexpected)

	r = only(t, f, Expectation{Type: ValuesInSet, Column: "status", ValueSet: []string{"active", "inactive"}, Mostly: fp(0.75)})
	assert.True(t, r.Success)

	r = only(t, f, Expectation{Type: ValuesInSet, Column: "age", ValueSet: []string{"30", "40.0", "-5"}})
	assert.Equal(t, 1, r.UnexpectedCount, "numeric match: 40.0 matches 40, only 200 is out")
	assert.Equal(t, []string{"200"}, r.PartialUnexpected)
}

func TestUniqueAndExist(t *testing.T) {
	f := testFrame(t)
	r := only(t, f, Expectation{Type: ValuesUnique, Column: "id"})
	assert.False(t, r.Success)
	assert.Equal(t, 2, r.UnexpectedCount, "both rows holding c3")
	assert.Equal(t, []string{"c3", "c3"}, r.PartialUnexpected)
	assert.True(t, only(t, f, Expectation{Type: ValuesUnique, Column: "age"}).Success)

	assert.True(t, only(t, f, Expectation{Type: ColumnToExist, Column: "status"}).Success)
	r = only(t, f, Expectation{Type: ColumnToExist, Column: "plan"})
	assert.False(t, r.Success)
	assert.Equal(t, "column not found (columns: id, age, status, seen)", r.Observed)

	// A value expectation on a missing column fails instead of panicking.
	r = only(t, f, Expectation{Type: ValuesBetween, Column: "plan", Min: fp(1)})
	assert.False(t, r.Success)
	assert.Contains(t, r.Observed, "column not found")
}

func TestRowCountAndMean(t *testing.T) {
	f := testFrame(t)
	r := only(t, f, Expectation{Type: TableRowCountBetween, Min: fp(100)})
	assert.False(t, r.Success)
	assert.Equal(t, "row count 5 outside [100, +inf]", r.Observed)
	assert.True(t, only(t, f, Expectation{Type: TableRowCountBetween, Min: fp(5), Max: fp(5)}).Success)

	// mean of 30, -5, 200, 40 = 66.25
	r = only(t, f, Expectation{Type: MeanBetween, Column: "age", Min: fp(60), Max: fp(70)})
	assert.True(t, r.Success)
	assert.Equal(t, "mean 66.25 within [60, 70]", r.Observed)
}

func TestSchemaCompletenessFreshness(t *testing.T) {
	f := testFrame(t)
	checks := Checks{
		Schema:       map[string]string{"age": "float", "status": "float", "plan": "string"},
		Completeness: &Completeness{MaxNullFraction: 0.1, Columns: map[string]float64{"status": 0.25}},
		Freshness:    &Freshness{Column: "seen", MaxAge: "72h"},
	}
	require.NoError(t, checks.Validate())
	rep := Run(f, nil, checks, now)

	byKey := map[string]Result{}
	for _, r := range rep.Results {
		byKey[r.Expectation+"/"+r.Column] = r
	}
	assert.True(t, byKey["schema/age"].Success)
	assert.Equal(t, "expected float, got string", byKey["schema/status"].Observed)
	assert.False(t, byKey["schema/plan"].Success)
	assert.Contains(t, byKey["schema/plan"].Observed, "expected string column, but it is missing")

	// 1 of 5 null = 0.2: fails the default 0.1, passes the 0.25 override.
	assert.False(t, byKey["completeness/age"].Success)
	assert.Equal(t, "null fraction 0.2 > 0.1", byKey["completeness/age"].Observed)
	assert.True(t, byKey["completeness/status"].Success)
	assert.True(t, byKey["completeness/id"].Success)

	// Newest is 2026-01-02, 3 days = 72h before now: exactly at the bound passes.
	assert.True(t, byKey["freshness/seen"].Success)
	assert.Equal(t, "newest 2026-01-02T00:00:00Z is 72h old <= 72h", byKey["freshness/seen"].Observed)
	stale := Run(f, nil, Checks{Freshness: &Freshness{Column: "seen", MaxAge: "48h"}}, now)
	assert.False(t, stale.Success)
	assert.Equal(t, "newest 2026-01-02T00:00:00Z is 72h old > 48h", stale.Results[0].Observed)

	assert.False(t, rep.Success)
	assert.Equal(t, 3+4+1, rep.Evaluated, "3 schema, 4 columns for completeness, 1 freshness")
	assert.Equal(t, 4, rep.Failed, "schema status, schema plan, completeness age, completeness seen")
}

func TestChecksValidate(t *testing.T) {
	err := Checks{
		Schema:       map[string]string{"a": "bool"},
		Completeness: &Completeness{MaxNullFraction: 2},
		Freshness:    &Freshness{Column: "t", MaxAge: "3 days"},
	}.Validate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), `schema.a: unknown column kind "bool"`)
	assert.Contains(t, err.Error(), "completeness.max_null_fraction must be in [0, 1], got 2")
	assert.Contains(t, err.Error(), `freshness.max_age "3 days" must be a positive Go duration`)
}

func TestSummary(t *testing.T) {
	f := testFrame(t)
	rep := Run(f, []Expectation{
		{Type: ValuesBetween, Column: "age", Min: fp(0), Max: fp(150)},
		{Type: ColumnToExist, Column: "id"},
		{Type: TableRowCountBetween, Min: fp(10)},
	}, Checks{}, now)
	assert.Equal(t, "data validation failed: 2 of 3 checks failed: "+
		"age: expect_column_values_to_be_between, 2 unexpected of 5 (50% of 4 non-null values outside [0, 150]; e.g. -5, 200); "+
		"table: expect_table_row_count_to_be_between (row count 5 outside [10, +inf]).", rep.Summary())

	ok := Run(f, []Expectation{{Type: ColumnToExist, Column: "id"}}, Checks{}, now)
	assert.True(t, ok.Success)
	assert.Equal(t, "data validation passed: all 1 checks succeeded.", ok.Summary())
}
