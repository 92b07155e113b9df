package expect

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/frame"
	"github.com/mlpipe/mlpipe/internal/profile"
)

const fixtureCSV = "id,age,status,seen,spend,budget,code\n" +
	"c1,30,active,2026-01-01T00:00:00Z,10,5,AB-1\n" +
	"c2,,inactive,2026-01-02T00:00:00Z,20,25,AB-2\n" +
	"c3,-5,active,,30,10,XY-3\n" +
	"c3,200,paused,2025-12-01T00:00:00Z,,1,AB-4\n" +
	"c5,40,,2025-12-15T00:00:00Z,50,60,zz\n"

var now = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)

// fixture loads a CSV, read by mlpipe's rules, into a fresh engine.
func fixture(t *testing.T, csv string) Data {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	f, err := frame.ReadCSV(strings.NewReader(csv), frame.ReadOptions{Source: "t.csv"})
	require.NoError(t, err)
	require.NoError(t, LoadFrame(context.Background(), db, "t", f))
	return Data{DB: db, Relation: `"t"`, Name: "t.csv"}
}

func run(t *testing.T, d Data, exps []Expectation, checks Checks, env Env) Report {
	t.Helper()
	if env.Now.IsZero() {
		env.Now = now
	}
	rep, err := Evaluate(context.Background(), d, exps, checks, env)
	require.NoError(t, err)
	return rep
}

func only(t *testing.T, d Data, e Expectation) Result {
	t.Helper()
	rep := run(t, d, []Expectation{e}, Checks{}, Env{})
	require.Len(t, rep.Results, 1)
	return rep.Results[0]
}

func bp(v bool) *bool { return &v }

// Every expectation, each with a passing and a failing case, mostly where
// it applies, how it treats nulls, and a row_condition.
func TestEveryExpectation(t *testing.T) {
	d := fixture(t, fixtureCSV)
	type tc struct {
		name       string
		e          Expectation
		success    bool
		unexpected int64 // -1: not a per-row expectation
		observed   any   // nil: not checked
		sample     []any // nil: not checked
	}
	all := []string{"id", "age", "status", "seen", "spend", "budget", "code"}
	cases := []tc{
		{"not_null pass", Expectation{Type: ValuesNotNull, Column: "id"}, true, 0, nil, nil},
		{"not_null fail", Expectation{Type: ValuesNotNull, Column: "age"}, false, 1, nil, nil},
		{"not_null mostly", Expectation{Type: ValuesNotNull, Column: "age", Mostly: fp(0.8)}, true, 1, nil, nil},
		{"not_null row_condition", Expectation{Type: ValuesNotNull, Column: "age", RowCondition: "status = 'active'"}, true, 0, nil, nil},

		{"between pass", Expectation{Type: ValuesBetween, Column: "age", Min: fp(-10), Max: fp(300)}, true, 0, nil, nil},
		{"between fail, null not unexpected", Expectation{Type: ValuesBetween, Column: "age", Min: fp(0), Max: fp(150)}, false, 2, nil, []any{-5.0, 200.0}},
		{"between mostly", Expectation{Type: ValuesBetween, Column: "age", Min: fp(0), Max: fp(150), Mostly: fp(0.5)}, true, 2, nil, nil},
		{"between mostly too high", Expectation{Type: ValuesBetween, Column: "age", Min: fp(0), Max: fp(150), Mostly: fp(0.51)}, false, 2, nil, nil},
		{"between strict", Expectation{Type: ValuesBetween, Column: "age", Min: fp(-5), StrictMin: true}, false, 1, nil, []any{-5.0}},
		{"between row_condition", Expectation{Type: ValuesBetween, Column: "age", Min: fp(0), RowCondition: "status = 'active'"}, false, 1, nil, []any{-5.0}},

		{"in_set pass", Expectation{Type: ValuesInSet, Column: "status", ValueSet: []string{"active", "inactive", "paused"}}, true, 0, nil, nil},
		{"in_set fail, null not unexpected", Expectation{Type: ValuesInSet, Column: "status", ValueSet: []string{"active", "inactive"}}, false, 1, nil, []any{"paused"}},
		{"in_set mostly", Expectation{Type: ValuesInSet, Column: "status", ValueSet: []string{"active", "inactive"}, Mostly: fp(0.75)}, true, 1, nil, nil},
		{"in_set numeric", Expectation{Type: ValuesInSet, Column: "age", ValueSet: []string{"30", "40.0", "-5"}}, false, 1, nil, []any{200.0}},
		{"in_set row_condition", Expectation{Type: ValuesInSet, Column: "status", ValueSet: []string{"active"}, RowCondition: "age < 100"}, true, 0, nil, nil},

		{"not_in_set pass", Expectation{Type: ValuesNotInSet, Column: "status", ValueSet: []string{"gone"}}, true, 0, nil, nil},
		{"not_in_set fail", Expectation{Type: ValuesNotInSet, Column: "status", ValueSet: []string{"paused"}}, false, 1, nil, []any{"paused"}},
		{"not_in_set mostly", Expectation{Type: ValuesNotInSet, Column: "status", ValueSet: []string{"paused"}, Mostly: fp(0.75)}, true, 1, nil, nil},
		{"not_in_set row_condition", Expectation{Type: ValuesNotInSet, Column: "status", ValueSet: []string{"paused"}, RowCondition: "age < 100"}, true, 0, nil, nil},

		{"unique pass, nulls ignored", Expectation{Type: ValuesUnique, Column: "age"}, true, 0, nil, nil},
		{"unique fail: every occurrence", Expectation{Type: ValuesUnique, Column: "id"}, false, 2, nil, []any{"c3", "c3"}},
		{"unique mostly", Expectation{Type: ValuesUnique, Column: "id", Mostly: fp(0.6)}, true, 2, nil, nil},
		{"unique row_condition", Expectation{Type: ValuesUnique, Column: "id", RowCondition: "status = 'active'"}, true, 0, nil, nil},

		{"regex pass", Expectation{Type: ValuesMatchRegex, Column: "code", Regex: "[a-zA-Z]"}, true, 0, nil, nil},
		{"regex fail", Expectation{Type: ValuesMatchRegex, Column: "code", Regex: `^[A-Z]{2}-\d$`}, false, 1, nil, []any{"zz"}},
		{"regex mostly", Expectation{Type: ValuesMatchRegex, Column: "code", Regex: `^[A-Z]{2}-\d$`, Mostly: fp(0.8)}, true, 1, nil, nil},
		{"regex null ignored", Expectation{Type: ValuesMatchRegex, Column: "status", Regex: "^(active|inactive|paused)$"}, true, 0, nil, nil},
		{"regex row_condition", Expectation{Type: ValuesMatchRegex, Column: "code", Regex: `^[A-Z]{2}-\d$`, RowCondition: "status IS NOT NULL"}, true, 0, nil, nil},

		{"not_regex pass", Expectation{Type: ValuesNotMatchRegex, Column: "code", Regex: "^Q"}, true, 0, nil, nil},
		{"not_regex fail", Expectation{Type: ValuesNotMatchRegex, Column: "code", Regex: "^X"}, false, 1, nil, []any{"XY-3"}},
		{"not_regex mostly", Expectation{Type: ValuesNotMatchRegex, Column: "code", Regex: "^X", Mostly: fp(0.8)}, true, 1, nil, nil},
		{"not_regex null ignored", Expectation{Type: ValuesNotMatchRegex, Column: "status", Regex: "^x"}, true, 0, nil, nil},
		{"not_regex row_condition", Expectation{Type: ValuesNotMatchRegex, Column: "code", Regex: "^X", RowCondition: "status <> 'active'"}, true, 0, nil, nil},

		{"of_type pass", Expectation{Type: ValuesOfType, Column: "age", TypeName: "float"}, true, -1, "DOUBLE", nil},
		{"of_type pandas name", Expectation{Type: ValuesOfType, Column: "status", TypeName: "str"}, true, -1, "VARCHAR", nil},
		{"of_type fail", Expectation{Type: ValuesOfType, Column: "status", TypeName: "int64"}, false, -1, "VARCHAR", nil},

		{"lengths pass, nulls ignored", Expectation{Type: ValueLengthsBetween, Column: "status", Min: fp(6), Max: fp(8)}, true, 0, nil, nil},
		{"lengths fail", Expectation{Type: ValueLengthsBetween, Column: "code", Min: fp(4), Max: fp(4)}, false, 1, nil, []any{"zz"}},
		{"lengths mostly", Expectation{Type: ValueLengthsBetween, Column: "code", Min: fp(4), Mostly: fp(0.8)}, true, 1, nil, nil},
		{"lengths row_condition", Expectation{Type: ValueLengthsBetween, Column: "code", Min: fp(4), RowCondition: "id <> 'c5'"}, true, 0, nil, nil},

		{"columns set pass", Expectation{Type: TableColumnsMatchSet, ColumnList: []string{"code", "budget", "spend", "seen", "status", "age", "id"}}, true, -1, nil, nil},
		{"columns subset, not exact", Expectation{Type: TableColumnsMatchSet, ColumnList: []string{"id", "age"}, ExactMatch: bp(false)}, true, -1, nil, nil},
		{"columns set fail", Expectation{Type: TableColumnsMatchSet, ColumnList: []string{"id", "age", "plan"}}, false, -1, nil, nil},
		{"columns list pass", Expectation{Type: TableColumnsMatchList, ColumnList: all}, true, -1, nil, nil},
		{"columns list fail", Expectation{Type: TableColumnsMatchList, ColumnList: []string{"age", "id", "status", "seen", "spend", "budget", "code"}}, false, -1, nil, nil},

		{"row count pass", Expectation{Type: TableRowCountBetween, Min: fp(5), Max: fp(5)}, true, -1, int64(5), nil},
		{"row count fail", Expectation{Type: TableRowCountBetween, Min: fp(10)}, false, -1, int64(5), nil},
		{"row count row_condition", Expectation{Type: TableRowCountBetween, Max: fp(2), RowCondition: "status = 'active'"}, true, -1, int64(2), nil},

		{"min pass", Expectation{Type: MinBetween, Column: "age", Min: fp(-10), Max: fp(0)}, true, -1, -5.0, nil},
		{"min fail", Expectation{Type: MinBetween, Column: "age", Min: fp(0)}, false, -1, -5.0, nil},
		{"min row_condition", Expectation{Type: MinBetween, Column: "age", Min: fp(0), RowCondition: "id <> 'c3'"}, true, -1, 30.0, nil},
		{"max pass", Expectation{Type: MaxBetween, Column: "age", Max: fp(200)}, true, -1, 200.0, nil},
		{"max strict fail", Expectation{Type: MaxBetween, Column: "age", Max: fp(200), StrictMax: true}, false, -1, 200.0, nil},
		{"max row_condition", Expectation{Type: MaxBetween, Column: "age", Max: fp(100), RowCondition: "status = 'active'"}, true, -1, 30.0, nil},
		{"mean pass, nulls ignored", Expectation{Type: MeanBetween, Column: "age", Min: fp(60), Max: fp(70)}, true, -1, 66.25, nil},
		{"mean fail", Expectation{Type: MeanBetween, Column: "age", Max: fp(50)}, false, -1, 66.25, nil},
		{"mean row_condition", Expectation{Type: MeanBetween, Column: "age", Max: fp(50), RowCondition: "status = 'active'"}, true, -1, 12.5, nil},
		{"median pass", Expectation{Type: MedianBetween, Column: "age", Min: fp(35), Max: fp(35)}, true, -1, 35.0, nil},
		{"median fail", Expectation{Type: MedianBetween, Column: "age", Min: fp(36)}, false, -1, 35.0, nil},
		{"median row_condition", Expectation{Type: MedianBetween, Column: "age", Max: fp(15), RowCondition: "status = 'active'"}, true, -1, 12.5, nil},
		{"stdev pass", Expectation{Type: StdevBetween, Column: "age", Min: fp(91), Max: fp(92)}, true, -1, nil, nil},
		{"stdev fail", Expectation{Type: StdevBetween, Column: "age", Max: fp(10)}, false, -1, nil, nil},
		{"stdev row_condition", Expectation{Type: StdevBetween, Column: "age", Max: fp(25), RowCondition: "status = 'active'"}, true, -1, nil, nil},
		{"sum pass", Expectation{Type: SumBetween, Column: "age", Min: fp(265), Max: fp(265)}, true, -1, 265.0, nil},
		{"sum fail", Expectation{Type: SumBetween, Column: "age", Max: fp(100)}, false, -1, 265.0, nil},
		{"sum row_condition", Expectation{Type: SumBetween, Column: "age", Max: fp(100), RowCondition: "status = 'active'"}, true, -1, 25.0, nil},
		{"sum of no values fails", Expectation{Type: SumBetween, Column: "age", Max: fp(100), RowCondition: "status = 'gone'"}, false, -1, nil, nil},

		{"proportion unique pass", Expectation{Type: ProportionUniqueBetwen, Column: "id", Min: fp(0.8), Max: fp(1)}, true, -1, 0.8, nil},
		{"proportion unique fail", Expectation{Type: ProportionUniqueBetwen, Column: "id", Min: fp(0.9)}, false, -1, 0.8, nil},
		{"proportion unique nulls ignored", Expectation{Type: ProportionUniqueBetwen, Column: "status", Min: fp(0.75), Max: fp(0.75)}, true, -1, 0.75, nil},
		{"proportion unique row_condition", Expectation{Type: ProportionUniqueBetwen, Column: "id", Min: fp(1), RowCondition: "status = 'active'"}, true, -1, 1.0, nil},

		{"distinct in set pass", Expectation{Type: DistinctValuesInSet, Column: "status", ValueSet: []string{"active", "inactive", "paused", "gone"}}, true, -1, []any{"active", "inactive", "paused"}, nil},
		{"distinct in set fail", Expectation{Type: DistinctValuesInSet, Column: "status", ValueSet: []string{"active", "inactive"}}, false, -1, nil, []any{"paused"}},
		{"distinct in set row_condition", Expectation{Type: DistinctValuesInSet, Column: "status", ValueSet: []string{"active"}, RowCondition: "age < 100"}, true, -1, []any{"active"}, nil},
		{"distinct in set of only nulls", Expectation{Type: DistinctValuesInSet, Column: "status", ValueSet: []string{"active"}, RowCondition: "id = 'c5'"}, true, -1, []any{}, nil},

		{"pair pass", Expectation{Type: PairAGreaterThanB, ColumnA: "spend", ColumnB: "budget", RowCondition: "status = 'active'"}, true, 0, nil, nil},
		{"pair fail, a null row is missing", Expectation{Type: PairAGreaterThanB, ColumnA: "spend", ColumnB: "budget"}, false, 2, nil, []any{[]any{20.0, 25.0}, []any{50.0, 60.0}}},
		{"pair mostly", Expectation{Type: PairAGreaterThanB, ColumnA: "spend", ColumnB: "budget", Mostly: fp(0.5)}, true, 2, nil, nil},
		{"pair or_equal", Expectation{Type: PairAGreaterThanB, ColumnA: "budget", ColumnB: "budget", OrEqual: true}, true, 0, nil, nil},

		{"compound unique pass", Expectation{Type: CompoundUnique, ColumnList: []string{"id", "status"}}, true, 0, nil, nil},
		{"compound unique fail", Expectation{Type: CompoundUnique, ColumnList: []string{"id", "code"}, RowCondition: "code <> 'XY-3'"}, true, 0, nil, nil},
		{"compound unique fail on id", Expectation{Type: CompoundUnique, ColumnList: []string{"id"}}, false, 2, nil, []any{[]any{"c3"}, []any{"c3"}}},
		{"compound unique mostly", Expectation{Type: CompoundUnique, ColumnList: []string{"id"}, Mostly: fp(0.6)}, true, 2, nil, nil},

		{"exists pass", Expectation{Type: ColumnToExist, Column: "status"}, true, -1, nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := only(t, d, c.e)
			assert.Equal(t, c.success, r.Success, r.Message)
			if c.unexpected >= 0 {
				require.NotNil(t, r.Result.UnexpectedCount)
				assert.Equal(t, c.unexpected, *r.Result.UnexpectedCount)
			}
			if c.observed != nil {
				assert.Equal(t, c.observed, r.Result.ObservedValue)
			}
			if c.sample != nil {
				assert.Equal(t, c.sample, r.Result.PartialUnexpectedList)
			}
		})
	}
}

// The result carries Great Expectations' fields, and the report its
// statistics, as JSON users and tools read.
func TestResultFormat(t *testing.T) {
	d := fixture(t, fixtureCSV)
	rep := run(t, d, []Expectation{
		{Type: ValuesBetween, Column: "age", Min: fp(0), Max: fp(150), Severity: SeverityWarning},
		{Type: MeanBetween, Column: "age", Min: fp(60), Max: fp(70)},
		{Type: ValuesNotNull, Column: "age"},
	}, Checks{}, Env{})
	b, err := json.Marshal(rep)
	require.NoError(t, err)
	var got map[string]any
	require.NoError(t, json.Unmarshal(b, &got))

	assert.Equal(t, false, got["success"], "the error-severity not_null failed")
	assert.Equal(t, map[string]any{"evaluated_expectations": 3.0, "successful_expectations": 1.0,
		"unsuccessful_expectations": 2.0, "success_percent": 100.0 / 3, "warnings": 1.0}, got["statistics"])
	res := got["results"].([]any)
	between := res[0].(map[string]any)
	assert.Equal(t, map[string]any{
		"expectation_type": ValuesBetween,
		"kwargs":           map[string]any{"column": "age", "min_value": 0.0, "max_value": 150.0},
		"meta":             map[string]any{"severity": "warning"},
	}, between["expectation_config"])
	assert.Equal(t, map[string]any{
		"element_count": 5.0, "missing_count": 1.0, "missing_percent": 20.0,
		"unexpected_count": 2.0, "unexpected_percent": 50.0, "unexpected_percent_nonmissing": 50.0,
		"partial_unexpected_list": []any{-5.0, 200.0},
	}, between["result"])
	assert.Equal(t, map[string]any{"observed_value": 66.25}, res[1].(map[string]any)["result"])
	notNull := res[2].(map[string]any)["result"].(map[string]any)
	assert.Equal(t, []any{2.0}, notNull["partial_unexpected_index_list"], "the second data row is empty")

	assert.Equal(t, []string{"age: expect_column_values_to_be_between, 2 unexpected of 5 (50% of 4 non-null values outside [0, 150]; e.g. -5, 200) [expectations[1]]"}, rep.Warnings())
	assert.Equal(t, "data validation failed: 1 of 3 checks failed: "+
		"age: expect_column_values_to_not_be_null, 1 unexpected of 5 (20% null) [expectations[3]].", rep.Summary())
}

// partial_unexpected_list holds at most 20 values.
func TestPartialListIsBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("x\n")
	for i := 0; i < 100; i++ {
		b.WriteString("bad\n")
	}
	d := fixture(t, b.String())
	r := only(t, d, Expectation{Type: ValuesInSet, Column: "x", ValueSet: []string{"good"}})
	assert.Equal(t, int64(100), *r.Result.UnexpectedCount)
	assert.Len(t, r.Result.PartialUnexpectedList, 20)
}

func TestWarningsLeaveTheSuitePassing(t *testing.T) {
	d := fixture(t, fixtureCSV)
	rep := run(t, d, []Expectation{{Type: ValuesUnique, Column: "id", Severity: SeverityWarning}}, Checks{}, Env{})
	assert.True(t, rep.Success)
	assert.Equal(t, 1, rep.Statistics.Warnings)
	assert.Contains(t, rep.Summary(), "data validation passed: 0 of 1 checks succeeded, 1 warning(s): id: expect_column_values_to_be_unique, 2 unexpected of 5")
}

func TestPSI(t *testing.T) {
	d := fixture(t, fixtureCSV)
	e := Expectation{Type: PSILessThan, Column: "age"}
	r := only(t, d, e)
	assert.True(t, r.Success)
	assert.Equal(t, "no reference profile yet", r.Skipped)

	// The reference saw ages spread evenly over [-10, 250): today's four
	// values fit it; a reference concentrated on [0, 10) does not.
	same := &profile.Profile{Columns: []profile.Column{{Name: "age", Kind: "float", Edges: []float64{-10, 35, 250}, Counts: []int64{50, 50}},
		{Name: "status", Kind: "string", Categories: []profile.Category{{Value: "active", Count: 50}, {Value: "inactive", Count: 25}}, OtherCount: 25}}}
	rep := run(t, d, []Expectation{e, {Type: PSILessThan, Column: "status", Threshold: fp(0.5)}}, Checks{}, Env{Reference: same})
	assert.True(t, rep.Results[0].Success, rep.Results[0].Message)
	assert.InDelta(t, 0.0, rep.Results[0].Result.ObservedValue, 1e-9, "2 of 4 in each half, as the reference")
	assert.True(t, rep.Results[1].Success, rep.Results[1].Message)
	assert.InDelta(t, 0.0, rep.Results[1].Result.ObservedValue, 1e-9, "active 2, inactive 1, other 1 of 4")

	shifted := &profile.Profile{Columns: []profile.Column{{Name: "age", Kind: "float", Edges: []float64{0, 10, 20}, Counts: []int64{99, 1}}}}
	r = run(t, d, []Expectation{e}, Checks{}, Env{Reference: shifted}).Results[0]
	assert.False(t, r.Success)
	assert.Contains(t, r.Message, ">= 0.25")

	r = run(t, d, []Expectation{{Type: PSILessThan, Column: "code"}}, Checks{}, Env{Reference: shifted}).Results[0]
	assert.True(t, r.Success)
	assert.Equal(t, `column "code" is not in the reference profile`, r.Skipped)
}

// The data doc is one self-contained page: no scripts, no links out.
func TestDataDoc(t *testing.T) {
	d := fixture(t, fixtureCSV)
	rep := run(t, d, []Expectation{
		{Type: ValuesBetween, Column: "age", Min: fp(0), Max: fp(150)},
		{Type: ValuesUnique, Column: "id", Severity: SeverityWarning},
		{Type: PSILessThan, Column: "age"},
	}, Checks{}, Env{})
	page, err := DataDoc(rep)
	require.NoError(t, err)
	html := string(page)
	assert.Contains(t, html, "<style>")
	assert.NotContains(t, html, "<script")
	assert.NotContains(t, html, "http://")
	assert.NotContains(t, html, "https://")
	assert.Contains(t, html, ">FAILED<")
	assert.Contains(t, html, "expect_column_values_to_be_between")
	assert.Contains(t, html, "2 of 5 unexpected (50%); 1 missing")
	assert.Contains(t, html, "-5, 200")
	assert.Contains(t, html, ">warning<")
	assert.Contains(t, html, ">skipped<")
}
