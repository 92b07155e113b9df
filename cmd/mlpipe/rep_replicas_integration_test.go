package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/mlpipe/mlpipe/activities"
	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/registry"
	"github.com/mlpipe/mlpipe/internal/rollout"
	"github.com/mlpipe/mlpipe/internal/routing"
	"github.com/mlpipe/mlpipe/internal/spec"
	"github.com/mlpipe/mlpipe/internal/testenv"
	"github.com/mlpipe/mlpipe/workflows"
)

// repToken is the admin token of the replicas these tests start.
const repToken = "rep-admin-token"

// repStack starts a Temporal dev server and the CPU worker over the store
// in dir, where gateways started afterwards (ilServe) share it.
func repStack(t *testing.T, dir string) *stack {
	t.Helper()
	s := &stack{t: t, tmp: t.TempDir(), queues: []string{"cpu"}}
	s.srv = testenv.StartTemporalWith(t, "", "MLModelName", "MLPipelineStage")
	t.Setenv("TEMPORAL_ADDRESS", s.srv.HostPort)
	t.Setenv("TEMPORAL_NAMESPACE", "default")
	t.Setenv("MLPIPE_ARTIFACTS", dir)
	t.Setenv("MLPIPE_ADMIN_TOKEN", repToken)
	s.startWorkers()
	return s
}

// repRegisterCopy registers production's bundle again as the candidate: a
// canary that predicts exactly what production predicts.
func repRegisterCopy(t *testing.T, dir string) registry.Version {
	t.Helper()
	ctx := context.Background()
	reg, err := registry.Open(ctx, dir)
	require.NoError(t, err)
	prod, ok, err := reg.Alias(ctx, "churn", registry.AliasProduction)
	require.NoError(t, err)
	require.True(t, ok)
	raw, err := artifact.ReadAll(ctx, prod.Model)
	require.NoError(t, err)
	ref, err := artifact.PutBytes(ctx, reg.Store(), "models/churn/rep-copy/bundle.json", raw, "application/json")
	require.NoError(t, err)
	v, err := reg.RegisterCandidate(ctx, registry.Version{Name: "churn", Model: ref, Positive: prod.Positive})
	require.NoError(t, err)
	return v
}

// repAnswer is what the tests read of a prediction.
type repAnswer struct {
	Variant     string `json:"variant"`
	Predictions []struct {
		Label string `json:"label"`
	} `json:"predictions"`
}

// repAnalyses are the AnalyzeRollout results in a workflow's history, in
// order: what each analysis was drawn from.
func repAnalyses(t *testing.T, s *stack, id string) []activities.AnalyzeRolloutResult {
	t.Helper()
	it := s.srv.Client.GetWorkflowHistory(context.Background(), id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var out []activities.AnalyzeRolloutResult
	for it.HasNext() {
		ev, err := it.Next()
		require.NoError(t, err)
		done := ev.GetActivityTaskCompletedEventAttributes()
		if done == nil {
			continue
		}
		var r activities.AnalyzeRolloutResult
		if converter.GetDefaultDataConverter().FromPayloads(done.GetResult(), &r) == nil && r.Source != "" {
			out = append(out, r)
		}
	}
	return out
}

// Two `mlpipe serve` replicas share one store behind a round-robin client;
// each answers half of a canary's traffic, and every label goes to the
// replica that did not make the prediction. The canary's answers are all
// wrong. The analysis, read from the inference log, counts every request
// sent and every label, and rolls the canary back; the counters of the
// replica the rollout steers hold half the requests and no label at all,
// so an analysis of them could only have waited.
func TestRepCanaryAnalysisCountsEveryReplicaAndRollsBack(t *testing.T) {
	dir := ilDeploy(t)
	bin := buildMlpipe(t)
	s := repStack(t, dir)
	a := ilServe(t, bin, dir, "gw-a", "--log-flush-interval", "200ms")
	b := ilServe(t, bin, dir, "gw-b", "--log-flush-interval", "200ms")
	replicas := []*ilGateway{a, b}
	cand := repRegisterCopy(t, dir)
	ctx := context.Background()

	d := spec.Deployment{Strategy: spec.StrategyCanary, GatewayURL: a.url,
		Steps:            []spec.CanaryStep{{Weight: 50, Hold: spec.Duration(5 * time.Minute)}},
		AnalysisInterval: spec.Duration(2 * time.Second), FailureLimit: 3}
	// Latency is not what this test is about: on a busy machine one slow
	// request could fail the canary on its own.
	d.Criteria.MinRequests, d.Criteria.MinFeedback, d.Criteria.MinPSIRows, d.Criteria.MaxP99Ratio = 20, 20, 40, 1e6
	const id = "rep-canary"
	run, err := s.srv.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: workflows.TaskQueueCPU},
		workflows.CanaryRolloutName, workflows.RolloutInput{Model: "churn", Candidate: cand.Version, Deployment: d})
	require.NoError(t, err)

	// Both replicas route the canary's epoch before any traffic.
	var epoch int64
	for _, g := range replicas {
		require.Eventually(t, func() bool {
			rt, err := routing.Client{BaseURL: g.url, Token: repToken}.Routing(ctx, "churn")
			if err != nil || rt.Mode != routing.ModeCanary {
				return false
			}
			epoch = max(epoch, rt.Epoch)
			return rt.Epoch == epoch
		}, time.Minute, 50*time.Millisecond, "replica %s never routed the canary: %s", g.url, g.logs)
	}

	const requests = 120
	sent := map[string]int64{}
	var labels [2][]string // the feedback each replica receives
	for i := range requests {
		reqID := fmt.Sprintf("rep-%03d", i)
		out, code := ilDo(http.MethodPost, replicas[i%2].url+"/v1/models/churn:predict", `{"instances": [{"x1": 1.5, "plan": "pro"}]}`, reqID)
		require.Equal(t, http.StatusOK, code, out)
		var ans repAnswer
		require.NoError(t, json.Unmarshal([]byte(out), &ans), out)
		require.Len(t, ans.Predictions, 1)
		sent[ans.Variant]++
		label := ans.Predictions[0].Label
		if ans.Variant == routing.VariantCanary {
			label = map[string]string{"yes": "no", "no": "yes"}[label]
		}
		labels[(i+1)%2] = append(labels[(i+1)%2], fmt.Sprintf(`{"request_id": %q, "row": 0, "label": %q}`, reqID, label))
	}
	require.GreaterOrEqual(t, sent[routing.VariantCanary], int64(20), "the canary answered its share: %v", sent)
	require.GreaterOrEqual(t, sent[routing.VariantProduction], int64(20), "production answered its share: %v", sent)
	for i, g := range replicas {
		ans := ilFeedback(t, g, "["+strings.Join(labels[i], ",")+"]")
		assert.Equal(t, 0, ans.Joined, "the replica holds none of these predictions")
	}

	// What the steered replica alone holds: half the requests, no label.
	own, err := routing.Client{BaseURL: a.url, Token: repToken}.Stats(ctx, "churn")
	require.NoError(t, err)
	ownTotal := own.Variant(routing.VariantProduction).Requests + own.Variant(routing.VariantCanary).Requests
	assert.Equal(t, int64(requests/2), ownTotal)
	assert.Zero(t, own.Variant(routing.VariantCanary).Feedback)
	assert.NotEqual(t, rollout.VerdictFail, rollout.AnalyzeCanary(own, d.Criteria).Verdict,
		"one replica's counters hold no label, so they cannot fail the canary")

	// The canary fails within a few analyses; an analysis that cannot see
	// the labels would wait out the hold instead.
	waitCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	var res workflows.RolloutResult
	require.NoError(t, run.Get(waitCtx, &res), "the rollout did not end: the analysis never failed the canary")
	assert.Equal(t, workflows.OutcomeRolledBack, res.Outcome, res.Reason)
	assert.Contains(t, res.Reason, "accuracy")
	require.NotNil(t, res.LastAnalysis)
	assert.Equal(t, rollout.SourceInferenceLog, res.LastAnalysis.Source)
	assert.Equal(t, []string{"gw-a", "gw-b"}, res.LastAnalysis.Replicas)
	assert.Contains(t, res.LastAnalysis.Summary, "from the inference log of 2 replicas: gw-a, gw-b")
	assert.Empty(t, res.LastAnalysis.Warning)

	// The analysis that rolled it back counted exactly what was sent.
	all := repAnalyses(t, s, id)
	require.NotEmpty(t, all)
	last := all[len(all)-1]
	assert.Equal(t, rollout.SourceInferenceLog, last.Source)
	prod, canary := last.Stats.Variant(routing.VariantProduction), last.Stats.Variant(routing.VariantCanary)
	assert.Equal(t, sent[routing.VariantProduction], prod.Requests)
	assert.Equal(t, sent[routing.VariantCanary], canary.Requests)
	assert.Equal(t, cand.Version, canary.Version)
	assert.Equal(t, [2]int64{sent[routing.VariantProduction], sent[routing.VariantProduction]}, [2]int64{prod.Feedback, prod.TP + prod.TN},
		"every production answer was right")
	assert.Equal(t, [2]int64{sent[routing.VariantCanary], 0}, [2]int64{canary.Feedback, canary.TP + canary.TN},
		"every canary answer was wrong")
	assert.Zero(t, prod.Errors+canary.Errors)
}

// A gateway run without the inference log: the analysis falls back to the
// counters of the one gateway the rollout steers, and `mlpipe rollout
// status` says so, with what to change.
func TestRepCanaryWithoutALogSaysItReadsOneGateway(t *testing.T) {
	dir := ilDeploy(t)
	bin := buildMlpipe(t)
	s := repStack(t, dir)
	a := ilServe(t, bin, dir, "gw-a", "--inference-log=false")
	cand := repRegisterCopy(t, dir)
	ctx := context.Background()

	d := spec.Deployment{Strategy: spec.StrategyCanary, GatewayURL: a.url,
		Steps:            []spec.CanaryStep{{Weight: 50, Hold: spec.Duration(5 * time.Minute)}},
		AnalysisInterval: spec.Duration(time.Second), FailureLimit: 3}
	const id = "rep-canary-no-log"
	_, err := s.srv.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: workflows.TaskQueueCPU},
		workflows.CanaryRolloutName, workflows.RolloutInput{Model: "churn", Candidate: cand.Version, Deployment: d})
	require.NoError(t, err)

	var out string
	require.Eventually(t, func() bool {
		out, _ = s.mlpipe("rollout", "status", id)
		return strings.Contains(out, "last analysis:")
	}, time.Minute, 200*time.Millisecond, "no analysis yet: %s", out)
	assert.Contains(t, out, "[from the counters of the one gateway the rollout steers; warning: the gateway writes no inference log "+
		"(mlpipe serve --inference-log=false), so only its own share of the traffic is analysed, and a restart loses it; run every replica with the log on]")

	out, code := s.mlpipe("rollout", "abort", id, "--as", "alice", "--reason", "test over")
	require.Equal(t, 0, code, out)
}
