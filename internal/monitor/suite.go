package monitor

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/mlpipe/mlpipe/internal/expect"
	"github.com/mlpipe/mlpipe/internal/inferlog"
)

// Suite is the pipeline's expectation suite, as the spec stored with the
// production version holds it.
type Suite struct {
	Expectations []expect.Expectation
	Checks       expect.Checks
	// Source names where it was read from (the spec's URI).
	Source string
}

// ExpectationResult is one expectation of the suite on the window.
type ExpectationResult struct {
	// Where is its place in the suite, e.g. "expectations[3]".
	Where       string `json:"where"`
	Expectation string `json:"expectation"`
	Column      string `json:"column,omitempty"`
	Severity    string `json:"severity,omitempty"`
	Success     bool   `json:"success"`
	Message     string `json:"message,omitempty"`
	// Unexpected counts the rows that failed a per-row expectation.
	Unexpected *int64 `json:"unexpected,omitempty"`
	// Examples are a few of the unexpected values.
	Examples []string `json:"examples,omitempty"`
	// Skipped says why it was not run on the window.
	Skipped string `json:"skipped,omitempty"`
}

// inputsTable is the window's logged input rows as typed columns, a view
// defined while the suite runs (typedInputs).
const inputsTable = "window_inputs"

// runSuite runs the suite on the window's logged inputs, typed as the
// reference profile says the training data was. A failed error-severity
// expectation is a data-quality violation; a suite that does not fit the
// window is a warning, never a failed run.
func runSuite(ctx context.Context, db *sql.DB, in Input, parsed *inferlog.Inputs, s *Snapshot) error {
	q := &s.Quality
	switch {
	case in.Suite == nil:
		q.SuiteNote = "no expectation suite recorded with this version: expectations not run"
		return nil
	case len(in.Suite.Expectations) == 0 && in.Suite.Checks.Completeness == nil:
		q.SuiteNote = "the pipeline's spec has no expectations"
		return nil
	case in.Reference == nil:
		q.SuiteNote = "no reference profile recorded with this version, so the window's column types are unknown: expectations not run"
		return nil
	}
	drop, err := typedInputs(ctx, db, in, parsed)
	if err != nil {
		return err
	}
	defer drop()
	rep, err := expect.EvaluateWindow(ctx, expect.Data{DB: db, Relation: inputsTable, Name: "the window's served rows"},
		in.Suite.Expectations, in.Suite.Checks, expect.WindowEnv{Target: in.Target, Reference: in.Reference, Now: in.To})
	if expect.IsSuiteError(err) {
		s.Warnings = append(s.Warnings, fmt.Sprintf("the expectation suite of %s does not fit the window: %v", in.Suite.Source, err))
		q.SuiteNote = "the expectation suite does not fit the window (see the warnings)"
		return nil
	}
	if err != nil {
		return fmt.Errorf("run the expectation suite on the window: %w", err)
	}
	q.SuiteNote = fmt.Sprintf("%d of %d expectations and checks passed on the window; %d skipped", rep.Statistics.Successful, rep.Statistics.Evaluated, len(rep.Skipped))
	if in.Suite.Source != "" {
		q.SuiteNote += "; suite from " + in.Suite.Source
	}
	for _, r := range rep.Results {
		er := ExpectationResult{Where: r.Where, Expectation: r.Type(), Column: r.Column(), Severity: r.Config.Meta.Severity,
			Success: r.Success, Message: r.Message, Unexpected: r.Result.UnexpectedCount, Skipped: r.Skipped}
		for _, v := range r.Result.PartialUnexpectedList {
			if len(er.Examples) == 5 {
				break
			}
			er.Examples = append(er.Examples, fmt.Sprint(v))
		}
		q.Expectations = append(q.Expectations, er)
		if !r.Success && !r.IsWarning() {
			what := r.Type()
			if c := r.Column(); c != "" {
				what += " on " + c
			}
			q.Violations = append(q.Violations, fmt.Sprintf("%s (%s) failed on the window: %s", r.Where, what, r.Message))
		}
	}
	for _, sk := range rep.Skipped {
		q.Expectations = append(q.Expectations, ExpectationResult{Where: sk.Where, Expectation: sk.Type, Column: sk.Column, Success: true, Skipped: sk.Reason})
	}
	return nil
}
