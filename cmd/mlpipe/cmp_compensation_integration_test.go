package main

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/registry"
	"github.com/mlpipe/mlpipe/internal/routing"
	"github.com/mlpipe/mlpipe/workflows"
)

// A canary terminated with the stock Temporal CLI in the middle of its
// first step runs none of its own clean-up: the pipeline that started it
// rolls the candidate back itself. The gateway's routing sends the
// candidate nothing, every prediction comes from production, the registry
// records why, and `mlpipe status` says what happened.
//
// With MLPIPE_RECORD_COMPENSATION_HISTORY set to a folder, the pipeline's
// history is written there as churn_v3_compensated_rolled_back.json, for
// workflows/replay_test.go.
func TestCmpTerminatedCanaryIsRolledBackByThePipeline(t *testing.T) {
	s := startStack(t)
	s.deployFirstVersion(t)
	ctx := context.Background()
	const id = "cmp-v2"
	child := workflows.RolloutID(id, "canary")

	// A first step that would hold for ten minutes: long enough to be
	// terminated in.
	gw, rt := s.cmpApprovedRollout(t, id, routing.ModeCanary, cmpLongCanary...)
	assert.Equal(t, 2, rt.Candidate)
	assert.InDelta(t, 40, rt.Weight, 1e-9)

	s.temporal("workflow", "terminate", "-w", child, "--reason", "operator ended a stuck canary")

	st := s.waitForState(id, workflows.OutcomeRolledBack)
	require.NotNil(t, st.Result)
	assert.Contains(t, st.Result.Reason, "the canary rollout of churn-classifier version 2 (workflow "+child+") was terminated before it concluded")
	assert.Contains(t, st.Result.Reason, "the pipeline rolled version 2 back: the gateway sends it no traffic and production is unchanged")
	assert.Equal(t, workflows.StateRejected, st.Stages[5].State)

	rt, err := gw.Routing(ctx, "churn-classifier")
	require.NoError(t, err)
	assert.Equal(t, routing.ModeNone, rt.Mode, "the gateway keeps no split nobody owns")
	for range 20 {
		p, code := s.predict(twoCustomers)
		require.Equal(t, 200, code)
		require.Equal(t, 1, p.Version, "production answers every request")
	}

	reg := gateRegistry(t)
	v, err := reg.Get(ctx, "churn-classifier", 2)
	require.NoError(t, err)
	require.NotNil(t, v.Approval)
	assert.Equal(t, registry.DecisionRejected, v.Approval.Decision)
	assert.Contains(t, v.Approval.Comment, "approved by bob, then the canary rollout of churn-classifier version 2")
	assert.Contains(t, v.Approval.Comment, "rolled back by pipeline "+id)
	aliases, err := reg.Aliases(ctx, "churn-classifier")
	require.NoError(t, err)
	assert.Equal(t, map[string]int{registry.AliasProduction: 1}, aliases)

	out, code := s.mlpipe("status", id)
	require.Equal(t, exitOK, code, out)
	assert.Contains(t, out, workflows.OutcomeRolledBack)
	assert.Contains(t, out, "was terminated before it concluded")
	assert.Contains(t, out, "the pipeline rolled version 2 back")

	// The rollout itself has no outcome; its status says what the
	// pipeline did.
	out, code = s.mlpipe("rollout", "status", child)
	assert.Equal(t, exitNotDeployed, code, out)
	assert.Contains(t, out, "rollout "+child+" ended (terminated) without an outcome")
	assert.Contains(t, out, "its pipeline "+id+" rolled the candidate back: the canary rollout of churn-classifier version 2")

	if dir := os.Getenv("MLPIPE_RECORD_COMPENSATION_HISTORY"); dir != "" {
		hist := s.temporal("workflow", "show", "-w", id, "-o", "json")
		// The marker's change ID, as the JSON history holds its payload.
		marker := base64.StdEncoding.EncodeToString([]byte(`"pipeline-compensates-rollout"`))
		require.True(t, strings.Contains(hist, marker), "the history holds the version marker")
		require.NoError(t, os.WriteFile(filepath.Join(dir, "churn_v3_compensated_rolled_back.json"), []byte(hist), 0o644))
	}
}

// A shadow rollout terminated mid-window is rolled back by its pipeline
// too: the gateway mirrors nothing to the candidate any more.
func TestCmpTerminatedShadowIsRolledBackByThePipeline(t *testing.T) {
	s := startStack(t)
	s.deployFirstVersion(t)
	ctx := context.Background()
	const id = "cmp-shadow"
	child := workflows.RolloutID(id, "shadow")
	gw, rt := s.cmpApprovedRollout(t, id, routing.ModeShadow, "deployment.strategy=shadow", "deployment.mirror=100",
		"deployment.window=10m", "deployment.steps=[]", "deployment.analysis_interval=1m")
	require.Equal(t, 2, rt.Candidate)

	s.temporal("workflow", "terminate", "-w", child, "--reason", "operator ended a stuck shadow")

	st := s.waitForState(id, workflows.OutcomeRolledBack)
	require.NotNil(t, st.Result)
	assert.Contains(t, st.Result.Reason, "the shadow rollout of churn-classifier version 2 (workflow "+child+") was terminated before it concluded")
	assert.Contains(t, st.Result.Reason, "the pipeline rolled version 2 back: the gateway mirrors no traffic to it and production is unchanged")
	rt, err := gw.Routing(ctx, "churn-classifier")
	require.NoError(t, err)
	assert.Equal(t, routing.ModeNone, rt.Mode, "nothing is mirrored to the candidate")
	aliases, err := gateRegistry(t).Aliases(ctx, "churn-classifier")
	require.NoError(t, err)
	assert.Equal(t, map[string]int{registry.AliasProduction: 1}, aliases)
}

// When the gateway refuses the pipeline's rollback (here: it was
// restarted with another admin token), the pipeline fails with
// RolloutNotRolledBack and says how to take the candidate out by hand;
// it does not claim a rollback that did not happen.
func TestCmpRollbackTheGatewayRefusesFailsThePipelineNamingTheFix(t *testing.T) {
	s := startStack(t)
	s.deployFirstVersion(t)
	ctx := context.Background()
	const id = "cmp-refused"
	child := workflows.RolloutID(id, "canary")
	s.cmpApprovedRollout(t, id, routing.ModeCanary, cmpLongCanary...)

	// The same gateway address, now with a token the workers do not hold.
	s.stopGateway()
	t.Setenv("MLPIPE_ADMIN_TOKEN", "rotated-token")
	addr := strings.TrimPrefix(s.gateway, "http://")
	// stopGateway waited for the listener to close: the port is free.
	require.Equal(t, addr, s.startGateway(addr))

	s.temporal("workflow", "terminate", "-w", child, "--reason", "operator ended a stuck canary")

	st := s.waitForState(id, workflows.StateFailed)
	out, _ := s.mlpipe("status", id)
	for _, want := range []string{
		"the canary rollout of churn-classifier version 2 (workflow " + child + ") was terminated before it concluded",
		"rolling version 2 back failed",
		"refused the admin token (401 Unauthorized): set MLPIPE_ADMIN_TOKEN on the workers",
		`PUT {"mode": "none"} to ` + s.gateway + "/admin/models/churn-classifier/routing",
	} {
		assert.Contains(t, out, want)
	}
	assert.NotContains(t, out, "the pipeline rolled version 2 back", "no rollback is claimed: %+v", st.Stages)
	aliases, err := gateRegistry(t).Aliases(ctx, "churn-classifier")
	require.NoError(t, err)
	assert.Equal(t, 1, aliases[registry.AliasProduction], "production is unchanged")

	out, code := s.mlpipe("rollout", "status", child)
	assert.NotEqual(t, exitOK, code, out)
	assert.Contains(t, out, "its pipeline "+id+": failed")
}

// cmpLongCanary is a canary whose first step holds for ten minutes: long
// enough to be terminated in.
var cmpLongCanary = []string{"deployment.steps=[{weight: 40, hold: 10m}]", "deployment.analysis_interval=1m"}

// cmpApprovedRollout runs the example pipeline as id with the spec
// settings sets, approves it as bob, and waits until the gateway's
// routing for the model is in mode; it returns the gateway's client and
// that routing.
func (s *stack) cmpApprovedRollout(t *testing.T, id, mode string, sets ...string) (routing.Client, routing.Routing) {
	t.Helper()
	args := []string{"run", "-f", filepath.Join(s.specDir, "pipeline.yaml"), "--id", id, "--detach"}
	for _, set := range sets {
		args = append(args, "--set", set)
	}
	out, code := s.mlpipe(args...)
	require.Equal(t, exitOK, code, out)
	s.waitForState(id, workflows.StateWaiting)
	out, code = s.mlpipe("approve", id, "--as", "bob")
	require.Equal(t, exitOK, code, out)
	gw := routing.Client{BaseURL: s.gateway, Token: "test-admin-token"}
	var rt routing.Routing
	require.Eventually(t, func() bool {
		var err error
		rt, err = gw.Routing(context.Background(), "churn-classifier")
		return err == nil && rt.Mode == mode
	}, 2*time.Minute, 200*time.Millisecond, "the rollout's %s routing reaches the gateway", mode)
	return gw, rt
}
