package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/bundle"
	"github.com/mlpipe/mlpipe/internal/frame"
	"github.com/mlpipe/mlpipe/internal/registry"
	"github.com/mlpipe/mlpipe/internal/routing"
	"github.com/mlpipe/mlpipe/internal/spec"
	"github.com/mlpipe/mlpipe/internal/traffic"
	"github.com/mlpipe/mlpipe/workflows"
)

// compressed is the canary on a schedule of seconds, with thresholds for
// the few hundred requests such a schedule sees.
var compressed = []string{
	"--set", "deployment.steps=[{weight: 30, hold: 10s}, {weight: 60, hold: 6s}]",
	"--set", "deployment.analysis_interval=2s",
	"--set", "deployment.failure_limit=3",
	"--set", "deployment.criteria={min_requests: 30, min_feedback: 30, min_psi_rows: 60, max_p99_ratio: 10, confidence: 0.99}",
}

// replay sends customers with their outcomes to the gateway until the
// test ends.
func (s *stack) replay(t *testing.T) func() traffic.Result {
	f, err := os.Open(filepath.Join(s.specDir, "data/churn.csv"))
	require.NoError(t, err)
	defer f.Close()
	fr, err := frame.ReadCSV(f, frame.ReadOptions{})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan traffic.Result, 1)
	go func() {
		res, _ := traffic.Run(ctx, traffic.Options{
			Gateway: s.gateway, Model: "churn-classifier", Rows: fr.Records(-1), LabelColumn: "churned",
			ValueColumn: "monthly_charges", StickyKey: "customer_id", Rate: 150, Duration: 3 * time.Minute,
			FeedbackEvery: 200 * time.Millisecond,
		})
		done <- res
	}()
	var res *traffic.Result
	stop := func() traffic.Result {
		if res == nil {
			cancel()
			r := <-done
			res = &r
		}
		return *res
	}
	t.Cleanup(func() { stop() })
	return stop
}

func (s *stack) deployFirstVersion(t *testing.T) {
	spec := filepath.Join(s.specDir, "pipeline.yaml")
	out, code := s.mlpipe("run", "-f", spec, "--id", "churn-v1", "--detach")
	require.Equal(t, 0, code, out)
	s.waitForState("churn-v1", workflows.StateWaiting)
	out, code = s.mlpipe("approve", "churn-v1", "--as", "alice")
	require.Equal(t, 0, code, out)
	st := s.waitForState("churn-v1", workflows.OutcomeDeployed)
	require.Nil(t, st.Result.Rollout, "a first version is promoted directly")
}

// A good candidate ramps through the compressed canary on a live gateway
// with real traffic and feedback, and is promoted.
func TestCanaryPromotesAGoodCandidateOnLiveTraffic(t *testing.T) {
	s := startStack(t)
	s.deployFirstVersion(t)
	stop := s.replay(t)

	args := append([]string{"run", "-f", filepath.Join(s.specDir, "pipeline.yaml"), "--id", "churn-v2", "--detach"}, compressed...)
	out, code := s.mlpipe(args...)
	require.Equal(t, 0, code, out)
	s.waitForState("churn-v2", workflows.StateWaiting)
	out, code = s.mlpipe("approve", "churn-v2", "--as", "bob")
	require.Equal(t, 0, code, out)

	out, code = s.mlpipe("rollout", "status", "churn-v2-canary", "--follow", "--timeout", "2m")
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, "step 1 of 2: 30% of traffic to version 2")
	assert.Contains(t, out, "step 2 of 2: 60% of traffic to version 2")
	assert.Contains(t, out, "promoted")

	st := s.waitForState("churn-v2", workflows.OutcomeDeployed)
	require.NotNil(t, st.Result.Rollout)
	assert.Equal(t, workflows.OutcomePromoted, st.Result.Rollout.Outcome)
	assert.GreaterOrEqual(t, st.Result.Rollout.Analyses, 4)

	res := stop()
	assert.Positive(t, res.ByVariant[routing.VariantCanary], "the canary answered part of the traffic")
	assert.Positive(t, res.FeedbackJoined)
	assert.Zero(t, res.Errors, "not one request failed through the switches: %s", res.FirstError)
	p, _ := s.predict(twoCustomers)
	assert.Equal(t, 2, p.Version)
}

// A deliberately bad candidate (its predictions inverted) is rolled back
// on its own; production never changes and the registry says why.
func TestCanaryRollsBackABadCandidateOnLiveTraffic(t *testing.T) {
	s := startStack(t)
	s.deployFirstVersion(t)
	ctx := context.Background()
	// The production model with its predictions inverted.
	reg, prod, v := s.registerCandidate(t, func(b *bundle.Bundle) {
		for i := range b.Model.Params {
			for j := range b.Model.Params[i].Data {
				b.Model.Params[i].Data[j] = -b.Model.Params[i].Data[j]
			}
		}
	})
	stop := s.replay(t)

	d := spec.Deployment{
		Strategy: spec.StrategyCanary, GatewayURL: s.gateway, StickyKey: "customer_id",
		Steps:            []spec.CanaryStep{{Weight: 20, Hold: spec.Duration(8 * time.Second)}, {Weight: 50, Hold: spec.Duration(8 * time.Second)}},
		AnalysisInterval: spec.Duration(2 * time.Second), FailureLimit: 2,
	}
	d.Criteria.MinRequests, d.Criteria.MinFeedback, d.Criteria.MinPSIRows, d.Criteria.MaxP99Ratio = 40, 40, 100, 10
	run, err := s.srv.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "bad-canary", TaskQueue: workflows.TaskQueueCPU},
		workflows.CanaryRolloutName, workflows.RolloutInput{Model: "churn-classifier", Candidate: v.Version, Deployment: d})
	require.NoError(t, err)
	var res workflows.RolloutResult
	require.NoError(t, run.Get(ctx, &res))
	assert.Equal(t, workflows.OutcomeRolledBack, res.Outcome)
	assert.Contains(t, res.Reason, "accuracy")

	got, err := reg.Get(ctx, "churn-classifier", v.Version)
	require.NoError(t, err)
	require.NotNil(t, got.Approval)
	assert.Equal(t, registry.DecisionRejected, got.Approval.Decision)
	aliases, err := reg.Aliases(ctx, "churn-classifier")
	require.NoError(t, err)
	assert.Equal(t, map[string]int{registry.AliasProduction: prod.Version}, aliases)
	rt, err := routing.Client{BaseURL: s.gateway, Token: "test-admin-token"}.Routing(ctx, "churn-classifier")
	require.NoError(t, err)
	assert.Equal(t, routing.ModeNone, rt.Mode, "the candidate gets no more traffic")

	tr := stop()
	assert.Zero(t, tr.Errors, tr.FirstError)
	p, _ := s.predict(twoCustomers)
	assert.Equal(t, prod.Version, p.Version)
}

// A shadow sees mirrored traffic, never answers, agrees with production
// and is switched to.
func TestShadowMirrorsAndSwitchesOnLiveTraffic(t *testing.T) {
	s := startStack(t)
	s.deployFirstVersion(t)
	ctx := context.Background()
	// The same model retrained: a candidate that agrees with production.
	_, _, v := s.registerCandidate(t, func(*bundle.Bundle) {})
	stop := s.replay(t)

	d := spec.Deployment{Strategy: spec.StrategyShadow, GatewayURL: s.gateway, Mirror: 100,
		Window: spec.Duration(8 * time.Second), AnalysisInterval: spec.Duration(2 * time.Second), FailureLimit: 2}
	d.Criteria.MinRequests, d.Criteria.MinFeedback, d.Criteria.MinPSIRows = 40, 40, 100
	run, err := s.srv.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "shadow", TaskQueue: workflows.TaskQueueCPU},
		workflows.ShadowRolloutName, workflows.RolloutInput{Model: "churn-classifier", Candidate: v.Version, Deployment: d})
	require.NoError(t, err)
	var res workflows.RolloutResult
	require.NoError(t, run.Get(ctx, &res))
	assert.Equal(t, workflows.OutcomePromoted, res.Outcome, res.Reason)
	require.NotNil(t, res.LastAnalysis)
	assert.Contains(t, res.LastAnalysis.Summary, "pass")

	tr := stop()
	assert.Zero(t, tr.ByVariant[routing.VariantShadow], "a shadow never answers")
	assert.Zero(t, tr.ByVariant[routing.VariantCanary])
	p, _ := s.predict(twoCustomers)
	assert.Equal(t, v.Version, p.Version, "switched to the shadow")
}

// registerCandidate registers a changed copy of the production bundle as
// the candidate, returning the registry, production and the new version.
func (s *stack) registerCandidate(t *testing.T, change func(*bundle.Bundle)) (*registry.Registry, registry.Version, registry.Version) {
	ctx := context.Background()
	store, err := artifact.Open(ctx, os.Getenv("MLPIPE_ARTIFACTS"))
	require.NoError(t, err)
	reg := registry.New(store)
	prod, ok, err := reg.Alias(ctx, "churn-classifier", registry.AliasProduction)
	require.NoError(t, err)
	require.True(t, ok)
	raw, err := artifact.ReadAll(ctx, prod.Model)
	require.NoError(t, err)
	b, err := bundle.Decode(raw)
	require.NoError(t, err)
	change(b)
	b.Metadata.WorkflowID = t.Name()
	changed, err := json.Marshal(b)
	require.NoError(t, err)
	ref, err := artifact.PutBytes(ctx, store, "models/churn-classifier/"+t.Name()+"/bundle.json", changed, "application/json")
	require.NoError(t, err)
	v, err := reg.RegisterCandidate(ctx, registry.Version{Name: "churn-classifier", Model: ref})
	require.NoError(t, err)
	return reg, prod, v
}
