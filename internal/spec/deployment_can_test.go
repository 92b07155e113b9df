package spec_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/spec"
)

// deployment.continue_as_new_at is taken from the spec, kept in the JSON
// workflow input, and refused outside its range, written as 0 or
// misspelt, each with what to write instead.
func TestDeploymentContinueAsNewAt(t *testing.T) {
	t.Run("taken and kept in the workflow input", func(t *testing.T) {
		path := copyExample(t, "  failure_limit: 2", "  failure_limit: 2\n  continue_as_new_at: 500")
		p, err := spec.Load(path)
		require.NoError(t, err)
		assert.Equal(t, 500, p.Deployment.ContinueAsNewAt)
		b, err := json.Marshal(p)
		require.NoError(t, err)
		var back spec.Pipeline
		require.NoError(t, json.Unmarshal(b, &back))
		assert.Equal(t, 500, back.Deployment.ContinueAsNewAt)
		assert.NoError(t, back.Validate(), "the JSON input knows the key")
	})
	t.Run("left out, it is 0: the rollout's default", func(t *testing.T) {
		p, err := spec.Load(copyExample(t))
		require.NoError(t, err)
		assert.Zero(t, p.Deployment.ContinueAsNewAt)
	})
	t.Run("set by --set", func(t *testing.T) {
		p, err := spec.Load(copyExample(t), spec.Override{Path: "deployment.continue_as_new_at", Value: "10000"})
		require.NoError(t, err)
		assert.Equal(t, spec.MaxContinueAsNewAt, p.Deployment.ContinueAsNewAt)
	})
	for _, bad := range []int{-5, 99, 10001, 1000000} {
		t.Run(fmt.Sprintf("%d is refused", bad), func(t *testing.T) {
			msg, _ := loadErr(t, "  failure_limit: 2", fmt.Sprintf("  failure_limit: 2\n  continue_as_new_at: %d", bad))
			assert.Contains(t, msg, fmt.Sprintf("deployment.continue_as_new_at %d is outside 100 to 10000 events: "+
				"it is the history length at which a rollout hands over to a new run (leave it out for the default 2000)", bad))
		})
	}
	t.Run("0 written out is refused", func(t *testing.T) {
		msg, _ := loadErr(t, "  failure_limit: 2", "  failure_limit: 2\n  continue_as_new_at: 0")
		assert.Contains(t, msg, "deployment.continue_as_new_at is 0; give the history length (100 to 10000 events) at which a rollout hands over to a new run, or leave continue_as_new_at out for the default 2000")
	})
	t.Run("a misspelt key says which was meant", func(t *testing.T) {
		msg, _ := loadErr(t, "  failure_limit: 2", "  failure_limit: 2\n  continue_as_new: 500")
		line := exampleLine(t, "  failure_limit: 2") + 1
		assert.Contains(t, msg, fmt.Sprintf(`line %d: unknown key "deployment.continue_as_new" (did you mean "continue_as_new_at"?)`, line))
	})
	t.Run("not a number", func(t *testing.T) {
		msg, _ := loadErr(t, "  failure_limit: 2", "  failure_limit: 2\n  continue_as_new_at: often")
		line := exampleLine(t, "  failure_limit: 2") + 1
		assert.Contains(t, msg, fmt.Sprintf("line %d: cannot unmarshal !!str `often` into int", line))
	})
	t.Run("hand-written JSON is checked too", func(t *testing.T) {
		p := spec.Pipeline{Deployment: spec.Deployment{Strategy: spec.StrategyCanary, GatewayURL: "http://gw", ContinueAsNewAt: 50}}
		err := p.ValidateDeployment()
		require.Error(t, err)
		assert.Contains(t, err.Error(), "deployment.continue_as_new_at 50 is outside 100 to 10000 events")
	})
}
