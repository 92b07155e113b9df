package expect

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// maxPartial bounds the sample of unexpected values kept per result, as
// Great Expectations' partial_unexpected_list does.
const maxPartial = 20

// Report is the outcome of Evaluate, in Great Expectations' validation
// result format: success, statistics, and one result per expectation.
type Report struct {
	// Success is false when an error-severity expectation failed; failed
	// warnings leave it true.
	Success    bool       `json:"success"`
	Statistics Statistics `json:"statistics"`
	Results    []Result   `json:"results"`
	Meta       ReportMeta `json:"meta"`
}

// Statistics are the suite's counts, as Great Expectations names them.
type Statistics struct {
	Evaluated      int     `json:"evaluated_expectations"`
	Successful     int     `json:"successful_expectations"`
	Unsuccessful   int     `json:"unsuccessful_expectations"`
	SuccessPercent float64 `json:"success_percent"`
	// Warnings counts the unsuccessful expectations whose severity is warning.
	Warnings int `json:"warnings"`
}

// ReportMeta says what was validated and when.
type ReportMeta struct {
	Data string `json:"data_asset,omitempty"`
	Rows int64  `json:"rows"`
	// Columns are the data's columns with their SQL types, in order.
	Columns []ColumnType `json:"columns,omitempty"`
	RunTime time.Time    `json:"run_time,omitzero"`
}

// ColumnType is a column of the validated data and its SQL type.
type ColumnType struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// Result is the outcome of one expectation or check.
type Result struct {
	Success bool   `json:"success"`
	Config  Config `json:"expectation_config"`
	Result  Detail `json:"result"`
	// Where names the expectation in the suite: "expectations[3]" or
	// "validation.schema.age".
	Where string `json:"where"`
	// Message says in words what was found, e.g. "null fraction 0.12 > 0.05".
	Message string `json:"message,omitempty"`
	// Skipped is set when the expectation could not be evaluated for a
	// reason that is not the data's fault (no reference profile yet); a
	// skipped expectation counts as successful.
	Skipped string `json:"skipped,omitempty"`
}

// Config is the expectation as configured: its type, its arguments and
// its severity.
type Config struct {
	Type   string         `json:"expectation_type"`
	Kwargs map[string]any `json:"kwargs"`
	Meta   ConfigMeta     `json:"meta"`
}

// ConfigMeta carries mlpipe's additions to an expectation's configuration.
type ConfigMeta struct {
	Severity string `json:"severity"`
}

// Detail is Great Expectations' "result" object. Per-row expectations fill
// the counts; aggregate ones fill ObservedValue.
type Detail struct {
	ElementCount                *int64   `json:"element_count,omitempty"`
	MissingCount                *int64   `json:"missing_count,omitempty"`
	MissingPercent              *float64 `json:"missing_percent,omitempty"`
	UnexpectedCount             *int64   `json:"unexpected_count,omitempty"`
	UnexpectedPercent           *float64 `json:"unexpected_percent,omitempty"`
	UnexpectedPercentNonmissing *float64 `json:"unexpected_percent_nonmissing,omitempty"`
	PartialUnexpectedList       []any    `json:"partial_unexpected_list,omitempty"`
	// PartialUnexpectedIndexList holds 1-based data rows (after the
	// header) of missing values, for expect_column_values_to_not_be_null.
	PartialUnexpectedIndexList []int64 `json:"partial_unexpected_index_list,omitempty"`
	ObservedValue              any     `json:"observed_value,omitempty"`
	// DistinctCount is the number of distinct non-null values, for
	// expect_column_proportion_of_unique_values_to_be_between and
	// expect_column_distinct_values_to_be_in_set.
	DistinctCount *int64 `json:"distinct_count,omitempty"`
	// ObservedValueTruncated says observed_value lists only the first
	// distinct values in sort order (Great Expectations lists them all):
	// DistinctCount has how many there are.
	ObservedValueTruncated bool `json:"observed_value_truncated,omitempty"`
}

// Type is the expectation type or the check name.
func (r Result) Type() string { return r.Config.Type }

// Column is the column the result is about, "" for a table-level one.
func (r Result) Column() string {
	if c, ok := r.Config.Kwargs["column"].(string); ok {
		return c
	}
	if a, ok := r.Config.Kwargs["column_A"].(string); ok {
		b, _ := r.Config.Kwargs["column_B"].(string)
		return a + ", " + b
	}
	if l, ok := r.Config.Kwargs["column_list"].([]any); ok && r.Config.Type == CompoundUnique {
		parts := make([]string, len(l))
		for i, v := range l {
			parts[i] = fmt.Sprint(v)
		}
		return strings.Join(parts, ", ")
	}
	return ""
}

// IsWarning reports whether the result's severity is warning.
func (r Result) IsWarning() bool { return r.Config.Meta.Severity == SeverityWarning }

// Evaluated is the number of expectations and checks evaluated.
func (r Report) Evaluated() int { return r.Statistics.Evaluated }

// Failed is the number that failed, warnings included.
func (r Report) Failed() int { return r.Statistics.Unsuccessful }

// Failures lists the failed results of error severity.
func (r Report) Failures() []Result {
	var out []Result
	for _, res := range r.Results {
		if !res.Success && !res.IsWarning() {
			out = append(out, res)
		}
	}
	return out
}

// Warnings lists one line per failed warning-severity expectation.
func (r Report) Warnings() []string {
	var out []string
	for _, res := range r.Results {
		if !res.Success && res.IsWarning() {
			out = append(out, res.Line())
		}
	}
	return out
}

// Summary is one paragraph for a person: what passed, and for each
// error-severity failure `where column: check, N unexpected of M (detail)`.
func (r Report) Summary() string {
	fails := r.Failures()
	if len(fails) == 0 {
		s := fmt.Sprintf("data validation passed: %d of %d checks succeeded", r.Statistics.Successful, r.Statistics.Evaluated)
		if w := r.Statistics.Warnings; w > 0 {
			s += fmt.Sprintf(", %d warning(s): %s", w, strings.Join(r.Warnings(), "; "))
		}
		return s + "."
	}
	parts := make([]string, len(fails))
	for i, res := range fails {
		parts[i] = res.Line()
	}
	return fmt.Sprintf("data validation failed: %d of %d checks failed: %s.", len(fails), r.Statistics.Evaluated, strings.Join(parts, "; "))
}

// Line is the result in one line:
// `column: type, N unexpected of M (message; e.g. a, b) [where]`.
func (res Result) Line() string {
	var b strings.Builder
	if c := res.Column(); c != "" {
		b.WriteString(c)
	} else {
		b.WriteString("table")
	}
	b.WriteString(": ")
	b.WriteString(res.Config.Type)
	d := res.Result
	if d.UnexpectedCount != nil && *d.UnexpectedCount > 0 && d.ElementCount != nil {
		fmt.Fprintf(&b, ", %d unexpected of %d", *d.UnexpectedCount, *d.ElementCount)
	}
	detail := res.Message
	if sample := res.Result.PartialUnexpectedList; len(sample) > 0 {
		if len(sample) > 5 {
			sample = sample[:5]
		}
		parts := make([]string, len(sample))
		for i, v := range sample {
			parts[i] = formatValue(v)
		}
		detail += "; e.g. " + strings.Join(parts, ", ")
	}
	if detail != "" {
		fmt.Fprintf(&b, " (%s)", detail)
	}
	if res.Where != "" {
		fmt.Fprintf(&b, " [%s]", res.Where)
	}
	return b.String()
}

// formatValue renders a sampled value: strings as they are, the rest as JSON.
func formatValue(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return "null"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func (r *Report) tally() {
	st := Statistics{Evaluated: len(r.Results)}
	for _, res := range r.Results {
		switch {
		case res.Success:
			st.Successful++
		case res.IsWarning():
			st.Unsuccessful++
			st.Warnings++
		default:
			st.Unsuccessful++
		}
	}
	if st.Evaluated > 0 {
		st.SuccessPercent = 100 * float64(st.Successful) / float64(st.Evaluated)
	} else {
		st.SuccessPercent = 100
	}
	r.Statistics = st
	r.Success = st.Unsuccessful == st.Warnings
}

// kwargs renders an expectation's arguments as Great Expectations' kwargs.
func kwargs(e Expectation) map[string]any {
	b, err := json.Marshal(fromExpectation(e))
	if err != nil {
		return map[string]any{"error": err.Error()}
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return map[string]any{"error": err.Error()}
	}
	delete(m, "severity")
	return m
}

func severity(e Expectation) string {
	if e.Severity == "" {
		return SeverityError
	}
	return e.Severity
}
