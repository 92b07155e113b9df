package expect

import (
	"fmt"
	"strings"
)

// maxPartial bounds the sample of unexpected values kept per result, as
// Great Expectations' partial_unexpected_list does.
const maxPartial = 20

// Report is the outcome of Run.
type Report struct {
	Success   bool     `json:"success"`
	Evaluated int      `json:"evaluated"`
	Failed    int      `json:"failed"`
	Results   []Result `json:"results"`
}

// Result is the outcome of one expectation or check.
type Result struct {
	// Expectation is the expectation type or the check name (schema,
	// completeness, freshness).
	Expectation string `json:"expectation"`
	Column      string `json:"column,omitempty"`
	Success     bool   `json:"success"`
	// ElementCount is the number of rows looked at, nulls included.
	ElementCount    int `json:"element_count"`
	UnexpectedCount int `json:"unexpected_count"`
	// UnexpectedPercent is relative to the non-null values for value
	// expectations (as in Great Expectations) and to all rows otherwise.
	UnexpectedPercent float64  `json:"unexpected_percent"`
	PartialUnexpected []string `json:"partial_unexpected,omitempty"`
	// Observed says in words what was found, e.g. "null fraction 0.12 > 0.05".
	Observed string `json:"observed,omitempty"`
}

// Summary is one paragraph for a person: what passed, and for each failure
// `column: check, N unexpected of M (detail)`.
func (r Report) Summary() string {
	if r.Failed == 0 {
		return fmt.Sprintf("data validation passed: all %d checks succeeded.", r.Evaluated)
	}
	parts := make([]string, 0, r.Failed)
	for _, res := range r.Results {
		if !res.Success {
			parts = append(parts, res.line())
		}
	}
	return fmt.Sprintf("data validation failed: %d of %d checks failed: %s.", r.Failed, r.Evaluated, strings.Join(parts, "; "))
}

func (res Result) line() string {
	var b strings.Builder
	if res.Column != "" {
		b.WriteString(res.Column)
	} else {
		b.WriteString("table")
	}
	b.WriteString(": ")
	b.WriteString(res.Expectation)
	if res.UnexpectedCount > 0 {
		fmt.Fprintf(&b, ", %d unexpected of %d", res.UnexpectedCount, res.ElementCount)
	}
	detail := res.Observed
	if len(res.PartialUnexpected) > 0 {
		sample := res.PartialUnexpected
		if len(sample) > 5 {
			sample = sample[:5]
		}
		detail += "; e.g. " + strings.Join(sample, ", ")
	}
	if detail != "" {
		fmt.Fprintf(&b, " (%s)", detail)
	}
	return b.String()
}
