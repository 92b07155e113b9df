package spec_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/spec"
)

func TestOverridesReplaceAndAddValues(t *testing.T) {
	path := copyExample(t)
	set := func(s string) spec.Override {
		o, err := spec.ParseOverride(s)
		require.NoError(t, err)
		return o
	}
	p, err := spec.Load(path,
		set("deployment.strategy=canary"),
		set("deployment.steps=[{weight: 5, hold: 30s}, {weight: 50, hold: 30s}]"),
		set("deployment.analysis_interval=10s"),
		set("evaluation_threshold.f1=0.7"),
		set("approval.required=false"),
	)
	require.NoError(t, err)
	assert.Equal(t, spec.StrategyCanary, p.Deployment.Strategy)
	assert.Equal(t, []spec.CanaryStep{{Weight: 5, Hold: spec.Duration(30 * time.Second)}, {Weight: 50, Hold: spec.Duration(30 * time.Second)}}, p.Deployment.Steps)
	assert.Equal(t, 10*time.Second, p.Deployment.AnalysisInterval.D())
	assert.Equal(t, 0.7, p.EvaluationThreshold["f1"])
	assert.False(t, p.Approval.IsRequired())
	assert.Equal(t, 0.35, p.EvaluationThreshold["log_loss"], "untouched values stay")

	_, err = spec.ParseOverride("no-equals-sign")
	assert.ErrorContains(t, err, "want path.to.key=value")
	_, err = spec.Load(path, set("name.first=x"))
	assert.ErrorContains(t, err, "cannot set first: its parent is not a mapping")
	_, err = spec.Load(path, set("deployment.strategie=canary"))
	assert.ErrorContains(t, err, "strategie", "a typo in an override is refused like one in the file")
}
