package monitor

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/expect"
)

func f64(v float64) *float64 { return &v }

// exampleSuite is the churn example's suite (dev/examples/churn), plus a
// warning-severity bound.
func exampleSuite() *Suite {
	return &Suite{Source: "file:///specs/churn.json", Expectations: []expect.Expectation{
		{Type: expect.ValuesNotNull, Column: "customer_id"},
		{Type: expect.ValuesUnique, Column: "customer_id"},
		{Type: expect.ValuesBetween, Column: "age", Min: f64(0), Max: f64(150)},
		{Type: expect.ValuesInSet, Column: "status", ValueSet: []string{"active", "inactive"}},
		{Type: expect.ValuesInSet, Column: "churned", ValueSet: []string{"yes", "no"}},
		{Type: expect.TableRowCountBetween, Min: f64(500)},
		{Type: expect.ValuesBetween, Column: "monthly_charges", Max: f64(1000), Severity: expect.SeverityWarning},
	}, Checks: expect.Checks{
		Schema:       map[string]string{"age": "float", "churned": "string"},
		Completeness: &expect.Completeness{MaxNullFraction: 0.05, Columns: map[string]float64{"age": 0.2}},
		Freshness:    &expect.Freshness{Column: "last_activity", MaxAge: "1080h"},
	}}
}

func suiteResults(s *Snapshot) map[string]ExpectationResult {
	out := map[string]ExpectationResult{}
	for _, r := range s.Quality.Expectations {
		out[r.Where] = r
	}
	return out
}

func TestSuiteOnACleanWindowPasses(t *testing.T) {
	s := analyseWith(t, churnCSV(t, 1000, 2), 0, "", func(in *Input) { in.Suite = exampleSuite() })
	assert.Equal(t, VerdictOK, s.Verdict, s.Summary)
	assert.Empty(t, s.Quality.Violations)
	res := suiteResults(s)
	for _, w := range []string{"expectations[1]", "expectations[3]", "expectations[4]", "expectations[7]"} {
		require.Contains(t, res, w)
		assert.True(t, res[w].Success, "%s: %+v", w, res[w])
		assert.Empty(t, res[w].Skipped, w)
	}
	assert.Equal(t, "age", res["expectations[3]"].Column, "results keep their place in the suite")
	for w, why := range map[string]string{
		"expectations[2]":      "the same row may be scored more than once",
		"expectations[5]":      `column "churned" is the label, which served rows do not carry`,
		"expectations[6]":      "a window's row count is its traffic",
		"validation.schema":    "checked against the reference profile",
		"validation.freshness": "freshness is a property of the training data",
	} {
		require.Contains(t, res, w)
		assert.Contains(t, res[w].Skipped, why, w)
	}
	assert.Contains(t, s.Quality.SuiteNote, "suite from file:///specs/churn.json")
	var page bytes.Buffer
	require.NoError(t, WritePage(&page, s))
	assert.Contains(t, page.String(), "<h3>Expectation suite</h3>")
	assert.Contains(t, page.String(), "expect_column_values_to_be_between")
}

// Values beyond the suite's range fail that expectation on the window:
// an error-severity failure is a data-quality violation (the figure the
// data-quality alert reads); a warning is reported, not counted.
func TestSuiteFlagsAWindowOutOfItsRange(t *testing.T) {
	s := analyseWith(t, churnCSV(t, 1000, 3, "mean_shift:12:age", "mean_shift:60:monthly_charges"), 0, "",
		func(in *Input) { in.Suite = exampleSuite() })
	res := suiteResults(s)
	age := res["expectations[3]"]
	assert.False(t, age.Success)
	require.NotNil(t, age.Unexpected)
	assert.Greater(t, *age.Unexpected, int64(900), "nearly every shifted age is above 150")
	assert.NotEmpty(t, age.Examples)
	assert.False(t, res["expectations[7]"].Success, "the warning bound fails too")
	assert.True(t, res["expectations[4]"].Success)
	require.NotEmpty(t, s.Quality.Violations)
	var suiteViolations []string
	for _, v := range s.Quality.Violations {
		if bytes.Contains([]byte(v), []byte("failed on the window")) {
			suiteViolations = append(suiteViolations, v)
		}
	}
	require.Len(t, suiteViolations, 1, "only the error-severity failure counts: %v", s.Quality.Violations)
	assert.Contains(t, suiteViolations[0], "expectations[3] (expect_column_values_to_be_between on age) failed on the window")
	assert.Contains(t, s.Summary, "data-quality violations")
	var page bytes.Buffer
	require.NoError(t, WritePage(&page, s))
	assert.Contains(t, page.String(), `class="bad">failed</td>`)
}

func TestSuiteIsSkippedWithAReason(t *testing.T) {
	s := analyse(t, churnCSV(t, 300, 4), 0, "")
	assert.Contains(t, s.Quality.SuiteNote, "no expectation suite recorded with this version")
	assert.Empty(t, s.Quality.Expectations)

	// A suite naming a column the reference does not have does not fit
	// the window: a warning, never a failed run.
	bad := exampleSuite()
	bad.Expectations = append(bad.Expectations, expect.Expectation{Type: expect.ValuesNotNull, Column: "coupon"})
	s = analyseWith(t, churnCSV(t, 300, 4), 0, "", func(in *Input) { in.Suite = bad })
	require.NotEmpty(t, s.Warnings)
	assert.Contains(t, s.Warnings[0], `expectations[8] (expect_column_values_to_not_be_null): column "coupon" is not in the data`)
}
