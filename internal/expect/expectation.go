package expect

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// The supported expectation types, named as in Great Expectations.
const (
	ColumnToExist          = "expect_column_to_exist"
	ValuesNotNull          = "expect_column_values_to_not_be_null"
	ValuesBetween          = "expect_column_values_to_be_between"
	ValuesInSet            = "expect_column_values_to_be_in_set"
	ValuesNotInSet         = "expect_column_values_to_not_be_in_set"
	ValuesUnique           = "expect_column_values_to_be_unique"
	ValuesMatchRegex       = "expect_column_values_to_match_regex"
	ValuesNotMatchRegex    = "expect_column_values_to_not_match_regex"
	ValuesOfType           = "expect_column_values_to_be_of_type"
	ValueLengthsBetween    = "expect_column_value_lengths_to_be_between"
	TableColumnsMatchSet   = "expect_table_columns_to_match_set"
	TableColumnsMatchList  = "expect_table_columns_to_match_ordered_list"
	TableRowCountBetween   = "expect_table_row_count_to_be_between"
	MinBetween             = "expect_column_min_to_be_between"
	MaxBetween             = "expect_column_max_to_be_between"
	MeanBetween            = "expect_column_mean_to_be_between"
	MedianBetween          = "expect_column_median_to_be_between"
	StdevBetween           = "expect_column_stdev_to_be_between"
	SumBetween             = "expect_column_sum_to_be_between"
	ProportionUniqueBetwen = "expect_column_proportion_of_unique_values_to_be_between"
	DistinctValuesInSet    = "expect_column_distinct_values_to_be_in_set"
	PairAGreaterThanB      = "expect_column_pair_values_a_to_be_greater_than_b"
	CompoundUnique         = "expect_compound_columns_to_be_unique"
	PSILessThan            = "expect_column_psi_to_be_less_than"
)

// Severities: an error stops the pipeline, a warning is recorded and
// carried into its status.
const (
	SeverityError   = "error"
	SeverityWarning = "warning"
)

// DefaultPSIThreshold is expect_column_psi_to_be_less_than's threshold when
// none is given: above 0.25 is the usual reading of a major shift.
const DefaultPSIThreshold = 0.25

// typeInfo says which arguments an expectation type needs and accepts.
type typeInfo struct {
	column   bool // needs column
	bounds   bool // needs min_value and/or max_value
	strict   bool // accepts strict_min/strict_max
	set      bool // needs value_set
	mostly   bool // accepts mostly (a per-row expectation)
	regex    bool // needs regex
	typ      bool // needs type_
	list     bool // needs column_list
	exact    bool // accepts exact_match
	pair     bool // needs column_A and column_B, accepts or_equal
	psi      bool // accepts threshold
	numeric  bool // the column must be numeric
	aggStat  bool // observed_value is an aggregate (no per-row unexpected values)
	noFilter bool // row_condition does not apply (a table-level expectation)
}

var types = map[string]typeInfo{
	ColumnToExist:          {column: true, noFilter: true},
	ValuesNotNull:          {column: true, mostly: true},
	ValuesBetween:          {column: true, bounds: true, strict: true, mostly: true, numeric: true},
	ValuesInSet:            {column: true, set: true, mostly: true},
	ValuesNotInSet:         {column: true, set: true, mostly: true},
	ValuesUnique:           {column: true, mostly: true},
	ValuesMatchRegex:       {column: true, regex: true, mostly: true},
	ValuesNotMatchRegex:    {column: true, regex: true, mostly: true},
	ValuesOfType:           {column: true, typ: true, noFilter: true},
	ValueLengthsBetween:    {column: true, bounds: true, strict: true, mostly: true},
	TableColumnsMatchSet:   {list: true, exact: true, noFilter: true},
	TableColumnsMatchList:  {list: true, noFilter: true},
	TableRowCountBetween:   {bounds: true, aggStat: true},
	MinBetween:             {column: true, bounds: true, strict: true, numeric: true, aggStat: true},
	MaxBetween:             {column: true, bounds: true, strict: true, numeric: true, aggStat: true},
	MeanBetween:            {column: true, bounds: true, strict: true, numeric: true, aggStat: true},
	MedianBetween:          {column: true, bounds: true, strict: true, numeric: true, aggStat: true},
	StdevBetween:           {column: true, bounds: true, strict: true, numeric: true, aggStat: true},
	SumBetween:             {column: true, bounds: true, strict: true, numeric: true, aggStat: true},
	ProportionUniqueBetwen: {column: true, bounds: true, strict: true, aggStat: true},
	DistinctValuesInSet:    {column: true, set: true, aggStat: true},
	PairAGreaterThanB:      {pair: true, mostly: true},
	CompoundUnique:         {list: true, mostly: true},
	PSILessThan:            {column: true, psi: true, aggStat: true},
}

// Types lists the supported expectation types, sorted.
func Types() []string {
	out := make([]string, 0, len(types))
	for t := range types {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// Expectation is one Great Expectations-style assertion. In YAML and JSON it
// is written as a one-key map from the type to its arguments:
//
//   - expect_column_values_to_be_between: {column: age, min_value: 0, max_value: 150}
//
// In memory it is flat so code can switch on Type.
type Expectation struct {
	Type   string
	Column string
	Min    *float64 // min_value; nil means unbounded
	Max    *float64 // max_value; nil means unbounded
	// StrictMin and StrictMax exclude the bound itself.
	StrictMin, StrictMax bool
	ValueSet             []string // value_set; numbers are kept as written
	Mostly               *float64 // fraction of non-null values that must pass; nil means 1
	Regex                string   // regex (RE2 syntax, matched anywhere in the value)
	TypeName             string   // type_
	ColumnList           []string // column_list
	ExactMatch           *bool    // exact_match; nil means true
	ColumnA, ColumnB     string   // column_A, column_B
	OrEqual              bool     // or_equal
	Threshold            *float64 // threshold (PSI); nil means DefaultPSIThreshold
	// RowCondition restricts the expectation to the rows where this SQL
	// boolean expression over column names holds.
	RowCondition string
	// Severity is SeverityError (the default) or SeverityWarning.
	Severity string
}

// Name is a short label for messages: the type and, when set, the column(s).
func (e Expectation) Name() string {
	switch {
	case e.Column != "":
		return fmt.Sprintf("%s(%s)", e.Type, e.Column)
	case e.ColumnA != "" || e.ColumnB != "":
		return fmt.Sprintf("%s(%s, %s)", e.Type, e.ColumnA, e.ColumnB)
	case len(e.ColumnList) > 0:
		return fmt.Sprintf("%s(%s)", e.Type, strings.Join(e.ColumnList, ", "))
	}
	return e.Type
}

// IsWarning reports whether a failure of e is only a warning.
func (e Expectation) IsWarning() bool { return e.Severity == SeverityWarning }

// Columns lists every column e reads, in the order it names them.
func (e Expectation) Columns() []string {
	var out []string
	if e.Column != "" {
		out = append(out, e.Column)
	}
	if e.ColumnA != "" {
		out = append(out, e.ColumnA)
	}
	if e.ColumnB != "" {
		out = append(out, e.ColumnB)
	}
	if e.Type == CompoundUnique {
		out = append(out, e.ColumnList...)
	}
	return out
}

// Validate reports an unknown type, a missing required argument or an
// argument out of range, naming the expectation and what to fix. It needs
// no data; Evaluate checks columns, types and row conditions against the
// data before scanning.
func (e Expectation) Validate() error {
	info, ok := types[e.Type]
	if !ok {
		return fmt.Errorf("unknown expectation %q: supported are %s", e.Type, strings.Join(Types(), ", "))
	}
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if info.column && e.Column == "" {
		add("column is required")
	}
	if !info.column && e.Column != "" {
		add("column is not used by this expectation; remove it")
	}
	if info.bounds {
		if e.Min == nil && e.Max == nil {
			add("min_value or max_value (or both) is required")
		}
		if e.Min != nil && e.Max != nil && *e.Min > *e.Max {
			add("min_value %g is greater than max_value %g", *e.Min, *e.Max)
		}
	} else if e.Min != nil || e.Max != nil {
		add("min_value/max_value are not used by this expectation; remove them")
	}
	if !info.strict && (e.StrictMin || e.StrictMax) {
		add("strict_min/strict_max are not used by this expectation; remove them")
	}
	if info.set && len(e.ValueSet) == 0 {
		add("value_set is required and must list at least one value")
	}
	if !info.set && e.ValueSet != nil {
		add("value_set is not used by this expectation; remove it")
	}
	if info.regex {
		if e.Regex == "" {
			add("regex is required")
		} else if _, err := regexp.Compile(e.Regex); err != nil {
			add("regex %q is not a valid regular expression (RE2 syntax): %v", e.Regex, unwrapRegexp(err))
		}
	} else if e.Regex != "" {
		add("regex is not used by this expectation; remove it")
	}
	if info.typ {
		if e.TypeName == "" {
			add("type_ is required: one of %s", strings.Join(typeNames(), ", "))
		} else if _, ok := typeFamily(e.TypeName); !ok {
			add("type_ %q is unknown: use one of %s", e.TypeName, strings.Join(typeNames(), ", "))
		}
	} else if e.TypeName != "" {
		add("type_ is not used by this expectation; remove it")
	}
	if info.list {
		if len(e.ColumnList) == 0 {
			add("column_list is required and must list at least one column")
		}
	} else if e.ColumnList != nil {
		add("column_list is not used by this expectation; remove it")
	}
	if !info.exact && e.ExactMatch != nil {
		add("exact_match is not used by this expectation; remove it")
	}
	if info.pair {
		if e.ColumnA == "" || e.ColumnB == "" {
			add("column_A and column_B are both required")
		}
	} else if e.ColumnA != "" || e.ColumnB != "" || e.OrEqual {
		add("column_A/column_B/or_equal are not used by this expectation; remove them")
	}
	if info.psi {
		if e.Threshold != nil && *e.Threshold <= 0 {
			add("threshold must be greater than 0, got %g", *e.Threshold)
		}
	} else if e.Threshold != nil {
		add("threshold is not used by this expectation; remove it")
	}
	if e.Mostly != nil {
		if !info.mostly {
			add("mostly is not used by this expectation; remove it")
		} else if *e.Mostly <= 0 || *e.Mostly > 1 {
			add("mostly must be in (0, 1], got %g", *e.Mostly)
		}
	}
	if e.RowCondition != "" {
		if info.noFilter {
			add("row_condition is not used by this expectation (it looks at the table, not rows); remove it")
		} else if err := checkCondition(e.RowCondition); err != nil {
			add("row_condition: %v", err)
		}
	}
	switch e.Severity {
	case "", SeverityError, SeverityWarning:
	default:
		add("severity %q is unknown: use error or warning", e.Severity)
	}
	if len(problems) > 0 {
		return fmt.Errorf("expectation %s: %s", e.Name(), strings.Join(problems, "; "))
	}
	return nil
}

// unwrapRegexp drops regexp's "error parsing regexp: " prefix, which the
// message already says in words.
func unwrapRegexp(err error) string {
	return strings.TrimPrefix(err.Error(), "error parsing regexp: ")
}

// ValidateAll validates a list, naming each bad entry by its 1-based position.
func ValidateAll(exps []Expectation) error {
	var errs []string
	for i, e := range exps {
		if err := e.Validate(); err != nil {
			errs = append(errs, fmt.Sprintf("expectations[%d]: %v", i+1, err))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	return nil
}
