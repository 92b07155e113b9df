package spec_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/mlpipe/mlpipe/internal/spec"
)

func TestCheckThresholdsHigherIsBetter(t *testing.T) {
	p := &spec.Pipeline{EvaluationThreshold: map[string]float64{"f1": 0.8}}
	assert.Equal(t, []spec.Threshold{{Metric: "f1", Bound: 0.8, Actual: 0.8, Passed: true, Rule: "f1 >= 0.8"}},
		p.CheckThresholds(map[string]float64{"f1": 0.8}), "reaching the bound passes")
	assert.Equal(t, []spec.Threshold{{Metric: "f1", Bound: 0.8, Actual: 0.79, Passed: false, Rule: "f1 >= 0.8"}},
		p.CheckThresholds(map[string]float64{"f1": 0.79}))
}

func TestCheckThresholdsLogLossIsUpperBound(t *testing.T) {
	p := &spec.Pipeline{EvaluationThreshold: map[string]float64{"log_loss": 0.5}}
	got := p.CheckThresholds(map[string]float64{"log_loss": 0.4})
	assert.Equal(t, []spec.Threshold{{Metric: "log_loss", Bound: 0.5, Actual: 0.4, Passed: true, Rule: "log_loss <= 0.5"}}, got)
	got = p.CheckThresholds(map[string]float64{"log_loss": 0.6})
	assert.False(t, got[0].Passed)
}

func TestCheckThresholdsMissingMetricFails(t *testing.T) {
	p := &spec.Pipeline{EvaluationThreshold: map[string]float64{"roc_auc": 0.7, "f1": 0.5}}
	got := p.CheckThresholds(map[string]float64{"f1": 0.9})
	// In metric-name order.
	assert.Equal(t, []spec.Threshold{
		{Metric: "f1", Bound: 0.5, Actual: 0.9, Passed: true, Rule: "f1 >= 0.5"},
		{Metric: "roc_auc", Bound: 0.7, Actual: 0, Passed: false, Rule: "roc_auc >= 0.7"},
	}, got)
}

func TestApproval(t *testing.T) {
	anyone := spec.Approval{}
	assert.True(t, anyone.MayApprove("carol"))
	assert.False(t, anyone.MayApprove(""), "a decision needs a name")
	listed := spec.Approval{Approvers: []string{"alice", "bob"}}
	assert.True(t, listed.MayApprove("bob"))
	assert.False(t, listed.MayApprove("mallory"))

	no, yes := false, true
	assert.True(t, spec.Approval{}.IsRequired(), "required unless the spec says required: false")
	assert.False(t, spec.Approval{Required: &no}.IsRequired())
	assert.True(t, spec.Approval{Required: &yes}.IsRequired())
}

func TestLoadReadsApprovalNotRequired(t *testing.T) {
	p, err := spec.Load(copyExample(t, "  timeout: 72h", "  timeout: 72h\n  required: false"))
	if assert.NoError(t, err) {
		assert.False(t, p.Approval.IsRequired())
	}
}
