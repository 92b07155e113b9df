package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/converter"

	"github.com/mlpipe/mlpipe/activities"
	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/workflows"
)

// vxValidation is what the history says of a pipeline's ValidateData: its
// result when it passed, its failure's message and details when it failed.
type vxValidation struct {
	Result  activities.ValidateDataResult
	Failure string
	Report  artifact.Ref
	Details activities.ValidationFailure
}

func (s *stack) vxValidationFromHistory(id string) vxValidation {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	it := s.srv.Client.GetWorkflowHistory(ctx, id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var out vxValidation
	scheduled := int64(-1)
	dc := converter.GetDefaultDataConverter()
	for it.HasNext() {
		ev, err := it.Next()
		require.NoError(s.t, err)
		switch {
		case ev.GetActivityTaskScheduledEventAttributes().GetActivityType().GetName() == "ValidateData":
			scheduled = ev.GetEventId()
		case ev.GetActivityTaskFailedEventAttributes() != nil && ev.GetActivityTaskFailedEventAttributes().GetScheduledEventId() == scheduled:
			f := ev.GetActivityTaskFailedEventAttributes().GetFailure()
			out.Failure = f.GetMessage()
			info := f.GetApplicationFailureInfo()
			require.Equal(s.t, activities.ErrValidationFailed, info.GetType())
			require.NoError(s.t, dc.FromPayloads(info.GetDetails(), &out.Report, &out.Details))
		case ev.GetActivityTaskCompletedEventAttributes() != nil && ev.GetActivityTaskCompletedEventAttributes().GetScheduledEventId() == scheduled:
			require.NoError(s.t, dc.FromPayloads(ev.GetActivityTaskCompletedEventAttributes().GetResult(), &out.Result))
		}
	}
	require.GreaterOrEqual(s.t, scheduled, int64(0), "ValidateData was never scheduled")
	return out
}

// vxRead reads a file:// artifact.
func (s *stack) vxRead(ref artifact.Ref) string {
	p, ok := strings.CutPrefix(ref.URI, "file://")
	require.True(s.t, ok, "a local artifact: %s", ref.URI)
	b, err := os.ReadFile(p)
	require.NoError(s.t, err)
	return string(b)
}

// An error-severity expectation that fails stops the pipeline at
// validation: the failure lists each failed expectation and where the data
// doc is, and the doc is written. A warning-severity one lets the pipeline
// go on and is carried in the stage's result.
func TestValidationSeverityOnTheRealStack(t *testing.T) {
	s := startStack(t)
	spec := filepath.Join(s.specDir, "pipeline.yaml")

	failing := `expectations=[` +
		`{expect_column_values_to_not_be_null: {column: customer_id}},` +
		`{expect_column_values_to_match_regex: {column: customer_id, regex: "^Z", mostly: 0.9}},` +
		`{expect_column_mean_to_be_between: {column: age, max_value: 1}},` +
		`{expect_column_values_to_be_between: {column: age, max_value: 30, severity: warning}}]`
	out, code := s.mlpipe("run", "-f", spec, "--id", "vx-fail", "--detach", "--set", failing)
	require.Equal(t, 0, code, out)
	st := s.waitForState("vx-fail", workflows.StateFailed)
	var validation workflows.StageStatus
	for _, stage := range st.Stages {
		if stage.Name == "data_validation" {
			validation = stage
		}
		if stage.Name == "feature_engineering" {
			assert.NotEqual(t, workflows.StateSucceeded, stage.State, "nothing runs after a failed validation")
		}
	}
	assert.Equal(t, workflows.StateFailed, validation.State)
	require.NotNil(t, st.Result)
	assert.Regexp(t, `data validation failed: 2 of \d+ checks failed: `, st.Result.Reason)
	assert.Contains(t, st.Result.Reason, "customer_id: expect_column_values_to_match_regex, 3000 unexpected of 3000 (100% of 3000 non-null values not matching ^Z, mostly 0.9; e.g. ")
	assert.Contains(t, st.Result.Reason, "[expectations[2]]")
	assert.Contains(t, st.Result.Reason, "age: expect_column_mean_to_be_between (mean ")
	assert.NotContains(t, st.Result.Reason, "expect_column_values_to_be_between", "a warning does not stop the run")

	v := s.vxValidationFromHistory("vx-fail")
	require.Len(t, v.Details.Failures, 2)
	assert.Contains(t, v.Details.Failures[0], "[expectations[2]]")
	assert.Contains(t, v.Details.Failures[1], "[expectations[3]]")
	require.Len(t, v.Details.Warnings, 1)
	assert.Contains(t, v.Details.Warnings[0], "age: expect_column_values_to_be_between")
	assert.Contains(t, v.Failure, "data doc: "+v.Details.DataDoc.URI)
	doc := s.vxRead(v.Details.DataDoc)
	assert.Contains(t, doc, ">FAILED<")
	assert.Contains(t, doc, "expect_column_values_to_match_regex")
	assert.Contains(t, s.vxRead(v.Report), `"unsuccessful_expectations": 3`)

	warning := `expectations=[{expect_column_values_to_be_between: {column: age, max_value: 30, severity: warning}}]`
	out, code = s.mlpipe("run", "-f", spec, "--id", "vx-warn", "--detach", "--set", warning)
	require.Equal(t, 0, code, out)
	require.Eventually(t, func() bool {
		st, err := pipelineStatus(context.Background(), s.srv.Client, "vx-warn")
		if err != nil {
			return false
		}
		for _, stage := range st.Stages {
			if stage.Name == "feature_engineering" && stage.State != workflows.StatePending {
				return true
			}
		}
		return terminal(st.State)
	}, 2*time.Minute, 200*time.Millisecond, "the pipeline goes on past a warning")
	v = s.vxValidationFromHistory("vx-warn")
	assert.Empty(t, v.Failure)
	require.Len(t, v.Result.Warnings, 1)
	assert.Contains(t, v.Result.Warnings[0], "age: expect_column_values_to_be_between, ")
	assert.Contains(t, v.Result.Warnings[0], "[expectations[1]]")
	assert.Contains(t, s.vxRead(v.Result.DataDoc), ">PASSED WITH WARNINGS<")
	_ = s.temporal("workflow", "terminate", "-w", "vx-warn", "--reason", "test done")
}

// `mlpipe validate` exits 0 on success, 1 when an error-severity
// expectation fails, 2 on a suite that does not fit the data; it prints a
// table, or the report as JSON, and writes the data doc.
func TestValidateCommandExitCodes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildMlpipe(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "people.csv")
	require.NoError(t, os.WriteFile(data, []byte("id,age,status\n1,30,active\n2,,inactive\n3,200,paused\n"), 0o644))
	suite := func(name, body string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
		return p
	}
	run := func(args ...string) (string, int) {
		cmd := exec.Command(bin, args...)
		out, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); ok {
			return string(out), ee.ExitCode()
		}
		require.NoError(t, err, "%s", out)
		return string(out), 0
	}

	pass := suite("pass.yaml", `expectations:
  - expect_column_values_to_be_unique: {column: id}
  - expect_column_values_to_be_between: {column: age, min_value: 0, max_value: 150, severity: warning}
validation:
  completeness: {max_null_fraction: 0.5}
  freshness: {max_age: 72h}
`)
	doc := filepath.Join(dir, "doc.html")
	out, code := run("validate", "--suite", pass, data, "--doc", doc)
	assert.Equal(t, 0, code, out)
	assert.Contains(t, out, "WARN    expectations[2]")
	assert.Contains(t, out, "passed: 3 rows, 5 of 6 expectations succeeded (83.3%), 1 warning(s)")
	page, err := os.ReadFile(doc)
	require.NoError(t, err)
	assert.Contains(t, string(page), "PASSED WITH WARNINGS")

	fail := suite("fail.yaml", `expectations:
  - expect_column_values_to_be_in_set: {column: status, value_set: [active, inactive]}
  - expect_column_values_to_not_be_null: {column: age, row_condition: "status <> 'inactive'"}
`)
	out, code = run("validate", "--suite", fail, data)
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, "FAIL    expectations[1]  expect_column_values_to_be_in_set    status  1 unexpected of 3 (33.33% of 3 non-null values not in [active, inactive]; e.g. paused)")
	assert.Contains(t, out, "mlpipe validate: 1 of 2 expectations failed")
	out, code = run("validate", "--suite", fail, data, "--json")
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, `"unexpected_percent_nonmissing": 33.33`)
	assert.Contains(t, out, `"row_condition": "status <> 'inactive'"`)
	assert.Contains(t, out, `"partial_unexpected_list": [`)

	for _, c := range []struct{ name, body, want string }{
		{"unknown.yaml", "expectations:\n  - expect_column_values_to_be_purple: {column: id}\n",
			`line 2: unknown expectation "expect_column_values_to_be_purple": supported are `},
		{"missing.yaml", "expectations:\n  - expect_column_values_to_not_be_null: {column: plan}\n",
			`expectations[1] (expect_column_values_to_not_be_null): column "plan" is not in the data; the columns are id, age, status`},
		{"regex.yaml", "expectations:\n  - expect_column_values_to_match_regex: {column: status, regex: \"[a-\"}\n",
			`line 2: expectation expect_column_values_to_match_regex(status): regex "[a-" is not a valid regular expression (RE2 syntax)`},
		{"type.yaml", "expectations:\n  - expect_column_values_to_be_between: {column: status, min_value: 0}\n",
			`column "status" is VARCHAR (string), but expect_column_values_to_be_between needs a numeric column`},
		{"yaml.yaml", "expectations: [\n", "suite " + filepath.Join(dir, "yaml.yaml") + ": yaml: line"},
		{"key.yaml", "expectation:\n  - expect_column_values_to_not_be_null: {column: id}\n",
			`key.yaml: line 1: unknown key "expectation": a suite has expectations: and validation: (or checks:)`},
		{"condition.yaml", "expectations:\n  - expect_column_values_to_not_be_null: {column: id, row_condition: \"1=1; DROP TABLE x\"}\n",
			`row_condition: "1=1; DROP TABLE x" may not contain ';'`},
	} {
		out, code := run("validate", "--suite", suite(c.name, c.body), data)
		assert.Equal(t, 2, code, "%s: %s", c.name, out)
		assert.Contains(t, out, c.want, c.name)
	}
	out, code = run("validate", "--suite", pass, filepath.Join(dir, "nope.csv"))
	assert.Equal(t, 2, code, out)
	assert.Contains(t, out, "nope.csv: no such file or directory")
}

// dpxRun runs the built binary and returns what it printed on stdout, on
// stdout and stderr together, and its exit code.
func dpxRun(t *testing.T, bin string, args ...string) (stdout, all string, code int) {
	t.Helper()
	var out bytes.Buffer
	var both dpxLockedBuffer // stdout's and stderr's copiers both write it
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = io.MultiWriter(&out, &both), &both
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return out.String(), both.String(), ee.ExitCode()
	}
	require.NoError(t, err, "%s", both.String())
	return out.String(), both.String(), 0
}

// dpxLockedBuffer is a buffer two goroutines may write.
type dpxLockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *dpxLockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *dpxLockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// `mlpipe validate` straight on a CSV reads it through a view of the file
// (nothing copied into the engine) with mlpipe's typing: null tokens,
// quoted fields, CRLF, times with offsets, and uniqueness counting every
// repeated row, in Great Expectations' result format. Bad data exits 2
// naming the file, row and column, as the pipeline's ingestion does.
func TestValidateCommandOnDataFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildMlpipe(t)
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
		return p
	}
	var b strings.Builder
	b.WriteString("id,age,note,seen\r\n")
	for i := 1; i <= 300; i++ {
		age := fmt.Sprint(20 + i%50)
		switch i {
		case 7:
			age = "NA"
		case 8:
			age = ""
		case 9:
			age = "99.5"
		}
		id := fmt.Sprintf("c%d", i)
		if i == 300 {
			id = "c3"
		}
		seen := time.Now().Add(-time.Duration(i%4) * 24 * time.Hour).In(time.FixedZone("", 2*3600)).Format(time.RFC3339)
		fmt.Fprintf(&b, "%s,%s,\"note, %d\",%s\r\n", id, age, i, seen)
	}
	data := write("people.csv", b.String())
	suite := write("suite.yaml", `expectations:
  - expect_column_values_to_be_unique: {column: id}
  - expect_column_values_to_be_between: {column: age, min_value: 18, max_value: 90}
  - expect_column_values_to_not_be_null: {column: seen}
  - expect_column_values_to_match_regex: {column: note, regex: "^note, [0-9]+$"}
validation:
  freshness: {column: seen, max_age: 120h}
`)
	out, all, code := dpxRun(t, bin, "validate", "--suite", suite, data, "--json")
	require.Equal(t, 1, code, all)
	var rep struct {
		Results []struct {
			Success bool `json:"success"`
			Result  struct {
				ElementCount          *int64 `json:"element_count"`
				MissingCount          *int64 `json:"missing_count"`
				UnexpectedCount       *int64 `json:"unexpected_count"`
				PartialUnexpectedList []any  `json:"partial_unexpected_list"`
			} `json:"result"`
		} `json:"results"`
		Meta struct {
			Rows int64 `json:"rows"`
		} `json:"meta"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &rep), out)
	require.Len(t, rep.Results, 5, out)
	assert.EqualValues(t, 300, rep.Meta.Rows)
	unique, between, regex, fresh := rep.Results[0], rep.Results[1], rep.Results[3], rep.Results[4]
	assert.False(t, unique.Success)
	assert.EqualValues(t, 2, *unique.Result.UnexpectedCount, "both rows of c3 are unexpected")
	assert.Equal(t, []any{"c3", "c3"}, unique.Result.PartialUnexpectedList)
	assert.False(t, between.Success)
	assert.EqualValues(t, 2, *between.Result.MissingCount, "NA and an empty cell are missing")
	assert.EqualValues(t, 1, *between.Result.UnexpectedCount)
	assert.Equal(t, []any{99.5}, between.Result.PartialUnexpectedList)
	assert.True(t, regex.Success, "quoted commas stay in the value: %s", out)
	assert.True(t, fresh.Success, out)

	for _, c := range []struct{ name, body, want string }{
		{"ragged.csv", "id,age\n1,30\n2\n", "ragged.csv: row 2 (line 3): has 1 fields, header has 2 (id, age): check its commas and quotes"},
		{"latin1.csv", "id,age,city\n1,30,Jos\xe9\n", `latin1.csv: row 1 (line 2), column "city": "Jos\xe9" is not valid UTF-8 (byte \xe9); the file looks like Latin-1/Windows-1252, where this reads "José": re-save it as UTF-8`},
		{"empty.csv", "", "empty.csv: empty file: the first line must be a header naming the columns"},
		{"words.csv", "id,age\n1,30\n2,n/a\n3,?\n", `column "age" is VARCHAR (string), but expect_column_values_to_be_between needs a numeric column (2 of its 3 values are not numbers (row 2 "n/a", row 3 "?"); if they mean missing, write them as an empty cell, NA, N/A, null, NULL, NaN or nan)`},
		{"inf.csv", "id,age\n1,30\n2,-inf\n", `inf.csv: row 2 (line 3), column "age": "-inf" is not a finite number`},
		{"quote.csv", "id,age\n1,3\"0\n", `quote.csv: row 1 (line 2): bare " in non-quoted-field`},
		{"cr.csv", "id,age\r1,2\r", `cr.csv: header, column 2: has a carriage return (\r) that does not end a line (CRLF)`},
		{"oddtime.csv", "id,age,t\n1,30,\"2026-01-01 03:04:05,5\"\n", `oddtime.csv: not readable as CSV with delimiter ",": Conversion Error: invalid timestamp field format: "2026-01-01 03:04:05,5"`},
	} {
		p := write(c.name, c.body)
		between := write("between.yaml", "expectations:\n  - expect_column_values_to_be_between: {column: age, min_value: 0, max_value: 150}\n")
		_, out, code := dpxRun(t, bin, "validate", "--suite", between, p)
		assert.Equal(t, 2, code, "%s: %s", c.name, out)
		assert.Contains(t, out, c.want, c.name)
	}
}
