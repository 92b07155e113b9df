package expect

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

const specYAML = `
expectations:
  - expect_column_values_to_not_be_null: {column: customer_id}
  - expect_column_values_to_be_between: {column: age, min_value: 0, max_value: 150}
  - expect_column_values_to_be_in_set: {column: status, value_set: [active, inactive], mostly: 0.99}
  - expect_column_to_exist: {column: plan}
  - expect_column_values_to_be_unique: {column: customer_id}
  - expect_table_row_count_to_be_between: {min_value: 100}
  - expect_column_values_to_be_in_set: {column: calls, value_set: [0, 1, 2.5]}
  - expect_column_values_to_be_in_set: {column: churned, value_set: [yes, no]}
`

func fp(v float64) *float64 { return &v }

func TestExpectationYAMLAndJSONRoundTrip(t *testing.T) {
	var doc struct {
		Expectations []Expectation `yaml:"expectations" json:"expectations"`
	}
	require.NoError(t, yaml.Unmarshal([]byte(specYAML), &doc))
	want := []Expectation{
		{Type: ValuesNotNull, Column: "customer_id"},
		{Type: ValuesBetween, Column: "age", Min: fp(0), Max: fp(150)},
		{Type: ValuesInSet, Column: "status", ValueSet: []string{"active", "inactive"}, Mostly: fp(0.99)},
		{Type: ColumnToExist, Column: "plan"},
		{Type: ValuesUnique, Column: "customer_id"},
		{Type: TableRowCountBetween, Min: fp(100)},
		{Type: ValuesInSet, Column: "calls", ValueSet: []string{"0", "1", "2.5"}},
		{Type: ValuesInSet, Column: "churned", ValueSet: []string{"yes", "no"}},
	}
	assert.Equal(t, want, doc.Expectations)

	js, err := json.Marshal(doc)
	require.NoError(t, err)
	assert.Contains(t, string(js), `{"expect_column_values_to_be_between":{"column":"age","min_value":0,"max_value":150}}`)
	var back struct {
		Expectations []Expectation `json:"expectations"`
	}
	require.NoError(t, json.Unmarshal(js, &back))
	assert.Equal(t, want, back.Expectations)

	y, err := yaml.Marshal(doc)
	require.NoError(t, err)
	var again struct {
		Expectations []Expectation `yaml:"expectations"`
	}
	require.NoError(t, yaml.Unmarshal(y, &again))
	assert.Equal(t, want, again.Expectations)
}

func TestExpectationDecodeErrors(t *testing.T) {
	cases := map[string]struct{ yaml, want string }{
		"unknown type": {
			"- expect_column_values_to_be_purple: {column: a}",
			`unknown expectation "expect_column_values_to_be_purple"`,
		},
		"missing column": {
			"- expect_column_values_to_not_be_null: {}",
			"expectation expect_column_values_to_not_be_null: column is required",
		},
		"missing bounds": {
			"- expect_column_values_to_be_between: {column: age}",
			"expectation expect_column_values_to_be_between(age): min_value or max_value (or both) is required",
		},
		"missing set": {
			"- expect_column_values_to_be_in_set: {column: status}",
			"value_set is required",
		},
		"typo argument": {
			"- expect_column_values_to_be_between: {column: age, min: 0}",
			`unknown argument "min"`,
		},
		"two keys": {
			"- {expect_column_to_exist: {column: a}, expect_column_values_to_be_unique: {column: a}}",
			"one-key map",
		},
		"mostly out of range": {
			"- expect_column_values_to_not_be_null: {column: a, mostly: 1.5}",
			"mostly must be in (0, 1], got 1.5",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var exps []Expectation
			err := yaml.Unmarshal([]byte(tc.yaml), &exps)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}

	var e Expectation
	err := json.Unmarshal([]byte(`{"expect_column_values_to_be_between":{"column":"age","minimum":1}}`), &e)
	assert.ErrorContains(t, err, `unknown field "minimum"`)
	err = json.Unmarshal([]byte(`{"expect_column_values_to_be_in_set":{"value_set":["a"]}}`), &e)
	assert.ErrorContains(t, err, "column is required")
}

func TestValidateAllNamesPosition(t *testing.T) {
	err := ValidateAll([]Expectation{{Type: ColumnToExist, Column: "a"}, {Type: ValuesUnique}})
	assert.EqualError(t, err, "expectations[2]: expectation expect_column_values_to_be_unique: column is required")
}

// Great Expectations' arguments decode from YAML and survive the JSON
// workflow input.
func TestNewArgumentsRoundTrip(t *testing.T) {
	in := `
- expect_column_values_to_match_regex: {column: code, regex: "^[A-Z]{2}-\\d+$", mostly: 0.9, severity: warning}
- expect_column_values_to_be_between: {column: age, min_value: 0, strict_min: true, row_condition: "plan = 'basic'", condition_parser: sql}
- expect_column_pair_values_a_to_be_greater_than_b: {column_A: spend, column_B: budget, or_equal: true}
- expect_table_columns_to_match_set: {column_list: [a, b], exact_match: false}
- expect_column_values_to_be_of_type: {column: age, type_: float}
- expect_column_psi_to_be_less_than: {column: age, threshold: 0.1}
`
	var exps []Expectation
	require.NoError(t, yaml.Unmarshal([]byte(in), &exps))
	want := []Expectation{
		{Type: ValuesMatchRegex, Column: "code", Regex: `^[A-Z]{2}-\d+$`, Mostly: fp(0.9), Severity: SeverityWarning},
		{Type: ValuesBetween, Column: "age", Min: fp(0), StrictMin: true, RowCondition: "plan = 'basic'"},
		{Type: PairAGreaterThanB, ColumnA: "spend", ColumnB: "budget", OrEqual: true},
		{Type: TableColumnsMatchSet, ColumnList: []string{"a", "b"}, ExactMatch: bp(false)},
		{Type: ValuesOfType, Column: "age", TypeName: "float"},
		{Type: PSILessThan, Column: "age", Threshold: fp(0.1)},
	}
	assert.Equal(t, want, exps)
	js, err := json.Marshal(exps)
	require.NoError(t, err)
	var back []Expectation
	require.NoError(t, json.Unmarshal(js, &back))
	assert.Equal(t, want, back)
}

func TestNewArgumentErrors(t *testing.T) {
	cases := map[string]struct{ yaml, want string }{
		"pandas parser": {`- expect_column_values_to_not_be_null: {column: a, row_condition: 'a > 1', condition_parser: pandas}`,
			`condition_parser "pandas" is not supported: row_condition is a SQL boolean expression over column names`},
		"severity":  {`- expect_column_values_to_not_be_null: {column: a, severity: fatal}`, `severity "fatal" is unknown: use error or warning`},
		"bad regex": {`- expect_column_values_to_match_regex: {column: a, regex: "a(b"}`, `regex "a(b" is not a valid regular expression (RE2 syntax): missing closing ): ` + "`a(b`"},
		"type_":     {`- expect_column_values_to_be_of_type: {column: a, type_: purple}`, `type_ "purple" is unknown: use one of float, int, string, time, bool`},
		"pair":      {`- expect_column_pair_values_a_to_be_greater_than_b: {column_A: a}`, "column_A and column_B are both required"},
		"psi":       {`- expect_column_psi_to_be_less_than: {column: a, threshold: 0}`, "threshold must be greater than 0, got 0"},
		"filter on table": {`- expect_table_columns_to_match_set: {column_list: [a], row_condition: "a > 1"}`,
			"row_condition is not used by this expectation"},
		"statement": {`- expect_column_values_to_not_be_null: {column: a, row_condition: "1=1; DELETE FROM t"}`, `may not contain ';'`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var exps []Expectation
			err := yaml.Unmarshal([]byte(tc.yaml), &exps)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}
