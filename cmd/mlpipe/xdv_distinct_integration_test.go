package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// `mlpipe validate` on a column of 120 distinct values: the distinct
// values in a set keep the first 50 in sort order as observed_value (Great
// Expectations lists all), say how many there are and that the list is cut
// short, in the JSON report and in the line a user reads; the proportion
// of unique values reports its distinct count.
func TestXdvDistinctValuesReportOnTheCommandLine(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildMlpipe(t)
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("code,plan\n")
	for i := 0; i < 240; i++ {
		plan := "basic"
		if i%2 == 1 {
			plan = "pro"
		}
		fmt.Fprintf(&b, "k%03d,%s\n", i%120, plan)
	}
	b.WriteString(",basic\n")
	data := filepath.Join(dir, "codes.csv")
	require.NoError(t, os.WriteFile(data, []byte(b.String()), 0o644))
	suite := filepath.Join(dir, "suite.yaml")
	require.NoError(t, os.WriteFile(suite, []byte(`expectations:
  - expect_column_distinct_values_to_be_in_set: {column: code, value_set: [k000, k001]}
  - expect_column_proportion_of_unique_values_to_be_between: {column: code, min_value: 0.5}
  - expect_column_distinct_values_to_be_in_set: {column: plan, value_set: [basic, pro]}
`), 0o644))

	out, all, code := dpxRun(t, bin, "validate", "--suite", suite, data, "--json")
	require.Equal(t, 1, code, all)
	var rep struct {
		Results []struct {
			Success bool   `json:"success"`
			Message string `json:"message"`
			Result  struct {
				ObservedValue          any   `json:"observed_value"`
				DistinctCount          int64 `json:"distinct_count"`
				ObservedValueTruncated bool  `json:"observed_value_truncated"`
				PartialUnexpectedList  []any `json:"partial_unexpected_list"`
			} `json:"result"`
		} `json:"results"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &rep), out)
	require.Len(t, rep.Results, 3, out)
	in, prop, plan := rep.Results[0], rep.Results[1], rep.Results[2]
	assert.False(t, in.Success)
	assert.Equal(t, int64(120), in.Result.DistinctCount)
	assert.True(t, in.Result.ObservedValueTruncated)
	observed, ok := in.Result.ObservedValue.([]any)
	require.True(t, ok, out)
	require.Len(t, observed, 50)
	assert.Equal(t, []any{"k000", "k001", "k002"}, observed[:3])
	assert.Equal(t, "k049", observed[49])
	assert.Len(t, in.Result.PartialUnexpectedList, 20)
	assert.Equal(t, "k002", in.Result.PartialUnexpectedList[0])
	assert.Equal(t, "118 distinct value(s) not in [k000, k001] (observed_value lists the first 50 of 120 distinct values)", in.Message)

	assert.True(t, prop.Success, "120 distinct of 240 non-null values is 0.5: %s", prop.Message)
	assert.Equal(t, 0.5, prop.Result.ObservedValue)
	assert.Equal(t, int64(120), prop.Result.DistinctCount)

	assert.True(t, plan.Success, plan.Message)
	assert.Equal(t, []any{"basic", "pro"}, plan.Result.ObservedValue)
	assert.False(t, plan.Result.ObservedValueTruncated)

	_, all, code = dpxRun(t, bin, "validate", "--suite", suite, data)
	assert.Equal(t, 1, code, all)
	assert.Contains(t, all, "observed_value lists the first 50 of 120 distinct values", all)
}
