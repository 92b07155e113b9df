package main

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/registry"
	"github.com/mlpipe/mlpipe/internal/spec"
	"github.com/mlpipe/mlpipe/workflows"
)

// gateClosedPort is a loopback gateway URL nothing listens on.
func gateClosedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return "http://" + addr
}

// A pipeline's canary whose gateway_url points at a closed port: the
// status says the step is not applied and why, the pipeline's ID is not
// taken for the rollout's, and `mlpipe rollout abort` ends the rollout at
// once (the gateway's retries would take 10 minutes) with production
// still production.
func TestACanaryWhoseGatewayIsDownIsAbortedAndProductionStays(t *testing.T) {
	s := startStack(t)
	s.deployFirstVersion(t)
	ctx := context.Background()
	gone := gateClosedPort(t)
	const id, canary = "churn-gw-down", "churn-gw-down-canary"

	args := append([]string{"run", "-f", filepath.Join(s.specDir, "pipeline.yaml"), "--id", id, "--detach",
		"--set", "deployment.gateway_url=" + gone}, compressed...)
	out, code := s.mlpipe(args...)
	require.Equal(t, 0, code, out)
	s.waitForState(id, workflows.StateWaiting)
	out, code = s.mlpipe("approve", id, "--as", "alice")
	require.Equal(t, 0, code, out)

	// The gateway never answers: the first step is retried, and shown as
	// not applied, with the reason.
	require.Eventually(t, func() bool {
		out, code = s.mlpipe("rollout", "status", canary)
		return code == 0 && strings.Contains(out, "retrying SetRouting: attempt 2")
	}, time.Minute, 200*time.Millisecond, out)
	assert.Contains(t, out, "canary rollout of churn-classifier version 2: running, step 1 of 2 at 0%")
	assert.Contains(t, out, "not applied yet: canary step 1 of 2: 30%; the gateway at "+gone+" has not acknowledged it")
	assert.Contains(t, out, "gateway at "+gone+" unreachable")
	assert.Contains(t, out, "connection refused")
	assert.NotContains(t, out, "30% of traffic to version 2", "no line claims the step was applied")

	// The pipeline's ID is not the rollout's, and the answer says which is.
	out, code = s.mlpipe("rollout", "status", id)
	assert.Equal(t, exitFailure, code, out)
	assert.Contains(t, out, id+" is a TrainingPipeline, not a rollout; its rollout is "+canary)
	out, code = s.mlpipe("rollout", "abort", id, "--as", "bob")
	assert.Equal(t, exitFailure, code, out)
	assert.Contains(t, out, "its rollout is "+canary+": mlpipe rollout abort "+canary)

	out, code = s.mlpipe("rollout", "abort", canary, "--as", "bob", "--reason", "gateway is gone")
	require.Equal(t, 0, code, out)
	out, code = s.mlpipe("rollout", "status", canary, "--follow", "--timeout", "1m")
	assert.Equal(t, exitNotDeployed, code, out)
	assert.Contains(t, out, "aborted by bob: gateway is gone")

	st := s.waitForState(id, workflows.OutcomeAborted)
	require.NotNil(t, st.Result)
	assert.Contains(t, st.Result.Reason, "aborted by bob: gateway is gone")
	assert.Contains(t, st.Result.Reason, "the gateway never acknowledged a split, so it serves production only")
	out, code = s.mlpipe("status", id)
	assert.Equal(t, 0, code, out)

	reg := gateRegistry(t)
	aliases, err := reg.Aliases(ctx, "churn-classifier")
	require.NoError(t, err)
	assert.Equal(t, map[string]int{registry.AliasProduction: 1}, aliases, "production stays production; no candidate")
	v2, err := reg.Get(ctx, "churn-classifier", 2)
	require.NoError(t, err)
	require.NotNil(t, v2.Approval)
	assert.Equal(t, registry.DecisionRejected, v2.Approval.Decision)
	assert.Contains(t, v2.Approval.Comment, "approved by alice, then aborted by bob: gateway is gone")
	p, _ := s.predict(twoCustomers)
	assert.Equal(t, 1, p.Version)

	if dst := os.Getenv("MLPIPE_RECORD_ROLLOUT_HISTORY"); dst != "" {
		require.NoError(t, os.WriteFile(dst, []byte(s.temporal("workflow", "show", "-w", canary, "-o", "json")), 0o644))
	}
}

// gateCanary starts a CanaryRollout of version on its own, as
// `temporal workflow start` would, and waits for its result.
func gateCanary(t *testing.T, s *stack, id string, version int, gateway string, retry time.Duration) workflows.RolloutResult {
	t.Helper()
	var res workflows.RolloutResult
	require.NoError(t, gateStartCanary(t, s, id, version, gateway, retry).Get(context.Background(), &res))
	return res
}

func gateStartCanary(t *testing.T, s *stack, id string, version int, gateway string, retry time.Duration) client.WorkflowRun {
	t.Helper()
	d := spec.Deployment{Strategy: spec.StrategyCanary, GatewayURL: gateway,
		Steps:            []spec.CanaryStep{{Weight: 20, Hold: spec.Duration(5 * time.Second)}},
		AnalysisInterval: spec.Duration(time.Second), FailureLimit: 2}
	run, err := s.srv.Client.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{ID: id, TaskQueue: workflows.TaskQueueCPU},
		workflows.CanaryRolloutName, workflows.RolloutInput{Model: "churn-classifier", Candidate: version, Deployment: d,
			GatewayRetry: spec.Duration(retry)})
	require.NoError(t, err)
	return run
}

// gateRegister registers a version whose bundle nothing loads: enough for
// a rollout the gateway never takes.
func gateRegister(t *testing.T, reg *registry.Registry, name string) int {
	t.Helper()
	ctx := context.Background()
	ref, err := artifact.PutBytes(ctx, reg.Store(), "models/churn-classifier/"+name+"/bundle.json", []byte(`{}`), "application/json")
	require.NoError(t, err)
	v, err := reg.RegisterCandidate(ctx, registry.Version{Name: "churn-classifier", Model: ref, WorkflowID: name})
	require.NoError(t, err)
	return v.Version
}

// A gateway that never answers is retried for the rollout's gateway_retry
// (here 3s), then the rollout ends rolled back with the reason; one that
// refuses the admin token, or a URL that is not the gateway's, is not
// retried at all. The registry is told every time.
func TestACanaryGivesUpOnAGatewayThatCannotTakeIt(t *testing.T) {
	s := startStack(t)
	reg := gateRegistry(t)
	ctx := context.Background()
	// The rollout of an ID that is nothing.
	out, code := s.mlpipe("rollout", "status", "no-such-rollout")
	assert.Equal(t, exitFailure, code, out)
	assert.Contains(t, out, "rollout no-such-rollout not found: no workflow has that ID")

	gone := gateClosedPort(t)
	v := gateRegister(t, reg, "unreachable")
	res := gateCanary(t, s, "canary-unreachable", v, gone, 3*time.Second)
	assert.Equal(t, workflows.OutcomeRolledBack, res.Outcome)
	assert.Regexp(t, regexp.QuoteMeta("rollout failed: gateway at "+gone+" unreachable: PUT "+gone+"/admin/models/churn-classifier/routing:")+
		".*connection refused.*"+regexp.QuoteMeta("(gave up after retrying for 3s, the rollout's gateway_retry)"), res.Reason)
	assert.Contains(t, res.Reason, "the gateway never acknowledged a split")
	gateRefused(t, reg, v)
	out, code = s.mlpipe("rollout", "status", "canary-unreachable")
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, "rolled_back, step 1 of 1 at 0%")

	// A gateway started with another admin token.
	t.Setenv("MLPIPE_ADMIN_TOKEN", "another-token")
	other := "http://" + s.startGateway("127.0.0.1:0")
	v = gateRegister(t, reg, "wrong-token")
	res = gateCanary(t, s, "canary-wrong-token", v, other, time.Minute)
	assert.Equal(t, workflows.OutcomeRolledBack, res.Outcome)
	assert.Contains(t, res.Reason, "gateway at "+other+" refused the admin token (401 Unauthorized): set MLPIPE_ADMIN_TOKEN on the workers")
	gateRefused(t, reg, v)

	// A URL that is not the gateway's admin API.
	v = gateRegister(t, reg, "wrong-url")
	res = gateCanary(t, s, "canary-wrong-url", v, s.gateway+"/nope", time.Minute)
	assert.Equal(t, workflows.OutcomeRolledBack, res.Outcome)
	assert.Contains(t, res.Reason, "answered 404 Not Found")
	assert.Contains(t, res.Reason, "check that deployment.gateway_url names the mlpipe gateway")
	gateRefused(t, reg, v)

	// A rollout that fails (its candidate is not in the registry) is not
	// shown as still running.
	run := gateStartCanary(t, s, "canary-missing", 99, gone, time.Second)
	require.Error(t, run.Get(ctx, nil))
	out, code = s.mlpipe("rollout", "status", "canary-missing")
	assert.Equal(t, exitFailure, code, out)
	assert.Contains(t, out, "rollout canary-missing ended (failed) without an outcome: record the rejection of churn-classifier version 99")
	assert.NotContains(t, out, "running")
	out, code = s.mlpipe("rollout", "status", "canary-missing", "--follow", "--timeout", "1m")
	assert.Equal(t, exitFailure, code, out)
	assert.Contains(t, out, "ended (failed) without an outcome")
	assert.NotContains(t, out, "running")

	// Steering what is not a rollout says so.
	out, code = s.mlpipe("rollout", "pause", "no-such-rollout", "--as", "bob")
	assert.Equal(t, exitFailure, code, out)
	assert.Contains(t, out, "not found")
	aliases, err := reg.Aliases(ctx, "churn-classifier")
	require.NoError(t, err)
	assert.Empty(t, aliases)
}

// gateRefused asserts the registry recorded the rollout's refusal of
// version and the candidate alias is gone.
func gateRefused(t *testing.T, reg *registry.Registry, version int) {
	t.Helper()
	got, err := reg.Get(context.Background(), "churn-classifier", version)
	require.NoError(t, err)
	require.NotNil(t, got.Approval, "version %d", version)
	assert.Equal(t, registry.DecisionRejected, got.Approval.Decision)
	assert.Equal(t, "rollout", got.Approval.Approver)
	aliases, err := reg.Aliases(context.Background(), "churn-classifier")
	require.NoError(t, err)
	_, ok := aliases[registry.AliasCandidate]
	assert.False(t, ok, "candidate alias gone: %v", aliases)
}
