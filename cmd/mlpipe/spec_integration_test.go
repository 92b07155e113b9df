package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"

	"github.com/mlpipe/mlpipe/internal/testenv"
	"github.com/mlpipe/mlpipe/workflows"
)

// specRun runs the real program in-process, without a stack: the commands
// tested with it refuse their input before they reach Temporal.
func specRun(args ...string) (string, int) {
	var out bytes.Buffer
	m := &Main{Stdout: &out, Stderr: &out, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	code := m.Run(context.Background(), args)
	return out.String(), code
}

// specExample copies the churn example into a fresh folder beside 300 rows
// of generated data, applying each old→new replacement to the file named
// (pipeline.yaml or hyperparameters.yaml). It returns the spec's path.
func specExample(t *testing.T, edits ...specEdit) string {
	t.Helper()
	dir := t.TempDir()
	root := testenv.ModuleRoot(t)
	for _, f := range []string{"pipeline.yaml", "hyperparameters.yaml"} {
		b, err := os.ReadFile(filepath.Join(root, "dev/examples/churn", f))
		require.NoError(t, err)
		text := string(b)
		for _, e := range edits {
			if e.file == f {
				require.Contains(t, text, e.old, "the example has changed")
				text = strings.Replace(text, e.old, e.new, 1)
			}
		}
		require.NoError(t, os.WriteFile(filepath.Join(dir, f), []byte(text), 0o644))
	}
	out, code := specRun("gen", "churn", "--rows", "300", "--seed", "3", "-o", filepath.Join(dir, "data", "churn.csv"))
	require.Equal(t, 0, code, out)
	return filepath.Join(dir, "pipeline.yaml")
}

type specEdit struct{ file, old, new string }

func specPipeline(old, new string) specEdit { return specEdit{"pipeline.yaml", old, new} }
func specParams(old, new string) specEdit   { return specEdit{"hyperparameters.yaml", old, new} }

// specLine is the 1-based line of the example spec that holds text.
func specLine(t *testing.T, file, text string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testenv.ModuleRoot(t), "dev/examples/churn", file))
	require.NoError(t, err)
	for i, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, text) {
			return i + 1
		}
	}
	t.Fatalf("%q is not in the example's %s", text, file)
	return 0
}

// `mlpipe spec` and `mlpipe run` refuse what the pipeline would refuse, or
// fail on, before anything starts, with a message that says what to fix.
func TestSpecRefusesBadInputBeforeAnyWork(t *testing.T) {
	cases := []struct {
		name  string
		edits []specEdit
		sets  []string
		want  []string
	}{
		{name: "unknown key", edits: []specEdit{specPipeline("approval:", "aproval:")},
			want: []string{fmt.Sprintf(`line %d: unknown key "aproval" (did you mean "approval"?)`, specLine(t, "pipeline.yaml", "approval:"))}},
		{name: "absurd epochs", sets: []string{"hyperparameters.epochs=1000000000"},
			want: []string{"hyperparameters.epochs 1000000000 is above the maximum of 100000"}},
		{name: "absurd search", edits: []specEdit{specParams("n_iter: 6", "n_iter: 100000")},
			want: []string{"search.n_iter 100000 is above the maximum of 10000 trials"}},
		{name: "duration overflow", edits: []specEdit{specPipeline("timeout: 72h", "timeout: 999999d")},
			want: []string{fmt.Sprintf(`line %d: approval.timeout: duration "999999d" is too long: a duration can be at most 106751d (about 292 years); approval.timeout allows at most 365d`, specLine(t, "pipeline.yaml", "timeout: 72h"))}},
		{name: "approval timeout bound", edits: []specEdit{specPipeline("timeout: 72h", "timeout: 400d")},
			want: []string{"approval.timeout 400d is above the maximum of 365d"}},
		{name: "n_iter 0", edits: []specEdit{specParams("n_iter: 6", "n_iter: 0")},
			want: []string{"search.n_iter is 0; give the number of trials to sample (at least 1), or leave n_iter out for the default 10"}},
		{name: "negative test_size", edits: []specEdit{specPipeline("test_size: 0.2", "test_size: -0.2")},
			want: []string{"features.split.test_size -0.2 must be a fraction in (0, 1), e.g. 0.2"}},
		{name: "test_size 0 without a test source", edits: []specEdit{specPipeline("test_size: 0.2", "test_size: 0")},
			want: []string{"features.split.test_size is 0, which holds out no rows, and data.test_source is not set"}},
		{name: "threshold as a percentage", edits: []specEdit{specPipeline("  f1: 0.80", "  f1: 80")},
			want: []string{"evaluation_threshold.f1: 80 is outside [0, 1], where f1 lies"}},
		{name: "unsupported expectation", edits: []specEdit{specPipeline("expect_column_values_to_be_unique: {column: customer_id}",
			"expect_column_kl_divergence_to_be_less_than: {column: customer_id, regex: '^C'}")},
			want: []string{"expectations[1]: expect_column_kl_divergence_to_be_less_than is not a supported expectation; the supported ones are expect_column_distinct_values_to_be_in_set,"}},
		{name: "hidden in a search", edits: []specEdit{specParams("batch_size: [64, 128, 256]", "hidden: [[16], [32]]")},
			want: []string{"hidden (the list of layer widths) cannot be searched; search hidden_units, the width of the mlp's hidden layer, e.g. hidden_units: [16, 32, 64]"}},
		{name: "stage timeout too short", sets: []string{"stages.data_ingestion.timeout=1ms"},
			want: []string{"stages.data_ingestion.timeout 1ms is outside 1s to 30d"}},
		{name: "columns the data lacks", edits: []specEdit{
			specPipeline("{column: age, impute: median, scale: standard}", "{column: Age, impute: median, scale: standard}"),
			specPipeline("{column: status, value_set: [active, inactive]}", "{column: statsu, value_set: [active, inactive]}"),
		}, want: []string{
			"2 columns the spec names are not in the data:",
			`- features.columns[0].column: column "Age" is not in the data (did you mean "age"?)`,
			`- expectations[3] (expect_column_values_to_be_in_set).column: column "statsu" is not in the data (did you mean "status"?)`,
			"the data's columns are customer_id, age, status, plan, tenure_months, monthly_charges, support_calls, last_activity, churned",
		}},
		{name: "--set keeps the file's line numbers", edits: []specEdit{specPipeline("  bootstrap: 1000 ", "  bootstrap: many ")},
			sets: []string{"description=two\nlines", "deployment.steps=[{weight: 20, hold: 2m}, {weight: 50, hold: 2m}]"},
			want: []string{fmt.Sprintf("line %d: cannot unmarshal !!str `many` into int", specLine(t, "pipeline.yaml", "  bootstrap: 1000 "))}},
		{name: "a bad --set value says so", sets: []string{"approval.timeout=soon"},
			want: []string{`--set approval.timeout=soon: approval.timeout: duration "soon": want a form like 72h, 90m or 3d`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := specExample(t, c.edits...)
			for _, cmd := range []string{"spec", "run"} {
				args := []string{cmd, "-f", path, "-o", filepath.Join(t.TempDir(), "out.json")}
				if cmd == "run" {
					args = []string{cmd, "-f", path, "--detach"}
				}
				for _, s := range c.sets {
					args = append(args, "--set", s)
				}
				out, code := specRun(args...)
				assert.Equal(t, exitUsage, code, "%s: %s", cmd, out)
				assert.Contains(t, out, "mlpipe "+cmd+": spec "+path, cmd)
				for _, w := range c.want {
					assert.Contains(t, out, w, cmd)
				}
			}
		})
	}
}

// `--set` overrides any value, a params file's included; an absolute
// params path is taken as it is.
func TestSpecOverridesWinAndAbsoluteParamsPaths(t *testing.T) {
	path := specExample(t)
	read := func(args ...string) map[string]any {
		t.Helper()
		dst := filepath.Join(t.TempDir(), "p.json")
		out, code := specRun(append([]string{"spec", "-f", path, "-o", dst}, args...)...)
		require.Equal(t, 0, code, out)
		b, err := os.ReadFile(dst)
		require.NoError(t, err)
		var doc map[string]any
		require.NoError(t, json.Unmarshal(b, &doc))
		return doc
	}
	hp := read("--set", "hyperparameters.seed=11", "--set", "search.n_iter=4")["hyperparameters"].(map[string]any)
	assert.Equal(t, 11.0, hp["seed"], "hyperparameters.yaml says 7")
	assert.Equal(t, 40.0, hp["epochs"], "the rest is the params file's")

	abs := filepath.Join(t.TempDir(), "hp.yaml")
	require.NoError(t, os.WriteFile(abs, []byte("epochs: 12\n"), 0o644))
	hp = read("--set", "stages.model_training.params=["+abs+"]")["hyperparameters"].(map[string]any)
	assert.Equal(t, 12.0, hp["epochs"])

	missing := filepath.Join(t.TempDir(), "nope.yaml")
	out, code := specRun("spec", "-f", path, "--set", "stages.model_training.params=["+missing+"]")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, out, "stage model_training: params file "+missing+" does not exist")
	assert.Equal(t, 1, strings.Count(out, filepath.Dir(missing)), "the path is not joined onto the spec's folder: %s", out)
}

// The header of an http(s) source is read too; one that cannot be read is
// only a warning, since the ingestion stage checks again.
func TestSpecChecksTheHeaderOfAnHTTPSource(t *testing.T) {
	path := specExample(t, specPipeline("{column: age, impute: median, scale: standard}", "{column: agee, impute: median, scale: standard}"))
	csv, err := os.ReadFile(filepath.Join(filepath.Dir(path), "data", "churn.csv"))
	require.NoError(t, err)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write(append([]byte("\ufeff"), csv...))
	}))
	defer srv.Close()

	out, code := specRun("spec", "-f", path, "-o", filepath.Join(t.TempDir(), "p.json"), "--set", "data.source="+srv.URL+"/churn.csv")
	assert.Equal(t, exitUsage, code, out)
	assert.Contains(t, out, "checked against the header of "+srv.URL+"/churn.csv")
	assert.Contains(t, out, `features.columns[0].column: column "agee" is not in the data (did you mean "age"?)`)

	srv.Close()
	out, code = specRun("spec", "-f", path, "-o", filepath.Join(t.TempDir(), "p.json"), "--set", "data.source="+srv.URL+"/churn.csv")
	assert.Equal(t, 0, code, out)
	assert.Contains(t, out, "warning: the columns the spec names were not checked against "+srv.URL+"/churn.csv")
}

// specSpecJSON writes `mlpipe spec`'s JSON for the stack's example, with
// edit applied to the document, and returns the file.
func (s *stack) specSpecJSON(t *testing.T, edit func(doc map[string]any)) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "churn.json")
	out, code := s.mlpipe("spec", "-f", filepath.Join(s.specDir, "pipeline.yaml"), "-o", dst)
	require.Equal(t, 0, code, out)
	b, err := os.ReadFile(dst)
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(b, &doc))
	edit(doc)
	b, err = json.MarshalIndent(doc, "", "  ")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(dst, b, 0o644))
	return dst
}

// specFailure waits for a workflow to fail and returns its application
// error.
func (s *stack) specFailure(t *testing.T, id string) *temporal.ApplicationError {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err := s.srv.Client.GetWorkflow(ctx, id, "").Get(ctx, nil)
	require.Error(t, err)
	var app *temporal.ApplicationError
	require.True(t, errors.As(err, &app), "%v", err)
	return app
}

// specEvents lists a workflow's history events of one type.
func (s *stack) specEvents(t *testing.T, id string, typ enumspb.EventType) int {
	t.Helper()
	n := 0
	it := s.srv.Client.GetWorkflowHistory(context.Background(), id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		require.NoError(t, err)
		if e.GetEventType() == typ {
			n++
		}
	}
	return n
}

// A typo in the JSON input, started with the stock Temporal CLI, fails the
// pipeline before any activity runs, naming the key: before, the approver
// list vanished and anyone could approve.
func TestSpecUnknownJSONKeyFailsThePipelineThroughStockTemporalCLI(t *testing.T) {
	s := startStack(t)
	input := s.specSpecJSON(t, func(doc map[string]any) {
		doc["aproval"] = doc["approval"]
		delete(doc, "approval")
	})
	id := "churn-it-aproval"
	s.temporal("workflow", "start", "--type", "TrainingPipeline", "--task-queue", "mlpipe-cpu", "-w", id, "--input-file", input)
	app := s.specFailure(t, id)
	assert.Equal(t, workflows.ErrInvalidSpec, app.Type())
	assert.True(t, app.NonRetryable())
	assert.Equal(t, `invalid pipeline spec: unknown key "aproval" (did you mean "approval"?)`, app.Message())
	assert.Zero(t, s.specEvents(t, id, enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED), "no activity ran")
}

// A column the data lacks, in input that `mlpipe spec` never checked, is
// refused by the ingestion stage at once, naming every such column, and
// nothing later runs.
func TestSpecIngestionRefusesColumnsTheHeaderLacks(t *testing.T) {
	s := startStack(t)
	input := s.specSpecJSON(t, func(doc map[string]any) {
		cols := doc["features"].(map[string]any)["columns"].([]any)
		cols[0].(map[string]any)["column"] = "agee"
		doc["evaluation"].(map[string]any)["slices"].([]any)[1].(map[string]any)["column"] = "Plan"
	})
	id := "churn-it-columns"
	s.temporal("workflow", "start", "--type", "TrainingPipeline", "--task-queue", "mlpipe-cpu", "-w", id, "--input-file", input)
	app := s.specFailure(t, id)
	msg := app.Error()
	assert.Contains(t, msg, "2 columns the spec names are not in the data:")
	assert.Contains(t, msg, `features.columns[0].column: column "agee" is not in the data (did you mean "age"?)`)
	assert.Contains(t, msg, `evaluation.slices[1].column: column "Plan" is not in the data (did you mean "plan"?)`)
	assert.Contains(t, msg, "InvalidInput")
	assert.Equal(t, 1, s.specEvents(t, id, enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED), "only the ingestion was scheduled")
	assert.Equal(t, 1, s.specEvents(t, id, enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED), "and not retried")
}

// A stage's activity that times out names the setting to raise and its
// value, not only "activity StartToClose timeout".
func TestSpecStageTimeoutNamesTheSetting(t *testing.T) {
	s := startStack(t)
	out, code := s.mlpipe("run", "-f", filepath.Join(s.specDir, "pipeline.yaml"), "--id", "churn-it-timeout",
		"--set", "search=null", "--set", "hyperparameters.epochs=50000",
		"--set", "stages.model_training.timeout=1s", "--set", "stages.model_training.retries=1")
	assert.Equal(t, exitFailure, code, out)
	assert.Contains(t, out, "stage model_training timed out: its only attempt ran longer than its timeout "+
		"(stages.model_training.timeout is 1s); raise stages.model_training.timeout")
}

// specMoreThan4Digits finds a decimal with five or more significant digits.
var specMoreThan4Digits = regexp.MustCompile(`\.0*[1-9]\d{4,}`)

// An override wins over the params file on the real stack, and the numbers
// people read in the Web UI (activity summaries, the stage messages) are
// rounded.
func TestSpecOverridesReachTheWorkflowAndSummariesAreRounded(t *testing.T) {
	s := startStack(t)
	id := "churn-it-set"
	out, code := s.mlpipe("run", "-f", filepath.Join(s.specDir, "pipeline.yaml"), "--id", id,
		"--set", "hyperparameters.seed=11", "--set", "search.n_iter=3", "--set", "search.cv=2",
		"--set", "evaluation_threshold.f1=0.999")
	require.Equal(t, exitNotDeployed, code, out)

	ctx := context.Background()
	var trainSummary, trainInput string
	var trialSummaries []string
	collect := func(wid string) {
		it := s.srv.Client.GetWorkflowHistory(ctx, wid, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for it.HasNext() {
			e, err := it.Next()
			require.NoError(t, err)
			attrs := e.GetActivityTaskScheduledEventAttributes()
			if attrs == nil {
				continue
			}
			var summary string
			if p := e.GetUserMetadata().GetSummary(); p != nil {
				require.NoError(t, json.Unmarshal(p.GetData(), &summary))
			}
			switch attrs.GetActivityType().GetName() {
			case "TrainModel":
				trainSummary = summary
				trainInput = string(attrs.GetInput().GetPayloads()[0].GetData())
			case "TrainTrial":
				trialSummaries = append(trialSummaries, summary)
			}
		}
	}
	collect(id)
	collect(id + "-search")
	require.NotEmpty(t, trainSummary)
	assert.Contains(t, trainInput, `"seed":11`, "the override reached the training")
	assert.Regexp(t, `^model_training: logistic, 40 epochs, lr [0-9.e-]+, batch \d+$`, trainSummary)
	assert.NotRegexp(t, specMoreThan4Digits, trainSummary)
	require.Len(t, trialSummaries, 6)
	for _, sum := range trialSummaries {
		assert.Contains(t, sum, "learning_rate=")
		assert.NotRegexp(t, specMoreThan4Digits, sum)
	}

	st, err := pipelineStatus(ctx, s.srv.Client, id)
	require.NoError(t, err)
	assert.Contains(t, st.Stages[3].Message, "best of 3 trials")
	assert.NotRegexp(t, specMoreThan4Digits, strings.SplitN(st.Stages[3].Message, "), then", 2)[0])
}

// A positive label in the wrong case is found once the data is read; the
// failure lists the labels found and says which one to write.
func TestSpecWrongCasePositiveLabelSaysWhichToWrite(t *testing.T) {
	s := startStack(t)
	out, code := s.mlpipe("run", "-f", filepath.Join(s.specDir, "pipeline.yaml"), "--id", "churn-it-positive", "--set", "data.positive=YES")
	assert.Equal(t, exitFailure, code, out)
	assert.Contains(t, out, `positive "YES" is not a value of target "churned" (values: no, yes); labels are compared exactly, case included: set data.positive to "yes"`)
}
