package expect

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A suite that does not fit the data is refused before any row is read,
// naming the expectation's position and what to fix.
func TestSuiteThatDoesNotFitIsRefused(t *testing.T) {
	d := fixture(t, "id,age,code\na,31,x\nb,n/a,y\nc,40,z\nd,?,w\n")
	cases := []struct {
		name string
		e    Expectation
		want string
	}{
		{"missing column", Expectation{Type: ValuesNotNull, Column: "plan"},
			`expectations[1] (expect_column_values_to_not_be_null): column "plan" is not in the data; the columns are id, age, code`},
		{"between on text", Expectation{Type: ValuesBetween, Column: "age", Min: fp(0)},
			`expectations[1] (expect_column_values_to_be_between): column "age" is VARCHAR (string), but expect_column_values_to_be_between needs a numeric column (2 of its 4 values are not numbers (row 2 "n/a", row 4 "?"); if they mean missing, write them as an empty cell, NA, N/A, null, NULL, NaN or nan)`},
		{"mean on text", Expectation{Type: MeanBetween, Column: "id", Min: fp(0)},
			`column "id" is VARCHAR (string), but expect_column_mean_to_be_between needs a numeric column`},
		{"invalid regex", Expectation{Type: ValuesMatchRegex, Column: "code", Regex: "([a-z"},
			"expectations[1]: expectation expect_column_values_to_match_regex(code): regex \"([a-z\" is not a valid regular expression (RE2 syntax): missing closing ]: `[a-z`"},
		{"text in a numeric value_set", Expectation{Type: ValuesInSet, Column: "id", ValueSet: []string{"a"}, RowCondition: "code = 'x'"}, ""},
		{"row_condition with ;", Expectation{Type: ValuesNotNull, Column: "id", RowCondition: "age > 1; DROP TABLE t"},
			`row_condition: "age > 1; DROP TABLE t" may not contain ';'`},
		{"row_condition subquery", Expectation{Type: ValuesNotNull, Column: "id", RowCondition: "id IN (SELECT id FROM t)"},
			`may not contain SELECT: write a single boolean expression over column names`},
		{"row_condition unbalanced", Expectation{Type: ValuesNotNull, Column: "id", RowCondition: "id = 'a') OR (1 = 1"},
			`has a ')' with no '(' before it`},
		{"row_condition unknown column", Expectation{Type: ValuesNotNull, Column: "id", RowCondition: "plan = 'basic'"},
			`expectations[1] (expect_column_values_to_not_be_null): row_condition "plan = 'basic'" does not apply to this data:`},
		{"row_condition not boolean", Expectation{Type: ValuesNotNull, Column: "id", RowCondition: "length(code)"},
			`row_condition "length(code)" is BIGINT, not a boolean`},
		{"pair of text", Expectation{Type: PairAGreaterThanB, ColumnA: "id", ColumnB: "code"},
			`column_A "id" is VARCHAR and column_B "code" is VARCHAR: both must be numeric, or both times`},
		{"lengths of a number", Expectation{Type: ValueLengthsBetween, Column: "id", Min: fp(1), RowCondition: "id = 'a'"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Evaluate(context.Background(), d, []Expectation{c.e}, Checks{}, Env{Now: now})
			if c.want == "" {
				require.NoError(t, err, "fits the data")
				return
			}
			require.Error(t, err)
			assert.True(t, IsSuiteError(err))
			assert.Contains(t, err.Error(), c.want)
		})
	}
	numbers := fixture(t, "n\n1\n2\n")
	_, err := Evaluate(context.Background(), numbers, []Expectation{{Type: ValuesInSet, Column: "n", ValueSet: []string{"1", "two"}}}, Checks{}, Env{})
	assert.ErrorContains(t, err, `expectations[1] (expect_column_values_to_be_in_set): value_set[1] "two" is not a number, but column "n" is numeric (DOUBLE): list numbers`)
	_, err = Evaluate(context.Background(), numbers, []Expectation{{Type: ValueLengthsBetween, Column: "n", Min: fp(1)}}, Checks{}, Env{})
	assert.ErrorContains(t, err, `column "n" is DOUBLE (numeric), but expect_column_value_lengths_to_be_between measures text: pick a string column`)
}

func TestSchemaCompletenessFreshness(t *testing.T) {
	d := fixture(t, fixtureCSV)
	checks := Checks{
		Schema:       map[string]string{"age": "float", "status": "float", "plan": "string"},
		Completeness: &Completeness{MaxNullFraction: 0.1, Columns: map[string]float64{"status": 0.25, "gone": 0.5}},
		Freshness:    &Freshness{Column: "seen", MaxAge: "72h"},
	}
	require.NoError(t, checks.Validate())
	rep := run(t, d, nil, checks, Env{})

	byKey := map[string]Result{}
	for _, r := range rep.Results {
		byKey[r.Type()+"/"+r.Column()] = r
	}
	assert.True(t, byKey["schema/age"].Success)
	assert.Equal(t, "expected float, got string", byKey["schema/status"].Message, "a text column gets no list of cells")
	assert.Contains(t, byKey["schema/plan"].Message, "expected string column, but it is missing")

	// 1 of 5 null = 0.2: fails the default 0.1, passes the 0.25 override.
	assert.False(t, byKey["completeness/age"].Success)
	assert.Equal(t, "null fraction 0.2 > 0.1", byKey["completeness/age"].Message)
	assert.Equal(t, "validation.completeness.max_null_fraction", byKey["completeness/age"].Where)
	assert.True(t, byKey["completeness/status"].Success)
	assert.True(t, byKey["completeness/id"].Success)
	assert.Equal(t, "column not found (columns: id, age, status, seen, spend, budget, code)", byKey["completeness/gone"].Message)

	// Newest is 2026-01-02, 3 days = 72h before now: exactly at the bound passes.
	assert.True(t, byKey["freshness/seen"].Success)
	assert.Equal(t, "newest 2026-01-02T00:00:00Z is 72h old <= 72h", byKey["freshness/seen"].Message)
	stale := run(t, d, nil, Checks{Freshness: &Freshness{Column: "seen", MaxAge: "48h"}}, Env{})
	assert.False(t, stale.Success)
	assert.Equal(t, "newest 2026-01-02T00:00:00Z is 72h old > 48h", stale.Results[0].Message)

	assert.False(t, rep.Success)
	assert.Equal(t, 3+7+1+1, rep.Statistics.Evaluated, "3 schema, 7 columns and 1 missing override for completeness, 1 freshness")
	assert.Equal(t, 6, rep.Statistics.Unsuccessful, "schema status, schema plan; completeness age, seen, spend, gone")
}

// Freshness with no column measures the source's modification time
// against the pipeline's start time, not the clock.
func TestFreshnessOfTheSource(t *testing.T) {
	d := fixture(t, fixtureCSV)
	checks := Checks{Freshness: &Freshness{MaxAge: "72h"}}
	modified := now.Add(-80 * time.Hour)
	r := run(t, d, nil, checks, Env{Now: now, ModTime: modified}).Results[0]
	assert.False(t, r.Success)
	assert.Equal(t, "source modified 2026-01-01T16:00:00Z is 80h old > 72h", r.Message)
	r = run(t, d, nil, checks, Env{Now: modified.Add(time.Hour), ModTime: modified}).Results[0]
	assert.True(t, r.Success, "one hour after the change, by the pipeline's clock")

	r = run(t, d, nil, checks, Env{Now: now}).Results[0]
	assert.False(t, r.Success)
	assert.Equal(t, "the source reports no modification time: name a timestamp column in validation.freshness.column", r.Message)

	// An old workflow passes no start time: the clock stands in.
	rep, err := Evaluate(context.Background(), d, nil, checks, Env{ModTime: time.Now().Add(-time.Hour)})
	require.NoError(t, err)
	assert.True(t, rep.Results[0].Success, rep.Results[0].Message)
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
	assert.NoError(t, Checks{Freshness: &Freshness{MaxAge: "72h"}}.Validate(), "no column: the source's modification time")
}
