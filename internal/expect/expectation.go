package expect

import (
	"fmt"
	"sort"
	"strings"
)

// The supported expectation types, named as in Great Expectations.
const (
	ColumnToExist        = "expect_column_to_exist"
	ValuesNotNull        = "expect_column_values_to_not_be_null"
	ValuesBetween        = "expect_column_values_to_be_between"
	ValuesInSet          = "expect_column_values_to_be_in_set"
	ValuesUnique         = "expect_column_values_to_be_unique"
	MeanBetween          = "expect_column_mean_to_be_between"
	TableRowCountBetween = "expect_table_row_count_to_be_between"
)

// typeInfo says which arguments an expectation type needs and accepts.
type typeInfo struct {
	column bool // needs column
	bounds bool // needs min_value and/or max_value
	set    bool // needs value_set
	mostly bool // accepts mostly
}

var types = map[string]typeInfo{
	ColumnToExist:        {column: true},
	ValuesNotNull:        {column: true, mostly: true},
	ValuesBetween:        {column: true, bounds: true, mostly: true},
	ValuesInSet:          {column: true, set: true, mostly: true},
	ValuesUnique:         {column: true, mostly: true},
	MeanBetween:          {column: true, bounds: true},
	TableRowCountBetween: {bounds: true},
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
	Type     string
	Column   string
	Min      *float64 // min_value; nil means unbounded
	Max      *float64 // max_value; nil means unbounded
	ValueSet []string // value_set; numbers are kept as written
	Mostly   *float64 // fraction of non-null values that must pass; nil means 1
}

// Name is a short label for messages: the type and, when set, the column.
func (e Expectation) Name() string {
	if e.Column == "" {
		return e.Type
	}
	return fmt.Sprintf("%s(%s)", e.Type, e.Column)
}

// Validate reports an unknown type, a missing required argument or an
// argument out of range, naming the expectation and what to fix.
func (e Expectation) Validate() error {
	info, ok := types[e.Type]
	if !ok {
		return fmt.Errorf("unknown expectation %q: supported are %s", e.Type, strings.Join(Types(), ", "))
	}
	var problems []string
	if info.column && e.Column == "" {
		problems = append(problems, "column is required")
	}
	if !info.column && e.Column != "" {
		problems = append(problems, "column is not used by this expectation; remove it")
	}
	if info.bounds {
		if e.Min == nil && e.Max == nil {
			problems = append(problems, "min_value or max_value (or both) is required")
		}
		if e.Min != nil && e.Max != nil && *e.Min > *e.Max {
			problems = append(problems, fmt.Sprintf("min_value %g is greater than max_value %g", *e.Min, *e.Max))
		}
	} else if e.Min != nil || e.Max != nil {
		problems = append(problems, "min_value/max_value are not used by this expectation; remove them")
	}
	if info.set && len(e.ValueSet) == 0 {
		problems = append(problems, "value_set is required and must list at least one value")
	}
	if !info.set && e.ValueSet != nil {
		problems = append(problems, "value_set is not used by this expectation; remove it")
	}
	if e.Mostly != nil {
		if !info.mostly {
			problems = append(problems, "mostly is not used by this expectation; remove it")
		} else if *e.Mostly <= 0 || *e.Mostly > 1 {
			problems = append(problems, fmt.Sprintf("mostly must be in (0, 1], got %g", *e.Mostly))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("expectation %s: %s", e.Name(), strings.Join(problems, "; "))
	}
	return nil
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
