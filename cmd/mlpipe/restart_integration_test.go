package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/workflows"
)

// A canary in the middle of a hold survives a worker restart, a gateway
// restart and a Temporal server restart, and still ends promoted.
func TestRolloutSurvivesRestartsMidHold(t *testing.T) {
	s := startStackWith(t, filepath.Join(t.TempDir(), "temporal.db"))
	s.deployFirstVersion(t)
	stop := s.replay(t)

	args := append([]string{"run", "-f", filepath.Join(s.specDir, "pipeline.yaml"), "--id", "churn-restarts", "--detach",
		"--set", "deployment.steps=[{weight: 30, hold: 24s}, {weight: 60, hold: 6s}]"}, compressed[2:]...)
	out, code := s.mlpipe(args...)
	require.Equal(t, 0, code, out)
	s.waitForState("churn-restarts", workflows.StateWaiting)
	out, code = s.mlpipe("approve", "churn-restarts", "--as", "bob")
	require.Equal(t, 0, code, out)
	canary := "churn-restarts-canary"
	s.waitForRollout(canary, func(st workflows.RolloutStatus) bool { return st.Analyses >= 1 })

	// The workers go away and come back.
	s.stopWorkers()
	time.Sleep(2 * time.Second)
	s.startWorkers()

	// The gateway restarts on the same address and reads its routing back.
	addr := strings.TrimPrefix(s.gateway, "http://")
	s.stopGateway()
	s.startGateway(addr)
	out, code = s.mlpipe("rollout", "status", canary)
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, "at 30%")

	// So does the Temporal server, with the workflow mid-hold.
	s.srv.Restart(t)

	out, code = s.mlpipe("rollout", "status", canary, "--follow", "--timeout", "2m")
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, "promoted")
	st := s.waitForState("churn-restarts", workflows.OutcomeDeployed)
	assert.Equal(t, workflows.OutcomePromoted, st.Result.Rollout.Outcome)
	p, _ := s.predict(twoCustomers)
	assert.Equal(t, 2, p.Version)
	stop()
}

func (s *stack) waitForRollout(id string, cond func(workflows.RolloutStatus) bool) {
	require.Eventually(s.t, func() bool {
		st, err := queryRollout(context.Background(), s.srv.Client, id)
		return err == nil && cond(st)
	}, 2*time.Minute, 200*time.Millisecond)
}
