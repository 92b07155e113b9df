package expect

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/mlpipe/mlpipe/internal/frame"
)

// Run evaluates every expectation and check against f. It never fails:
// a bad argument, a missing column or a wrong kind becomes a failed result,
// so a user sees all problems at once. now is the reference for freshness;
// callers pass it in so runs are reproducible.
func Run(f *frame.Frame, exps []Expectation, checks Checks, now time.Time) Report {
	var results []Result
	for _, e := range exps {
		results = append(results, evaluate(f, e))
	}
	if len(checks.Schema) > 0 {
		results = append(results, runSchema(f, checks.Schema)...)
	}
	if checks.Completeness != nil {
		results = append(results, runCompleteness(f, checks.Completeness)...)
	}
	if checks.Freshness != nil {
		results = append(results, runFreshness(f, checks.Freshness, now))
	}
	rep := Report{Evaluated: len(results), Results: results}
	for _, r := range results {
		if !r.Success {
			rep.Failed++
		}
	}
	rep.Success = rep.Failed == 0
	return rep
}

func evaluate(f *frame.Frame, e Expectation) Result {
	r := Result{Expectation: e.Type, Column: e.Column, ElementCount: f.NumRows()}
	if err := e.Validate(); err != nil {
		r.Observed = err.Error()
		return r
	}
	if e.Type == TableRowCountBetween {
		n := float64(f.NumRows())
		r.Success = within(n, e.Min, e.Max)
		r.Observed = fmt.Sprintf("row count %d %s", f.NumRows(), boundsText(r.Success, e.Min, e.Max))
		return r
	}
	c, ok := f.Col(e.Column)
	if !ok {
		return missingColumn(e.Type, e.Column, f)
	}
	switch e.Type {
	case ColumnToExist:
		r.Success = true
		r.Observed = "column exists"
		return r
	case ValuesNotNull:
		return notNull(r, c, e)
	case ValuesBetween:
		if c.Kind != frame.Float {
			r.Observed = fmt.Sprintf("column is %s, between needs a float column", c.Kind) + notNumbers(c)
			return r
		}
		return perValue(r, c, e, func(i int) bool { return within(c.Floats[i], e.Min, e.Max) },
			"outside "+rangeText(e.Min, e.Max))
	case ValuesInSet:
		in := setMatcher(c, e.ValueSet)
		return perValue(r, c, e, in, "not in ["+strings.Join(e.ValueSet, ", ")+"]")
	case ValuesUnique:
		return unique(r, c, e)
	case MeanBetween:
		return mean(r, c, e)
	}
	r.Observed = "unsupported expectation" // unreachable: Validate knows the types
	return r
}

func missingColumn(check, name string, f *frame.Frame) Result {
	return Result{
		Expectation:  check,
		Column:       name,
		ElementCount: f.NumRows(),
		Observed:     fmt.Sprintf("column not found (columns: %s)", strings.Join(f.Names(), ", ")),
	}
}

func notNull(r Result, c *frame.Column, e Expectation) Result {
	for i, isNull := range c.Null {
		if isNull {
			r.UnexpectedCount++
			if len(r.PartialUnexpected) < maxPartial {
				r.PartialUnexpected = append(r.PartialUnexpected, "row "+strconv.Itoa(i+1))
			}
		}
	}
	if r.ElementCount > 0 {
		r.UnexpectedPercent = 100 * float64(r.UnexpectedCount) / float64(r.ElementCount)
	}
	r.Success = passes(r.ElementCount-r.UnexpectedCount, r.ElementCount, e.Mostly)
	r.Observed = fmt.Sprintf("%s%% null%s", fmtPct(r.UnexpectedPercent), mostlyText(e.Mostly))
	return r
}

// perValue applies ok to every non-null row; nulls are neither expected nor
// unexpected, as in Great Expectations.
func perValue(r Result, c *frame.Column, e Expectation, ok func(int) bool, what string) Result {
	nonNull := 0
	for i, isNull := range c.Null {
		if isNull {
			continue
		}
		nonNull++
		if !ok(i) {
			r.UnexpectedCount++
			if len(r.PartialUnexpected) < maxPartial {
				r.PartialUnexpected = append(r.PartialUnexpected, c.Format(i))
			}
		}
	}
	if nonNull > 0 {
		r.UnexpectedPercent = 100 * float64(r.UnexpectedCount) / float64(nonNull)
	}
	r.Success = passes(nonNull-r.UnexpectedCount, nonNull, e.Mostly)
	r.Observed = fmt.Sprintf("%s%% of %d non-null values %s%s", fmtPct(r.UnexpectedPercent), nonNull, what, mostlyText(e.Mostly))
	return r
}

func unique(r Result, c *frame.Column, e Expectation) Result {
	counts := make(map[string]int, len(c.Null))
	for i, isNull := range c.Null {
		if !isNull {
			counts[c.Format(i)]++
		}
	}
	// Every occurrence of a repeated value is unexpected, as in Great
	// Expectations; that makes unexpected counts add up to rows to inspect.
	return perValue(r, c, e, func(i int) bool { return counts[c.Format(i)] == 1 }, "duplicated")
}

func mean(r Result, c *frame.Column, e Expectation) Result {
	if c.Kind != frame.Float {
		r.Observed = fmt.Sprintf("column is %s, mean needs a float column", c.Kind) + notNumbers(c)
		return r
	}
	sum, n := 0.0, 0
	for i, v := range c.Floats {
		if !c.Null[i] {
			sum += v
			n++
		}
	}
	if n == 0 {
		r.Observed = "no non-null values"
		return r
	}
	m := sum / float64(n)
	r.Success = within(m, e.Min, e.Max)
	r.Observed = fmt.Sprintf("mean %.6g %s", m, boundsText(r.Success, e.Min, e.Max))
	return r
}

// setMatcher compares values as they are written in the file; on a float
// column a set entry also matches numerically, so value_set: ["1.0"] matches 1.
func setMatcher(c *frame.Column, set []string) func(int) bool {
	strs := make(map[string]bool, len(set))
	nums := make(map[float64]bool, len(set))
	for _, s := range set {
		strs[s] = true
		if v, err := strconv.ParseFloat(s, 64); err == nil {
			nums[v] = true
		}
	}
	if c.Kind == frame.Float {
		return func(i int) bool { return nums[c.Floats[i]] }
	}
	return func(i int) bool { return strs[c.Format(i)] }
}

// passes applies mostly: with no values there is nothing to fail.
func passes(good, total int, mostly *float64) bool {
	if total == 0 {
		return true
	}
	need := 1.0
	if mostly != nil {
		need = *mostly
	}
	return float64(good)/float64(total) >= need
}

func within(v float64, lo, hi *float64) bool {
	if math.IsNaN(v) {
		return false
	}
	return (lo == nil || v >= *lo) && (hi == nil || v <= *hi)
}

func rangeText(lo, hi *float64) string {
	l, h := "-inf", "+inf"
	if lo != nil {
		l = strconv.FormatFloat(*lo, 'g', -1, 64)
	}
	if hi != nil {
		h = strconv.FormatFloat(*hi, 'g', -1, 64)
	}
	return "[" + l + ", " + h + "]"
}

func boundsText(ok bool, lo, hi *float64) string {
	if ok {
		return "within " + rangeText(lo, hi)
	}
	return "outside " + rangeText(lo, hi)
}

func mostlyText(mostly *float64) string {
	if mostly == nil {
		return ""
	}
	return fmt.Sprintf(", mostly %g", *mostly)
}

func fmtPct(p float64) string {
	return strconv.FormatFloat(p, 'g', 4, 64)
}

// notNumbers says which cells kept a numeric-looking column from being read
// as float, when that is why it is not float.
func notNumbers(c *frame.Column) string {
	if why := frame.NotNumbers(c); why != "" {
		return ": " + why
	}
	return ""
}
