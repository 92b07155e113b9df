package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/registry"
	"github.com/mlpipe/mlpipe/workflows"
)

// gateRun is `mlpipe run` following a pipeline in the background, as a
// user's terminal would.
type gateRun struct {
	out  syncBuffer
	done chan int
}

func gateStart(s *stack, args ...string) *gateRun {
	r := &gateRun{done: make(chan int, 1)}
	go func() {
		m := &Main{Stdout: &r.out, Stderr: &r.out, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
		r.done <- m.Run(context.Background(), append([]string{"run", "-f", filepath.Join(s.specDir, "pipeline.yaml")}, args...))
	}()
	return r
}

// wait returns the exit code and everything `mlpipe run` printed.
func (r *gateRun) wait(t *testing.T) (int, string) {
	t.Helper()
	select {
	case code := <-r.done:
		return code, r.out.String()
	case <-time.After(3 * time.Minute):
		t.Fatalf("mlpipe run did not return; it printed:\n%s", r.out.String())
		return 0, ""
	}
}

// gateRegistry opens the registry the stack's workers write.
func gateRegistry(t *testing.T) *registry.Registry {
	t.Helper()
	reg, err := registry.Open(context.Background(), os.Getenv("MLPIPE_ARTIFACTS"))
	require.NoError(t, err)
	return reg
}

// Every way out of the gate, on the real stack and the real registry:
// refused by the thresholds, timed out, rejected and approved. Each ends
// with the outcome and exit code the README promises, and the registry
// keeps who decided, when and why.
func TestGateOutcomesOnTheRealRegistry(t *testing.T) {
	s := startStack(t)
	ctx := context.Background()
	reg := gateRegistry(t)
	const model = "churn-classifier"

	t.Run("refused by the gate", func(t *testing.T) {
		code, out := gateStart(s, "--id", "gate-refused", "--set", "evaluation_threshold.f1=0.999").wait(t)
		assert.Equal(t, exitNotDeployed, code, out)
		assert.Contains(t, out, "result: "+workflows.OutcomeGateFailed)
		assert.Contains(t, out, "gate rules not met: f1 >= 0.999")
		versions, err := reg.List(ctx, model)
		require.NoError(t, err)
		assert.Empty(t, versions, "a model the gate refuses is never registered")
	})

	t.Run("timed out", func(t *testing.T) {
		code, out := gateStart(s, "--id", "gate-timeout", "--set", "approval.timeout=5s").wait(t)
		assert.Equal(t, exitNotDeployed, code, out)
		assert.Contains(t, out, "result: "+workflows.OutcomeApprovalTimeout)
		assert.Contains(t, out, "nobody approved within 5s")
		assert.NotContains(t, out, "failed")

		v := gateVersionOf(t, reg, "gate-timeout")
		require.NotNil(t, v.Approval, "the registry keeps the refusal")
		assert.Equal(t, registry.DecisionRejected, v.Approval.Decision)
		assert.Equal(t, workflows.ApproverTimeout, v.Approval.Approver)
		assert.Equal(t, "nobody approved within 5s", v.Approval.Comment)
		assert.WithinDuration(t, time.Now(), v.Approval.At, 5*time.Minute)
		gateNoCandidate(t, reg, v.Version)

		out, code = s.mlpipe("models", "show", gateRef(v))
		require.Equal(t, 0, code, out)
		assert.Contains(t, out, `rejected by approval timeout`)
		assert.Contains(t, out, `"nobody approved within 5s"`)
		assert.Regexp(t, `delete candidate by approval timeout "promotion rejected: nobody approved within 5s": candidate \d+→-`, out)

		st, err := pipelineStatus(ctx, s.srv.Client, "gate-timeout")
		require.NoError(t, err)
		assert.Equal(t, workflows.OutcomeApprovalTimeout, st.State)
	})

	t.Run("rejected", func(t *testing.T) {
		run := gateStart(s, "--id", "gate-rejected")
		s.waitForState("gate-rejected", workflows.StateWaiting)
		out, code := s.mlpipe("reject", "gate-rejected", "--as", "bob", "--comment", "age 70+ slice regressed")
		require.Equal(t, 0, code, out)
		code, out = run.wait(t)
		assert.Equal(t, exitNotDeployed, code, out)
		assert.Contains(t, out, "result: "+workflows.OutcomeRejected)
		assert.Contains(t, out, "rejected by bob: age 70+ slice regressed")

		v := gateVersionOf(t, reg, "gate-rejected")
		require.NotNil(t, v.Approval)
		assert.Equal(t, registry.DecisionRejected, v.Approval.Decision)
		assert.Equal(t, "bob", v.Approval.Approver)
		assert.Equal(t, "age 70+ slice regressed", v.Approval.Comment)
		gateNoCandidate(t, reg, v.Version)
		out, code = s.mlpipe("models", "ls", model)
		require.Equal(t, 0, code, out)
		assert.Contains(t, out, "rejected by bob")
		assert.Contains(t, out, "rejected by approval timeout")
	})

	t.Run("approved", func(t *testing.T) {
		run := gateStart(s, "--id", "gate-approved")
		s.waitForState("gate-approved", workflows.StateWaiting)
		out, code := s.mlpipe("approve", "gate-approved", "--as", "alice", "--comment", "numbers hold")
		require.Equal(t, 0, code, out)
		code, out = run.wait(t)
		assert.Equal(t, exitOK, code, out)
		assert.Contains(t, out, "result: "+workflows.OutcomeDeployed)

		v := gateVersionOf(t, reg, "gate-approved")
		require.NotNil(t, v.Approval)
		assert.Equal(t, registry.DecisionApproved, v.Approval.Decision)
		assert.Equal(t, "alice", v.Approval.Approver)
		assert.Equal(t, "numbers hold", v.Approval.Comment)
		aliases, err := reg.Aliases(ctx, model)
		require.NoError(t, err)
		assert.Equal(t, map[string]int{registry.AliasProduction: v.Version}, aliases,
			"production moved to the approved version; the refused ones are nothing")
		require.Eventually(t, func() bool {
			p, code := s.predict(twoCustomers)
			return code == 200 && p.Version == v.Version
		}, 30*time.Second, 100*time.Millisecond, "the gateway serves the approved version")
	})
}

// gateVersionOf is the version a pipeline registered.
func gateVersionOf(t *testing.T, reg *registry.Registry, workflowID string) registry.Version {
	t.Helper()
	versions, err := reg.List(context.Background(), "churn-classifier")
	require.NoError(t, err)
	for _, v := range versions {
		if v.WorkflowID == workflowID {
			return v
		}
	}
	t.Fatalf("no version of churn-classifier was registered by %s", workflowID)
	return registry.Version{}
}

// gateNoCandidate asserts the candidate alias no longer names version, and
// no alias does.
func gateNoCandidate(t *testing.T, reg *registry.Registry, version int) {
	t.Helper()
	aliases, err := reg.Aliases(context.Background(), "churn-classifier")
	require.NoError(t, err)
	for alias, v := range aliases {
		assert.NotEqual(t, version, v, "alias %s still names refused version %d", alias, version)
	}
	_, ok := aliases[registry.AliasCandidate]
	assert.False(t, ok, "the candidate alias is gone: %v", aliases)
}

// gateRef names one version for `mlpipe models show`.
func gateRef(v registry.Version) string { return fmt.Sprintf("%s@%d", v.Name, v.Version) }
