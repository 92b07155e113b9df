package expect

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// args is the argument map of an expectation as written in a spec.
type args struct {
	Column          string   `yaml:"column,omitempty" json:"column,omitempty"`
	MinValue        *float64 `yaml:"min_value,omitempty" json:"min_value,omitempty"`
	MaxValue        *float64 `yaml:"max_value,omitempty" json:"max_value,omitempty"`
	StrictMin       bool     `yaml:"strict_min,omitempty" json:"strict_min,omitempty"`
	StrictMax       bool     `yaml:"strict_max,omitempty" json:"strict_max,omitempty"`
	ValueSet        []any    `yaml:"value_set,omitempty" json:"value_set,omitempty"`
	Mostly          *float64 `yaml:"mostly,omitempty" json:"mostly,omitempty"`
	Regex           string   `yaml:"regex,omitempty" json:"regex,omitempty"`
	Type            string   `yaml:"type_,omitempty" json:"type_,omitempty"`
	ColumnList      []string `yaml:"column_list,omitempty" json:"column_list,omitempty"`
	ExactMatch      *bool    `yaml:"exact_match,omitempty" json:"exact_match,omitempty"`
	ColumnA         string   `yaml:"column_A,omitempty" json:"column_A,omitempty"`
	ColumnB         string   `yaml:"column_B,omitempty" json:"column_B,omitempty"`
	OrEqual         bool     `yaml:"or_equal,omitempty" json:"or_equal,omitempty"`
	Threshold       *float64 `yaml:"threshold,omitempty" json:"threshold,omitempty"`
	RowCondition    string   `yaml:"row_condition,omitempty" json:"row_condition,omitempty"`
	ConditionParser string   `yaml:"condition_parser,omitempty" json:"condition_parser,omitempty"`
	Severity        string   `yaml:"severity,omitempty" json:"severity,omitempty"`
}

var argNames = []string{"column", "column_A", "column_B", "column_list", "condition_parser", "exact_match",
	"max_value", "min_value", "mostly", "or_equal", "regex", "row_condition", "severity", "strict_max",
	"strict_min", "threshold", "type_", "value_set"}

func (a args) toExpectation(typ string) (Expectation, error) {
	e := Expectation{
		Type: typ, Column: a.Column, Min: a.MinValue, Max: a.MaxValue, StrictMin: a.StrictMin, StrictMax: a.StrictMax,
		Mostly: a.Mostly, Regex: a.Regex, TypeName: a.Type, ColumnList: a.ColumnList, ExactMatch: a.ExactMatch,
		ColumnA: a.ColumnA, ColumnB: a.ColumnB, OrEqual: a.OrEqual, Threshold: a.Threshold,
		RowCondition: a.RowCondition, Severity: a.Severity,
	}
	// Great Expectations parses row_condition as pandas or Spark; mlpipe
	// reads it as SQL, and says so rather than misreading another syntax.
	if p := a.ConditionParser; p != "" && p != "sql" {
		return Expectation{}, fmt.Errorf("expectation %s: condition_parser %q is not supported: row_condition is a SQL boolean expression over column names (condition_parser: sql, or leave it out)", e.Name(), p)
	}
	if a.ValueSet != nil {
		e.ValueSet = make([]string, len(a.ValueSet))
		for i, v := range a.ValueSet {
			s, err := setValue(v)
			if err != nil {
				return Expectation{}, fmt.Errorf("expectation %s: value_set[%d]: %w", e.Name(), i, err)
			}
			e.ValueSet[i] = s
		}
	}
	return e, nil
}

// setValue turns a YAML/JSON scalar into the string it is compared as, so
// value_set: [1, 2] works on a numeric column and [yes, no] on a string one.
func setValue(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case json.Number:
		return x.String(), nil
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), nil
	case int:
		return strconv.Itoa(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case uint64:
		return strconv.FormatUint(x, 10), nil
	case bool:
		return strconv.FormatBool(x), nil
	}
	return "", fmt.Errorf("%v (%T) is not a scalar; value_set lists strings or numbers", v, v)
}

func fromExpectation(e Expectation) args {
	a := args{
		Column: e.Column, MinValue: e.Min, MaxValue: e.Max, StrictMin: e.StrictMin, StrictMax: e.StrictMax,
		Mostly: e.Mostly, Regex: e.Regex, Type: e.TypeName, ColumnList: e.ColumnList, ExactMatch: e.ExactMatch,
		ColumnA: e.ColumnA, ColumnB: e.ColumnB, OrEqual: e.OrEqual, Threshold: e.Threshold,
		RowCondition: e.RowCondition, Severity: e.Severity,
	}
	if e.ValueSet != nil {
		a.ValueSet = make([]any, len(e.ValueSet))
		for i, s := range e.ValueSet {
			a.ValueSet[i] = s
		}
	}
	return a
}

// UnmarshalYAML reads the one-key-map form and validates it.
func (e *Expectation) UnmarshalYAML(node *yaml.Node) error {
	if node.Kind != yaml.MappingNode || len(node.Content) != 2 {
		return fmt.Errorf("line %d: an expectation is a one-key map like `expect_column_values_to_not_be_null: {column: id}`", node.Line)
	}
	typ, body := node.Content[0].Value, node.Content[1]
	if body.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: %s: arguments must be a map like {column: id}", node.Line, typ)
	}
	for i := 0; i < len(body.Content); i += 2 {
		if k := body.Content[i].Value; !isArgName(k) {
			return fmt.Errorf("line %d: %s: unknown argument %q: use %s", body.Content[i].Line, typ, k, strings.Join(argNames, ", "))
		}
	}
	var a args
	if err := body.Decode(&a); err != nil {
		return fmt.Errorf("line %d: %s: %w", node.Line, typ, err)
	}
	got, err := a.toExpectation(typ)
	if err != nil {
		return fmt.Errorf("line %d: %w", node.Line, err)
	}
	if err := got.Validate(); err != nil {
		return fmt.Errorf("line %d: %w", node.Line, err)
	}
	*e = got
	return nil
}

// MarshalYAML writes the one-key-map form.
func (e Expectation) MarshalYAML() (any, error) {
	return map[string]args{e.Type: fromExpectation(e)}, nil
}

// MarshalJSON writes the one-key-map form, so a spec's expectations travel
// through the JSON workflow input unchanged.
func (e Expectation) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]args{e.Type: fromExpectation(e)})
}

// UnmarshalJSON reads the one-key-map form and validates it.
func (e *Expectation) UnmarshalJSON(b []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("an expectation is a one-key object like {\"expect_column_values_to_not_be_null\": {\"column\": \"id\"}}: %w", err)
	}
	if len(m) != 1 {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return fmt.Errorf("an expectation is a one-key object, got keys [%s]", strings.Join(keys, ", "))
	}
	for typ, raw := range m {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		dec.UseNumber()
		var a args
		if err := dec.Decode(&a); err != nil {
			return fmt.Errorf("%s: %w (arguments are %s)", typ, err, strings.Join(argNames, ", "))
		}
		got, err := a.toExpectation(typ)
		if err != nil {
			return err
		}
		if err := got.Validate(); err != nil {
			return err
		}
		*e = got
	}
	return nil
}

func isArgName(k string) bool {
	for _, n := range argNames {
		if n == k {
			return true
		}
	}
	return false
}
