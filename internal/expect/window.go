package expect

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/mlpipe/mlpipe/internal/profile"
)

// WindowEnv is what a suite run on a window of served rows needs beside
// the data.
type WindowEnv struct {
	// Target is the label column, which served rows do not carry.
	Target string
	// Reference is the production version's profile, for
	// expect_column_psi_to_be_less_than; nil skips those.
	Reference *profile.Profile
	// Now is the window's end.
	Now time.Time
}

// Skip is an expectation or check of the suite left out of a window's
// run, with the reason.
type Skip struct {
	// Where names it in the suite, as Result.Where does.
	Where  string `json:"where"`
	Type   string `json:"expectation_type"`
	Column string `json:"column,omitempty"`
	Reason string `json:"reason"`
}

// WindowReport is a suite's outcome on a window: the report of what ran
// (numbered as in the suite) and what was skipped.
type WindowReport struct {
	Report
	Skipped []Skip `json:"skipped,omitempty"`
}

// EvaluateWindow runs a pipeline's suite on a window of the rows a model
// served (d.Relation holds the logged inputs, typed as the training data
// was). Expectations that describe the training table rather than its
// rows are skipped with a reason: the row count and sums (they grow with
// traffic), uniqueness (the same row may be scored twice), the table's
// column list, anything on the label column, and the schema and freshness
// checks. Results keep their position in the suite ("expectations[3]"),
// so a failure names the line of the spec to look at.
func EvaluateWindow(ctx context.Context, d Data, exps []Expectation, checks Checks, env WindowEnv) (WindowReport, error) {
	var out WindowReport
	var keep []Expectation
	var pos []int // 1-based position in the suite of keep[i]
	for i, e := range exps {
		if why := windowSkipReason(e, env.Target); why != "" {
			out.Skipped = append(out.Skipped, Skip{Where: fmt.Sprintf("expectations[%d]", i+1), Type: e.Type, Column: e.Column, Reason: why})
			continue
		}
		keep, pos = append(keep, e), append(pos, i+1)
	}
	var run Checks
	if len(checks.Schema) > 0 {
		out.Skipped = append(out.Skipped, Skip{Where: "validation.schema", Type: CheckSchema,
			Reason: "each served value's type is checked against the reference profile instead (wrong type)"})
	}
	if checks.Freshness != nil {
		out.Skipped = append(out.Skipped, Skip{Where: "validation.freshness", Type: CheckFreshness,
			Reason: "freshness is a property of the training data, not of served rows"})
	}
	if c := checks.Completeness; c != nil {
		cc := *c
		if _, ok := cc.Columns[env.Target]; ok {
			cc.Columns = withoutKey(cc.Columns, env.Target)
		}
		run.Completeness = &cc
	}
	rep, err := Evaluate(ctx, d, keep, run, Env{Now: env.Now, Reference: env.Reference})
	if err != nil {
		var se *SuiteError
		if errors.As(err, &se) {
			renumbered := &SuiteError{}
			for _, p := range se.Problems {
				renumbered.Problems = append(renumbered.Problems, renumber(p, pos))
			}
			return WindowReport{}, renumbered
		}
		return WindowReport{}, err
	}
	for i := range rep.Results {
		rep.Results[i].Where = renumber(rep.Results[i].Where, pos)
	}
	out.Report = rep
	return out, nil
}

// windowSkipReason says why e does not apply to served rows, or "".
func windowSkipReason(e Expectation, target string) string {
	if target != "" && slices.Contains(e.Columns(), target) {
		return fmt.Sprintf("column %q is the label, which served rows do not carry", target)
	}
	switch e.Type {
	case TableRowCountBetween:
		return "a window's row count is its traffic, not the size of a training table"
	case SumBetween:
		return "a column's sum grows with the window's traffic"
	case ValuesUnique, CompoundUnique, ProportionUniqueBetwen:
		return "the same row may be scored more than once, so uniqueness holds only for the training table"
	case TableColumnsMatchSet, TableColumnsMatchList:
		return "served rows carry the model's inputs, not the training table's columns"
	}
	return ""
}

// withoutKey copies m without key.
func withoutKey(m map[string]float64, key string) map[string]float64 {
	out := make(map[string]float64, len(m))
	for k, v := range m {
		if k != key {
			out[k] = v
		}
	}
	return out
}

var positionRE = regexp.MustCompile(`^expectations\[(\d+)\]`)

// renumber maps "expectations[k]..." (k counting the expectations that
// ran) to the expectation's position in the suite.
func renumber(s string, pos []int) string {
	m := positionRE.FindStringSubmatchIndex(s)
	if m == nil {
		return s
	}
	k, err := strconv.Atoi(s[m[2]:m[3]])
	if err != nil || k < 1 || k > len(pos) {
		return s
	}
	return fmt.Sprintf("expectations[%d]", pos[k-1]) + s[m[1]:]
}
