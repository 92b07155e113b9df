package spec_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/spec"
)

func TestCheckThresholdsHigherIsBetter(t *testing.T) {
	p := &spec.Pipeline{EvaluationThreshold: map[string]float64{"f1": 0.8}}
	assert.Equal(t, []spec.Threshold{{Kind: "value", Metric: "f1", Bound: 0.8, Actual: 0.8, Passed: true, Rule: "f1 >= 0.8", Detail: "point estimate"}},
		p.CheckThresholds(map[string]float64{"f1": 0.8}), "reaching the bound passes")
	assert.Equal(t, []spec.Threshold{{Kind: "value", Metric: "f1", Bound: 0.8, Actual: 0.79, Passed: false, Rule: "f1 >= 0.8", Detail: "point estimate"}},
		p.CheckThresholds(map[string]float64{"f1": 0.79}))
}

func TestCheckThresholdsLogLossIsUpperBound(t *testing.T) {
	p := &spec.Pipeline{EvaluationThreshold: map[string]float64{"log_loss": 0.5}}
	got := p.CheckThresholds(map[string]float64{"log_loss": 0.4})
	assert.Equal(t, []spec.Threshold{{Kind: "value", Metric: "log_loss", Bound: 0.5, Actual: 0.4, Passed: true, Rule: "log_loss <= 0.5", Detail: "point estimate"}}, got)
	got = p.CheckThresholds(map[string]float64{"log_loss": 0.6})
	assert.False(t, got[0].Passed)
}

func TestCheckThresholdsMissingMetricFails(t *testing.T) {
	p := &spec.Pipeline{EvaluationThreshold: map[string]float64{"roc_auc": 0.7, "f1": 0.5}}
	got := p.CheckThresholds(map[string]float64{"f1": 0.9})
	// In metric-name order.
	assert.Equal(t, []spec.Threshold{
		{Kind: "value", Metric: "f1", Bound: 0.5, Actual: 0.9, Passed: true, Rule: "f1 >= 0.5", Detail: "point estimate"},
		{Kind: "value", Metric: "roc_auc", Bound: 0.7, Actual: 0, Passed: false, Rule: "roc_auc >= 0.7", Detail: "point estimate"},
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

func TestChangeThresholdAgainstTheChampion(t *testing.T) {
	p := &spec.Pipeline{
		EvaluationThreshold: map[string]float64{"f1": 0.8},
		ChampionThreshold:   map[string]float64{"f1": 0.01, "log_loss": 0.02},
	}
	cand := spec.Scores{Point: map[string]float64{"f1": 0.85, "log_loss": 0.31}}

	// The first model of a name has no champion: change rules are skipped.
	first := p.CheckGate(cand, nil)
	require.Len(t, first, 1)
	assert.Equal(t, "value", first[0].Kind)

	// f1 may drop by 0.01: 0.855 → 0.85 is within it; log_loss may rise
	// by 0.02: 0.28 → 0.31 is not.
	got := p.CheckGate(cand, &spec.Scores{Point: map[string]float64{"f1": 0.855, "log_loss": 0.28}})
	require.Len(t, got, 3)
	assert.Equal(t, "change", got[1].Kind)
	assert.Equal(t, "f1 >= champion - 0.01", got[1].Rule)
	assert.InDelta(t, 0.845, got[1].Bound, 1e-12)
	assert.True(t, got[1].Passed)
	assert.Equal(t, "log_loss <= champion + 0.02", got[2].Rule)
	assert.InDelta(t, 0.30, got[2].Bound, 1e-12)
	assert.False(t, got[2].Passed)
	assert.Contains(t, got[2].Detail, "champion's 0.28")
	// A measured champion is shown to 4 digits, as the candidate is.
	long := p.CheckGate(cand, &spec.Scores{Point: map[string]float64{"f1": 0.8922558922558923, "log_loss": 0.28}})
	assert.Contains(t, long[1].Detail, "champion's 0.8923")

	// A drop of more than 0.01 fails.
	worse := p.CheckGate(spec.Scores{Point: map[string]float64{"f1": 0.84, "log_loss": 0.2}}, &spec.Scores{Point: map[string]float64{"f1": 0.855, "log_loss": 0.28}})
	assert.False(t, worse[1].Passed)
}

func TestGateOnTheLowerConfidenceBound(t *testing.T) {
	p := &spec.Pipeline{
		EvaluationThreshold: map[string]float64{"f1": 0.8, "log_loss": 0.4},
		Evaluation:          spec.Evaluation{GateOn: spec.GateOnLowerBound},
	}
	s := spec.Scores{
		Point: map[string]float64{"f1": 0.83, "log_loss": 0.35},
		Low:   map[string]float64{"f1": 0.79, "log_loss": 0.30},
		High:  map[string]float64{"f1": 0.87, "log_loss": 0.41},
	}
	got := p.CheckGate(s, nil)
	require.Len(t, got, 2)
	// The point estimates pass; the pessimistic ends do not.
	assert.False(t, got[0].Passed)
	assert.Equal(t, 0.79, got[0].Actual)
	assert.Equal(t, "lower bound of the 95% interval", got[0].Detail)
	assert.False(t, got[1].Passed)
	assert.Equal(t, 0.41, got[1].Actual, "a loss is judged by its upper bound")

	p.Evaluation.GateOn = spec.GateOnPoint
	for _, th := range p.CheckGate(s, nil) {
		assert.True(t, th.Passed, th.Rule)
	}
}

func TestValidateEvaluationAndChampionRules(t *testing.T) {
	p := minimal()
	require.NoError(t, p.Validate())
	assert.Equal(t, spec.GateOnPoint, p.Evaluation.GateOn, "gates on point estimates unless told")
	assert.Equal(t, 1000, p.Evaluation.Bootstrap)
	assert.Equal(t, 0.5, p.Evaluation.Threshold)

	p = minimal()
	p.ChampionThreshold = map[string]float64{"f2": 0.01, "f1": -0.1}
	p.Evaluation = spec.Evaluation{GateOn: "median", Threshold: 1.5,
		Slices: []spec.Slice{{Column: "age", Buckets: []float64{50, 30}}, {}}}
	err := p.Validate()
	require.Error(t, err)
	for _, want := range []string{
		`champion_threshold: unknown metric "f2"`,
		"champion_threshold.f1: -0.1 must be a non-negative allowed drop",
		`evaluation.gate_on "median": use point or lower_bound`,
		"evaluation.threshold 1.5 must be between 0 and 1",
		"evaluation.slices[0] (age): buckets must be at least two ascending edges",
		"evaluation.slices[1]: name a column",
	} {
		assert.Contains(t, err.Error(), want)
	}
}
