package spec_test

import (
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

// loadErr loads a variant of the example and returns its error message.
func loadErr(t *testing.T, replacements ...string) (string, string) {
	t.Helper()
	path := copyExample(t, replacements...)
	_, err := spec.Load(path)
	require.Error(t, err)
	return err.Error(), path
}

// exampleLine is the 1-based line of the example spec holding text.
func exampleLine(t *testing.T, text string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(exampleDir, "pipeline.yaml"))
	require.NoError(t, err)
	for i, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, text) {
			return i + 1
		}
	}
	t.Fatalf("%q is not in the example spec", text)
	return 0
}

func TestLoadRefusesUnknownMetricThreshold(t *testing.T) {
	msg, path := loadErr(t, "  f1: 0.80", "  f2: 0.80")
	assert.Equal(t, "spec "+path+`: invalid pipeline spec: evaluation_threshold: unknown metric "f2"; `+
		"use one of accuracy, balanced_accuracy, precision, recall, f1, f1_macro, f1_weighted, roc_auc, pr_auc, log_loss, brier", msg)
}

func TestLoadRefusesUnknownKeyNamingItsLine(t *testing.T) {
	msg, _ := loadErr(t, "description:", "descripton:")
	assert.Contains(t, msg, `line 5: unknown key "descripton" (did you mean "description"?)`)
}

func TestLoadRefusesUnknownKeyInAStage(t *testing.T) {
	// A typo in a stage must not silently drop the deployment gate.
	msg, _ := loadErr(t, "    gate: [evaluation_threshold]", "    gates: [evaluation_threshold]")
	line := exampleLine(t, "    gate: [evaluation_threshold]")
	assert.Contains(t, msg, fmt.Sprintf(`line %d: unknown key "stages.model_deployment.gates" (did you mean "gate"?)`, line))
}

func TestLoadRefusesMissingDataSource(t *testing.T) {
	msg, path := loadErr(t, "source: data/churn.csv", "source: data/missing.csv")
	dir := filepath.Dir(path)
	assert.Equal(t, "spec "+path+": data.source: file "+filepath.Join(dir, "data", "missing.csv")+
		" does not exist (relative paths are resolved against the spec's folder "+dir+")", msg)
}

func TestLoadRefusesUnsupportedSourceScheme(t *testing.T) {
	msg, _ := loadErr(t, "source: data/churn.csv", "source: ftp://host/churn.csv")
	assert.Contains(t, msg, `data.source "ftp://host/churn.csv": unsupported scheme; use file://, s3://, http:// or https://`)
}

func TestLoadKeepsRemoteSources(t *testing.T) {
	p, err := spec.Load(copyExample(t, "source: data/churn.csv", "source: s3://bucket/churn.csv"))
	require.NoError(t, err)
	assert.Equal(t, "s3://bucket/churn.csv", p.Data.Source)
}

func TestLoadRefusesMissingParamsFile(t *testing.T) {
	msg, path := loadErr(t, "params: [hyperparameters.yaml]", "params: [hparams.yaml]")
	assert.Equal(t, "spec "+path+": stage model_training: params file "+
		filepath.Join(filepath.Dir(path), "hparams.yaml")+" does not exist", msg)
}

func TestLoadReadsParamsUnderHyperparametersKey(t *testing.T) {
	path := copyExample(t)
	require.NoError(t, os.WriteFile(filepath.Join(filepath.Dir(path), "hyperparameters.yaml"),
		[]byte("stages: {ignored: by mlpipe}\nhyperparameters:\n  epochs: 12\n  learning_rate: 0.01\n"), 0o644))
	p, err := spec.Load(path)
	require.NoError(t, err)
	assert.Equal(t, 12, p.Hyperparameters.Epochs)
	assert.Equal(t, 0.01, p.Hyperparameters.LearningRate)
	assert.Equal(t, 256, p.Hyperparameters.BatchSize, "unset fields take the model defaults")
}

func TestLoadRefusesTypoUnderHyperparametersKey(t *testing.T) {
	path := copyExample(t)
	require.NoError(t, os.WriteFile(filepath.Join(filepath.Dir(path), "hyperparameters.yaml"),
		[]byte("other_tool: {x: 1}\nhyperparameters:\n  epochs: 12\n  learnin_rate: 0.01\n"), 0o644))
	_, err := spec.Load(path)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `line 4: unknown key "hyperparameters.learnin_rate" (did you mean "learning_rate"?)`)
}

func TestLoadRefusesTypoInParamsFile(t *testing.T) {
	path := copyExample(t)
	require.NoError(t, os.WriteFile(filepath.Join(filepath.Dir(path), "hyperparameters.yaml"),
		[]byte("epochs: 12\nlearnin_rate: 0.01\n"), 0o644))
	_, err := spec.Load(path)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "stage model_training: params file")
	assert.Contains(t, err.Error(), `line 2: unknown key "learnin_rate" (did you mean "learning_rate"?)`)
}

func TestLoadRefusesMissingOrEmptySpec(t *testing.T) {
	dir := t.TempDir()
	_, err := spec.Load(filepath.Join(dir, "nope.yaml"))
	require.Error(t, err)
	assert.Equal(t, "spec "+filepath.Join(dir, "nope.yaml")+" does not exist", err.Error())

	empty := filepath.Join(dir, "empty.yaml")
	require.NoError(t, os.WriteFile(empty, nil, 0o644))
	_, err = spec.Load(empty)
	require.Error(t, err)
	assert.Equal(t, "spec "+empty+" is empty", err.Error())
}

func TestValidateRefusesBadModelName(t *testing.T) {
	p := minimal()
	p.Model = "Churn Classifier"
	err := p.Validate()
	require.Error(t, err)
	assert.Equal(t, `invalid pipeline spec: model "Churn Classifier": use 1-63 lowercase letters, digits, '.', '_' or '-' `+
		"(e.g. churn-classifier)", err.Error())
}

func TestLoadRefusesNegativeApprovalTimeout(t *testing.T) {
	msg, _ := loadErr(t, "timeout: 72h", "timeout: -1h")
	assert.Contains(t, msg, "invalid pipeline spec: approval.timeout must not be negative")
}

func TestLoadRefusesBadDurationNamingItsLine(t *testing.T) {
	msg, _ := loadErr(t, "timeout: 72h", "timeout: 3days")
	assert.Contains(t, msg, fmt.Sprintf(`line %d: approval.timeout: duration "3days": want a form like 72h, 90m or 3d`, exampleLine(t, "timeout: 72h")))
}

func TestLoadRefusesUnknownStrategy(t *testing.T) {
	msg, _ := loadErr(t, "strategy: canary", "strategy: blue-green")
	assert.Contains(t, msg, `invalid pipeline spec: deployment.strategy "blue-green": use one of direct, canary, shadow`)
}

func TestLoadRefusesCheckWithoutItsConfig(t *testing.T) {
	msg, _ := loadErr(t, "  freshness:\n    column: last_activity\n    max_age: 1080h   # 45 days\n", "")
	assert.Contains(t, msg, "invalid pipeline spec: stage data_validation: check freshness needs validation.freshness {column, max_age}")
}

func TestValidateRefusesUnknownCheckAndGate(t *testing.T) {
	p := minimal()
	p.Stages[1].Checks = []string{"freshnes"}
	p.Stages[5].Gate = []string{"manual"}
	err := p.Validate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), `stage data_validation: unknown check "freshnes"; use schema, completeness, freshness or expectations`)
	assert.Contains(t, err.Error(), `stage model_deployment: unknown gate "manual"; use evaluation_threshold`)
}

func TestValidateRefusesGateWithoutThreshold(t *testing.T) {
	p := minimal()
	p.EvaluationThreshold = nil
	err := p.Validate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "stage model_deployment: gate evaluation_threshold needs evaluation_threshold (e.g. {f1: 0.8})")
}

func TestLoadRefusesBadExpectation(t *testing.T) {
	msg, _ := loadErr(t, "{column: age, min_value: 0, max_value: 150}", "{column: age}")
	assert.Contains(t, msg, "line 32: expectation expect_column_values_to_be_between(age): "+
		"min_value or max_value (or both) is required")

	msg, _ = loadErr(t, "{column: age, min_value: 0, max_value: 150}", "{column: age, min: 0}")
	assert.Contains(t, msg, `line 32: expect_column_values_to_be_between: unknown argument "min"`)

	// The JSON form (the workflow's input) is checked by Validate.
	p := minimal()
	lo, hi := 150.0, 0.0
	p.Expectations = []expect.Expectation{{Type: expect.ValuesBetween, Column: "age", Min: &lo, Max: &hi}}
	err := p.Validate()
	require.Error(t, err)
	assert.Equal(t, "invalid pipeline spec: expectations[0]: expectation expect_column_values_to_be_between(age): "+
		"min_value 150 is greater than max_value 0", err.Error())
}

func TestValidateListsEveryProblem(t *testing.T) {
	p := minimal()
	p.Name = ""
	p.Model = "x y"
	p.Data.Target = ""
	p.Stages[5].Inputs = []string{"trained_model"}
	p.Expectations = []expect.Expectation{{Type: "expect_magic"}}
	err := p.Validate()
	require.Error(t, err)
	msg := err.Error()
	assert.Contains(t, msg, "invalid pipeline spec: spec: 5 problems:")
	for _, want := range []string{
		"name: give the pipeline a name",
		`model "x y": use`,
		"data.target: name the label column",
		"stage model_deployment (model_deployment): needs an evaluation report",
		`expectations[0]: unknown expectation "expect_magic"`,
	} {
		assert.Contains(t, msg, "\n  - "+want)
	}
}

func TestValidateFillsDefaults(t *testing.T) {
	p := minimal()
	require.NoError(t, p.Validate())
	assert.Equal(t, 72*time.Hour, p.Approval.Timeout.D())
	assert.Equal(t, spec.DefaultApprovalTimeout, p.Approval.Timeout)
	assert.Equal(t, "direct", p.Deployment.Strategy)
	assert.Equal(t, 30, p.Hyperparameters.Epochs, "model defaults fill unset hyperparameters")
	assert.Equal(t, "churned", p.Features.Target)

	p = minimal()
	p.Approval.Timeout = spec.Duration(2 * time.Hour)
	require.NoError(t, p.Validate())
	assert.Equal(t, 2*time.Hour, p.Approval.Timeout.D(), "a set timeout is kept")
}

func TestValidateRefusesBadHyperparameters(t *testing.T) {
	p := minimal()
	p.Hyperparameters.Optimizer = "rmsprop"
	err := p.Validate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), `hyperparameters: model config: optimizer "rmsprop" is not supported`)
}

func TestRolloutSettingsAreCheckedAndDefaulted(t *testing.T) {
	p, err := spec.Load(copyExample(t))
	require.NoError(t, err)
	d := p.Deployment
	assert.Equal(t, spec.DefaultCanarySteps(), d.Steps, "the seed's 5% for 24h, then 25% and 50%")
	assert.Equal(t, time.Hour, d.AnalysisInterval.D())
	assert.Equal(t, 2, d.FailureLimit)
	assert.Equal(t, int64(100), d.Criteria.MinRequests)

	msg, _ := loadErr(t, "strategy: canary", `strategy: canary
  steps: [{weight: 25, hold: 30h}, {weight: 10, hold: 20h}]`)
	assert.Contains(t, msg, "deployment.steps[1]: weight 10 must be above the previous step's 25")
	assert.Contains(t, msg, "the rollout holds for 50h0m0s in all; keep it within 48h0m0s")

	msg, _ = loadErr(t, "strategy: canary", "strategy: shadow\n  mirror: 150")
	assert.Contains(t, msg, "deployment.mirror 150 must be above 0 and at most 100")
}
