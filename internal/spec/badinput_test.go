package spec_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/expect"
	"github.com/mlpipe/mlpipe/internal/spec"
)

// exampleJSON is the example spec as `mlpipe spec` prints it, decoded into
// a generic document a test can change.
func exampleJSON(t *testing.T) map[string]any {
	t.Helper()
	p, err := spec.Load(copyExample(t))
	require.NoError(t, err)
	b, err := json.Marshal(p)
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(b, &doc))
	return doc
}

func decodeDoc(t *testing.T, doc map[string]any) (*spec.Pipeline, error) {
	t.Helper()
	b, err := json.Marshal(doc)
	require.NoError(t, err)
	var p spec.Pipeline
	require.NoError(t, json.Unmarshal(b, &p), "decoding the workflow input never fails by itself")
	return &p, p.Validate()
}

func rename(m map[string]any, from, to string) {
	m[to] = m[from]
	delete(m, from)
}

func TestJSONInputRefusesUnknownKeysAtEveryLevel(t *testing.T) {
	doc := exampleJSON(t)
	rename(doc, "approval", "aproval")
	_, err := decodeDoc(t, doc)
	require.Error(t, err)
	assert.Equal(t, `invalid pipeline spec: unknown key "aproval" (did you mean "approval"?)`, err.Error())

	doc = exampleJSON(t)
	rename(doc["approval"].(map[string]any), "approvers", "aprovers")
	rename(doc["hyperparameters"].(map[string]any), "epochs", "epoch")
	stage := doc["stages"].([]any)[3].(map[string]any)
	stage["timout"] = "1h"
	doc["deployment"].(map[string]any)["criteria"].(map[string]any)["max_psii"] = 0.3
	doc["features"].(map[string]any)["columns"].([]any)[0].(map[string]any)["scaling"] = "minmax"
	_, err = decodeDoc(t, doc)
	require.Error(t, err)
	msg := err.Error()
	assert.Contains(t, msg, "5 problems:")
	for _, want := range []string{
		`unknown key "approval.aprovers" (did you mean "approvers"?)`,
		`unknown key "hyperparameters.epoch" (did you mean "epochs"?)`,
		`unknown key "stages[3].timout" (did you mean "timeout"?)`,
		`unknown key "deployment.criteria.max_psii" (did you mean "max_psi"?)`,
		`unknown key "features.columns[0].scaling"; features.columns[0] takes column, impute, fill, scale, encode`,
	} {
		assert.Contains(t, msg, "\n  - "+want)
	}

	_, err = spec.DecodeJSON([]byte(`{"name":"churn","aproval":{}}`))
	assert.ErrorContains(t, err, `unknown key "aproval" (did you mean "approval"?)`)
}

func TestJSONInputNamesTheSettingThatDoesNotDecode(t *testing.T) {
	doc := exampleJSON(t)
	doc["approval"].(map[string]any)["timeout"] = "999999d"
	p, err := decodeDoc(t, doc)
	require.Error(t, err)
	assert.Equal(t, `invalid pipeline spec: approval.timeout: duration "999999d" is too long: a duration can be at most 106751d (about 292 years); approval.timeout allows at most 365d`, err.Error())
	assert.Equal(t, "churn", p.Name, "the rest of the input is decoded")

	doc = exampleJSON(t)
	doc["hyperparameters"].(map[string]any)["epochs"] = "forty"
	_, err = decodeDoc(t, doc)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "cannot unmarshal string into hyperparameters.epochs of type int")

	doc = exampleJSON(t)
	doc["expectations"] = []any{map[string]any{"expect_column_kl_divergence_to_be_less_than": map[string]any{"column": "plan", "regex": "^b"}}}
	_, err = decodeDoc(t, doc)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "expectations[0]: expect_column_kl_divergence_to_be_less_than is not a supported expectation; the supported ones are expect_column_distinct_values_to_be_in_set, ")
}

func TestLoadRefusesAnUnsupportedExpectationBeforeItsArguments(t *testing.T) {
	msg, _ := loadErr(t, "expect_column_values_to_be_unique: {column: customer_id}",
		"expect_column_kl_divergence_to_be_less_than: {column: customer_id, regex: '^C'}")
	line := exampleLine(t, "expect_column_values_to_be_unique")
	assert.Contains(t, msg, fmt.Sprintf("line %d: expectations[1]: expect_column_kl_divergence_to_be_less_than is not a supported expectation; "+
		"the supported ones are %s", line, strings.Join(expect.Types(), ", ")))
	assert.NotContains(t, msg, "unknown argument")

	msg, _ = loadErr(t, "expect_column_values_to_be_unique:", "expect_column_values_to_be_uniqe:")
	assert.Contains(t, msg, "expect_column_values_to_be_uniqe is not a supported expectation (did you mean expect_column_values_to_be_unique?)")
}

func TestLoadRefusesAbsurdValuesNamingTheBound(t *testing.T) {
	cases := []struct{ set, want string }{
		{"hyperparameters.epochs=1000000000", "hyperparameters.epochs 1000000000 is above the maximum of 100000"},
		{"hyperparameters.batch_size=100000000", "hyperparameters.batch_size 100000000 is above the maximum of 1000000"},
		{"hyperparameters={kind: mlp, hidden: [1000000]}", "hyperparameters.hidden[0] is 1000000 units; at most 65536 are allowed"},
		{"search.n_iter=1000000", "search.n_iter 1000000 is above the maximum of 10000 trials"},
		{"search.cv=1000", "search.cv 1000 is above the maximum of 100 folds"},
		{"search.max_parallel=100000", "search.max_parallel 100000 is above the maximum of 1000"},
		{"search.n_iter=5000", "search: n_iter 5000 × cv 3 makes 15000 trial×fold fits, above the maximum of 10000"},
		{"search.param_distributions.epochs={int_uniform: [10, 1000000]}", "search.param_distributions.epochs reaches 1e+06, above the maximum of 100000"},
		{"evaluation.bootstrap=10000000", "evaluation.bootstrap 10000000 is above the maximum of 100000 resamples"},
		{"approval.timeout=400d", "approval.timeout 400d is above the maximum of 365d"},
		{"deployment.analysis_interval=100ms", "deployment.analysis_interval 100ms is outside 1s to 24h"},
		{"deployment.failure_limit=1000", "deployment.failure_limit 1000 is above the maximum of 100"},
		{"stages.model_training.retries=1000", "stages.model_training.retries 1000 is above the maximum of 100 attempts"},
		{"stages.model_training.timeout=1ms", "stages.model_training.timeout 1ms is outside 1s to 30d: it bounds one attempt of the stage's work"},
		{"stages.model_training.timeout=900d", "stages.model_training.timeout 900d is outside 1s to 30d"},
		{"stages.model_training.heartbeat=500ms", "stages.model_training.heartbeat 500ms is below the minimum of 2s"},
		{"stages.model_deployment.heartbeat=1m", "stages.model_deployment.heartbeat does not apply to the deployment stage"},
	}
	path := copyExample(t)
	for _, c := range cases {
		o, err := spec.ParseOverride(c.set)
		require.NoError(t, err)
		_, err = spec.Load(path, o)
		require.Error(t, err, c.set)
		assert.Contains(t, err.Error(), c.want, c.set)
	}
}

func TestDurationsBeyondTheirRangeSayTheMaximum(t *testing.T) {
	for _, in := range []string{"999999d", "106752d", "99999999999999999999d", "1000000000h", "106751d24h"} {
		_, err := spec.ParseDuration(in)
		require.Error(t, err, in)
		assert.Equal(t, `duration "`+in+`" is too long: a duration can be at most 106751d (about 292 years)`, err.Error())
	}
	d, err := spec.ParseDuration("106751d")
	require.NoError(t, err)
	assert.Equal(t, 106751*24*time.Hour, d.D())
	d, err = spec.ParseDuration("-1d12h")
	require.NoError(t, err)
	assert.Equal(t, -36*time.Hour, d.D(), "the sign applies to the whole duration")

	msg, _ := loadErr(t, "timeout: 72h", "timeout: 999999d")
	assert.Contains(t, msg, fmt.Sprintf(`line %d: approval.timeout: duration "999999d" is too long: a duration can be at most 106751d (about 292 years); approval.timeout allows at most 365d`, exampleLine(t, "timeout: 72h")))
	assert.NotContains(t, msg, "negative")
}

func TestOverridesWinOverParamsFiles(t *testing.T) {
	path := copyExample(t)
	set := func(s string) spec.Override {
		o, err := spec.ParseOverride(s)
		require.NoError(t, err)
		return o
	}
	p, err := spec.Load(path, set("hyperparameters.seed=11"), set("hyperparameters.learning_rate=0.01"), set("search.n_iter=4"))
	require.NoError(t, err)
	assert.Equal(t, int64(11), p.Hyperparameters.Seed, "hyperparameters.yaml says 7")
	assert.Equal(t, 0.01, p.Hyperparameters.LearningRate)
	assert.Equal(t, 40, p.Hyperparameters.Epochs, "what the override does not name stays the params file's")
	require.NotNil(t, p.Search)
	assert.Equal(t, 4, p.Search.NIter, "hyperparameters.yaml's search says 6")
	assert.Equal(t, 3, p.Search.CV)
	assert.Len(t, p.Search.ParamDistributions, 3)
}

func TestOverridesKeepTheSpecsLineNumbers(t *testing.T) {
	path := copyExample(t, "  bootstrap: 1000 ", "  bootstrap: many ")
	set := func(s string) spec.Override {
		o, err := spec.ParseOverride(s)
		require.NoError(t, err)
		return o
	}
	// Overrides that add and replace whole blocks would move every later
	// line of a re-serialised document.
	_, err := spec.Load(path, set("description=a much longer description\nover two lines"),
		set("deployment.steps=[{weight: 20, hold: 2m}, {weight: 50, hold: 2m}]"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "spec "+path+": ")
	assert.Contains(t, err.Error(), fmt.Sprintf("line %d: cannot unmarshal !!str `many` into int", exampleLine(t, "  bootstrap: 1000 ")))

	// A bad value that came from --set says so.
	_, err = spec.Load(copyExample(t), set("approval.timeout=soon"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `--set approval.timeout=soon: approval.timeout: duration "soon": want a form like 72h, 90m or 3d`)
	_, err = spec.Load(copyExample(t), set("hyperparameters.epochs=forty"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "--set hyperparameters.epochs=forty: cannot unmarshal !!str `forty` into int")
	_, err = spec.Load(copyExample(t), set("aproval.timeout=1h"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `--set aproval.timeout=1h: unknown key "aproval" (did you mean "approval"?)`)
}

func TestAbsoluteParamsPathIsTakenAsItIs(t *testing.T) {
	path := copyExample(t)
	abs := filepath.Join(t.TempDir(), "hp.yaml")
	require.NoError(t, os.WriteFile(abs, []byte("epochs: 12\n"), 0o644))
	p, err := spec.Load(path, spec.Override{Path: "stages.model_training.params", Value: "[" + abs + "]"})
	require.NoError(t, err)
	assert.Equal(t, 12, p.Hyperparameters.Epochs)

	missing := filepath.Join(t.TempDir(), "nope.yaml")
	_, err = spec.Load(path, spec.Override{Path: "stages.model_training.params", Value: "[" + missing + "]"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "params file "+missing+" does not exist")
	assert.Equal(t, 1, strings.Count(err.Error(), filepath.Base(filepath.Dir(missing))), "the path appears once: %s", err)
}

func TestTestSizeZeroMeansNoHeldOutSplit(t *testing.T) {
	msg, _ := loadErr(t, "test_size: 0.2", "test_size: 0")
	assert.Contains(t, msg, "features.split.test_size is 0, which holds out no rows, and data.test_source is not set")

	// With a test source, 0 is the explicit way of saying "no split".
	path := copyExample(t, "test_size: 0.2", "test_size: 0", "  positive: \"yes\"", "  positive: \"yes\"\n  test_source: data/churn.csv")
	p, err := spec.Load(path)
	require.NoError(t, err)
	assert.Zero(t, p.Features.Split.TestSize)

	msg, _ = loadErr(t, "test_size: 0.2", "test_size: -0.2")
	assert.Contains(t, msg, "features.split.test_size -0.2 must be a fraction in (0, 1)")
	msg, _ = loadErr(t, "test_size: 0.2", "test_size: 20")
	assert.Contains(t, msg, "features.split.test_size 20 must be a fraction in (0, 1)")
}

func TestZerosThatWouldBecomeDefaultsAreRefused(t *testing.T) {
	path := copyExample(t)
	hp := filepath.Join(filepath.Dir(path), "hyperparameters.yaml")
	b, err := os.ReadFile(hp)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(hp, []byte(strings.Replace(string(b), "n_iter: 6", "n_iter: 0", 1)), 0o644))
	_, err = spec.Load(path)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "search.n_iter is 0; give the number of trials to sample (at least 1), or leave n_iter out for the default 10")

	msg, _ := loadErr(t, "timeout: 72h", "timeout: 0s")
	assert.Contains(t, msg, "approval.timeout is 0; a timeout of 0 would refuse every approval at once")
	msg, _ = loadErr(t, "    params: [hyperparameters.yaml]", "    params: [hyperparameters.yaml]\n    retries: 0")
	assert.Contains(t, msg, "stages.model_training.retries is 0; give the number of attempts (1 means no retry)")

	// In JSON, a 0 counts only where encoding/json leaves a 0 out: a Go
	// client that encodes a spec it never filled in writes every other 0.
	doc := exampleJSON(t)
	doc["approval"].(map[string]any)["timeout"] = "0s"
	doc["search"].(map[string]any)["n_iter"] = 0
	doc["hyperparameters"].(map[string]any)["epochs"] = 0
	p, err := decodeDoc(t, doc)
	require.Error(t, err)
	assert.Equal(t, "invalid pipeline spec: approval.timeout is 0; a timeout of 0 would refuse every approval at once; give a duration such as 72h, or leave timeout out for the default 72h", err.Error())
	assert.Equal(t, 10, p.Search.NIter, "the default")
}

func TestThresholdsOutsideTheMetricsRange(t *testing.T) {
	msg, _ := loadErr(t, "  f1: 0.80", "  f1: 80")
	assert.Contains(t, msg, "evaluation_threshold.f1: 80 is outside [0, 1], where f1 lies, so the gate could never pass (or never fail); write it as a fraction, e.g. 0.8 for 80%")
	msg, _ = loadErr(t, "  log_loss: 0.35", "  log_loss: -1")
	assert.Contains(t, msg, "evaluation_threshold.log_loss: -1 is negative")
	msg, _ = loadErr(t, "  f1: 0.01", "  f1: 2")
	assert.Contains(t, msg, "champion_threshold.f1: 2 is more than f1 can drop")
}

func TestSearchingHiddenNamesHiddenUnits(t *testing.T) {
	path := copyExample(t)
	hp := filepath.Join(filepath.Dir(path), "hyperparameters.yaml")
	b, err := os.ReadFile(hp)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(hp, []byte(strings.Replace(string(b), "batch_size: [64, 128, 256]", "hidden: [[16], [32]]", 1)), 0o644))
	_, err = spec.Load(path)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "param_distributions.hidden (line 28): hidden (the list of layer widths) cannot be searched; "+
		"search hidden_units, the width of the mlp's hidden layer, e.g. hidden_units: [16, 32, 64] with hyperparameters.kind: mlp")

	require.NoError(t, os.WriteFile(hp, []byte(strings.Replace(string(b), "batch_size: [64, 128, 256]", "hidden_units: [16, 32]", 1)), 0o644))
	_, err = spec.Load(path)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "search.param_distributions.hidden_units is the width of an mlp's hidden layer, but hyperparameters.kind is logistic; set kind: mlp")
}

func TestCheckHeaderListsEveryMissingColumn(t *testing.T) {
	p, err := spec.Load(copyExample(t,
		"{column: age, impute: median, scale: standard}", "{column: Age, impute: median, scale: standard}",
		"{column: status, value_set: [active, inactive]}", "{column: statsu, value_set: [active, inactive]}",
		"column: last_activity\n", "column: last_seen\n",
	))
	require.NoError(t, err, "columns are checked against the data, not by Validate")
	header := []string{"customer_id", "age", "status", "plan", "tenure_months", "monthly_charges", "support_calls", "last_activity", "churned"}
	err = p.CheckHeader(header)
	require.Error(t, err)
	assert.Equal(t, "invalid pipeline spec: 3 columns the spec names are not in the data:\n"+
		`  - features.columns[0].column: column "Age" is not in the data (did you mean "age"?)`+"\n"+
		`  - expectations[3] (expect_column_values_to_be_in_set).column: column "statsu" is not in the data (did you mean "status"?)`+"\n"+
		`  - validation.freshness.column: column "last_seen" is not in the data`+"\n"+
		"the data's columns are customer_id, age, status, plan, tenure_months, monthly_charges, support_calls, last_activity, churned", err.Error())

	p, err = spec.Load(copyExample(t))
	require.NoError(t, err)
	require.NoError(t, p.CheckHeader(header))
	err = p.CheckHeader(append([]string{"Churned"}, header[:8]...))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `data.target: column "churned" is not in the data (did you mean "Churned"?)`)
	assert.Contains(t, err.Error(), `validation.schema.churned: column "churned" is not in the data`)
}

// Workflows started before the new checks replay with the checks they ran.
func TestValidateAsRecordedSkipsTheNewChecks(t *testing.T) {
	doc := exampleJSON(t)
	rename(doc, "approval", "aproval")
	doc["hyperparameters"].(map[string]any)["epochs"] = 1000000000
	p, err := decodeDoc(t, doc)
	require.Error(t, err)
	assert.NoError(t, p.ValidateAsRecorded())
}
