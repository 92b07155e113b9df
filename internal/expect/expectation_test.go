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
