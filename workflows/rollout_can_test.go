package workflows

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/mlpipe/mlpipe/activities"
	"github.com/mlpipe/mlpipe/internal/rollout"
	"github.com/mlpipe/mlpipe/internal/spec"
)

// canParent waits on a rollout as the pipeline's deployment stage does: a
// child workflow whose result it returns. A child that continues as new is
// followed to its last run.
func canParent(ctx workflow.Context, in RolloutInput) (RolloutResult, error) {
	name := CanaryRolloutName
	if in.Deployment.Strategy == spec.StrategyShadow {
		name = ShadowRolloutName
	}
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{WorkflowID: RolloutID("churn-1", in.Deployment.Strategy), TaskQueue: TaskQueueCPU})
	var res RolloutResult
	err := workflow.ExecuteChildWorkflow(cctx, name, in).Get(ctx, &res)
	return res, err
}

// canRecorder answers a rollout's activities and notes, per run, what the
// rollout asked for.
type canRecorder struct {
	env      *testsuite.TestWorkflowEnvironment
	start    time.Time
	verdict  func(n int, t time.Duration) rollout.Verdict
	analyses int
	// perRun counts each run's analyses and routings, in the order the
	// runs appeared.
	runs     []string
	perRun   map[string]int
	weights  []float64
	promoted int
	rolled   int
}

func (c *canRecorder) run(ctx context.Context) {
	id := activity.GetInfo(ctx).WorkflowExecution.RunID
	if _, ok := c.perRun[id]; !ok {
		c.runs = append(c.runs, id)
	}
	c.perRun[id]++
}

func canEnv(t *testing.T, verdict func(n int, t time.Duration) rollout.Verdict) *canRecorder {
	var s testsuite.WorkflowTestSuite
	s.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	env := s.NewTestWorkflowEnvironment()
	// A fixed start, so that runs of the same rollout can be compared.
	env.SetStartTime(time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC))
	// Thousands of analyses on a busy machine: a slow workflow task is not
	// a deadlock here.
	env.SetWorkerOptions(worker.Options{DeadlockDetectionTimeout: time.Minute})
	env.RegisterWorkflow(CanaryRollout)
	env.RegisterWorkflow(ShadowRollout)
	env.RegisterWorkflow(canParent)
	env.RegisterActivity(a)
	c := &canRecorder{env: env, start: env.Now(), verdict: verdict, perRun: map[string]int{}}
	env.OnActivity(a.SetRouting, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, in activities.SetRoutingInput) (activities.SetRoutingResult, error) {
			c.run(ctx)
			c.weights = append(c.weights, in.Routing.Weight)
			return activities.SetRoutingResult{Routing: in.Routing}, nil
		}).Maybe()
	env.OnActivity(a.AnalyzeRollout, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, in activities.AnalyzeRolloutInput) (activities.AnalyzeRolloutResult, error) {
			c.run(ctx)
			c.analyses++
			v := c.verdict(c.analyses, env.Now().Sub(c.start))
			return activities.AnalyzeRolloutResult{Analysis: rollout.Analysis{Verdict: v, Summary: "canary " + string(v)}}, nil
		}).Maybe()
	env.OnActivity(a.PromoteCandidate, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.FinishRolloutInput) (activities.FinishRolloutResult, error) {
			c.promoted++
			return activities.FinishRolloutResult{Version: in.Version, Alias: "production"}, nil
		}).Maybe()
	env.OnActivity(a.RollbackCandidate, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.FinishRolloutInput) (activities.FinishRolloutResult, error) {
			c.rolled++
			return activities.FinishRolloutResult{Version: in.Version}, nil
		}).Maybe()
	return c
}

// canAsChild runs the rollout as the pipeline would, as a child, and
// returns its result.
func (c *canRecorder) canAsChild(t *testing.T, in RolloutInput) RolloutResult {
	t.Helper()
	c.env.ExecuteWorkflow(canParent, in)
	require.True(t, c.env.IsWorkflowCompleted())
	require.NoError(t, c.env.GetWorkflowError())
	var res RolloutResult
	require.NoError(t, c.env.GetWorkflowResult(&res))
	return res
}

// can48Hours is a 48-hour canary (the longest a spec allows) analysed
// every interval.
func can48Hours(interval time.Duration) RolloutInput {
	in := canaryInput(
		spec.CanaryStep{Weight: 5, Hold: hours(24)}, spec.CanaryStep{Weight: 25, Hold: hours(12)},
		spec.CanaryStep{Weight: 50, Hold: hours(8)}, spec.CanaryStep{Weight: 100, Hold: hours(4)})
	in.Deployment.AnalysisInterval = spec.Duration(interval)
	return in
}

// A 48-hour canary analysed every 5 minutes (576 analyses) continues as
// new many times at a low bound, a few times at the default and never at
// the highest; its parent gets the same result each time, every step is
// routed once, and it is promoted once, after 48 hours.
func TestA48HourCanaryContinuesAsNewAndIsPromotedAsWithoutIt(t *testing.T) {
	var results []RolloutResult
	var runs []int
	for _, at := range []int{MaxContinueAsNewAt, 0, MinContinueAsNewAt} {
		c := canEnv(t, func(int, time.Duration) rollout.Verdict { return rollout.VerdictPass })
		in := can48Hours(5 * time.Minute)
		in.ContinueAsNewAt = at
		res := c.canAsChild(t, in)
		assert.Equal(t, OutcomePromoted, res.Outcome)
		assert.Equal(t, 576, res.Analyses)
		assert.Equal(t, []float64{5, 25, 50, 100}, c.weights, "each step routed once, not again by a new run")
		assert.Equal(t, 1, c.promoted)
		assert.Zero(t, c.rolled)
		assert.Equal(t, 48*time.Hour, c.env.Now().Sub(c.start).Round(time.Minute))
		results = append(results, res)
		runs = append(runs, len(c.runs))
	}
	assert.Equal(t, 1, runs[0], "10,000 events hold the whole canary in one run")
	assert.Greater(t, runs[1], 2, "the default bound continues as new")
	assert.Greater(t, runs[2], 40, "the lowest bound continues as new often")
	for i := 1; i < len(results); i++ {
		assert.Equal(t, canJSON(t, results[0]), canJSON(t, results[i]), "the result does not depend on the runs (%d runs against %d)", runs[i], runs[0])
	}
	// 581 lines were written; the 200 kept are every step and the outcome
	// and the latest analyses.
	last := results[2]
	assert.Len(t, last.History, RolloutHistoryKept)
	assert.Equal(t, 381, last.HistoryDropped)
	var milestones []string
	for _, line := range canLines(last) {
		if !routineLine(line) {
			milestones = append(milestones, line)
		}
	}
	assert.Equal(t, []string{
		"step 1 of 4: 5% of traffic to version 4 for 24h0m0s", "step 2 of 4: 25% of traffic to version 4 for 12h0m0s",
		"step 3 of 4: 50% of traffic to version 4 for 8h0m0s", "step 4 of 4: 100% of traffic to version 4 for 4h0m0s",
		"promoted: canary rollout passed",
	}, milestones)
	assert.Equal(t, "analysis 382 passed", last.History[2].What)
	assert.Equal(t, "analysis 576 passed", last.History[RolloutHistoryKept-2].What)
}

// The same canary going bad in its 30th hour is rolled back at its second
// failed analysis, whichever run it is in, with the same result.
func TestA48HourCanaryThatGoesBadIsRolledBackAcrossContinueAsNew(t *testing.T) {
	bad := func(_ int, t time.Duration) rollout.Verdict {
		if t > 30*time.Hour {
			return rollout.VerdictFail
		}
		return rollout.VerdictPass
	}
	var results []RolloutResult
	for _, at := range []int{MaxContinueAsNewAt, MinContinueAsNewAt} {
		c := canEnv(t, bad)
		in := can48Hours(5 * time.Minute)
		in.ContinueAsNewAt = at
		res := c.canAsChild(t, in)
		assert.Equal(t, OutcomeRolledBack, res.Outcome)
		assert.Contains(t, res.Reason, "2 failed analyses in a row")
		assert.Equal(t, 362, res.Analyses, "30 hours of passes, then two failures")
		assert.Equal(t, []float64{5, 25}, c.weights)
		assert.Equal(t, 1, c.rolled)
		assert.Zero(t, c.promoted)
		if at == MinContinueAsNewAt {
			assert.Greater(t, len(c.runs), 20)
		}
		results = append(results, res)
	}
	assert.Equal(t, canJSON(t, results[0]), canJSON(t, results[1]))
}

// The case: a 48-hour canary analysed every 10 seconds (17,280
// analyses, about 200,000 events in one run) continues as new at the
// default bound, and no run's history reaches it. A run's events are
// counted as the dev server writes them: per analysis a timer started and
// fired, an activity scheduled, started and completed, and two workflow
// tasks of three events (11.6 measured on the dev server), 12 here; the
// run's start, set-up and hand-over cost under 20, a routing 6.
func TestNoRunOfA10SecondCanaryReachesTheHistoryBound(t *testing.T) {
	if testing.Short() {
		t.Skip("17,280 analyses")
	}
	c := canEnv(t, func(int, time.Duration) rollout.Verdict { return rollout.VerdictPass })
	res := c.canAsChild(t, can48Hours(10*time.Second))
	require.Equal(t, OutcomePromoted, res.Outcome)
	require.Equal(t, 17280, res.Analyses)
	assert.Greater(t, len(c.runs), 80, "about 17,280 × 12 / 2,000 runs")
	for i, id := range c.runs {
		// Every activity the run called, counted as an analysis's worth.
		events := 20 + 12*c.perRun[id]
		assert.LessOrEqual(t, events, DefaultContinueAsNewAt+12, "run %d", i+1)
	}
	assert.LessOrEqual(t, len(res.History), RolloutHistoryKept)
	b, err := json.Marshal(res)
	require.NoError(t, err)
	assert.Less(t, len(b), 64<<10, "the result (and each hand-over) stays small")
}

// A rollout handed over keeps its state: a pause sent as the run hands
// over is not lost, the new run answers the status query as the old one
// did, holds what is left of the step and routes it no more.
func TestAContinuedCanaryKeepsItsStatusAndItsControls(t *testing.T) {
	c := canEnv(t, func(int, time.Duration) rollout.Verdict { return rollout.VerdictPass })
	// The seed's 40 hours, analysed every hour. The server's count
	// reaches the bound in the third hour; a pause arrives with the third
	// analysis, as the run decides to hand over.
	c.env.RegisterDelayedCallback(func() { c.env.SetCurrentHistoryLength(DefaultContinueAsNewAt) }, 2*time.Hour+30*time.Minute)
	c.env.RegisterDelayedCallback(func() {
		c.env.SignalWorkflow(ControlPause, RolloutCommand{By: "alice", Reason: "dashboards"})
	}, 3*time.Hour)
	c.env.ExecuteWorkflow(CanaryRollout, canaryInput())
	require.True(t, c.env.IsWorkflowCompleted())
	var can *workflow.ContinueAsNewError
	require.True(t, errors.As(c.env.GetWorkflowError(), &can), "continued as new: %v", c.env.GetWorkflowError())
	var next RolloutInput
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
	require.NotNil(t, next.Carry)
	assert.Empty(t, next.problems, "the hand-over is an input the workflow takes")
	assert.Equal(t, 3, c.analyses, "handed over after the third hour's analysis")
	assert.True(t, next.Carry.Paused, "the pause was read before the hand-over")
	assert.Equal(t, "alice", next.Carry.Status.PausedBy)
	assert.Equal(t, 0, next.Carry.StepIndex)
	assert.Equal(t, spec.Duration(21*time.Hour), next.Carry.Remaining)
	assert.Equal(t, 1, next.Carry.Runs)

	// The next run, where the first left off: paused, then resumed.
	c2 := canEnv(t, func(int, time.Duration) rollout.Verdict { return rollout.VerdictPass })
	c2.env.SetStartTime(c.env.Now())
	var first RolloutStatus
	c2.env.RegisterDelayedCallback(func() {
		v, err := c2.env.QueryWorkflow(QueryStatus)
		require.NoError(t, err)
		require.NoError(t, v.Get(&first))
		c2.env.SignalWorkflow(ControlResume, RolloutCommand{By: "alice"})
	}, time.Minute)
	c2.env.ExecuteWorkflow(CanaryRollout, next)
	require.True(t, c2.env.IsWorkflowCompleted())
	require.NoError(t, c2.env.GetWorkflowError())
	var res RolloutResult
	require.NoError(t, c2.env.GetWorkflowResult(&res))
	assert.Equal(t, RolloutPaused, first.State)
	assert.Equal(t, "alice", first.PausedBy)
	assert.Equal(t, 1, first.Step)
	assert.Equal(t, 5.0, first.Weight)
	assert.Equal(t, 3, first.Analyses)
	assert.Equal(t, canEventLines(next.Carry.Status.History), canEventLines(first.History), "the history came along")
	assert.Equal(t, []string{"step 1 of 3: 5% of traffic to version 4 for 24h0m0s", "analysis 1 passed", "analysis 2 passed", `pause by alice ("dashboards")`, "analysis 3 passed"},
		canEventLines(first.History))
	assert.Equal(t, OutcomePromoted, res.Outcome)
	assert.Equal(t, 40, res.Analyses)
	assert.Equal(t, []float64{25, 50}, c2.weights, "the first step is not routed again")
	assert.Equal(t, 37*time.Hour+time.Minute, c2.env.Now().Sub(c.env.Now()).Round(time.Minute), "21 hours of step 1 left, a minute paused, 16 more")
}

// A shadow handed over mid-window finishes its window and switches once.
func TestAShadowContinuesAsNewAndSwitchesAsWithoutIt(t *testing.T) {
	var results []RolloutResult
	for _, at := range []int{MaxContinueAsNewAt, MinContinueAsNewAt} {
		c := canEnv(t, func(int, time.Duration) rollout.Verdict { return rollout.VerdictPass })
		in := shadowInput()
		in.Deployment.AnalysisInterval = spec.Duration(5 * time.Minute)
		in.ContinueAsNewAt = at
		res := c.canAsChild(t, in)
		assert.Equal(t, OutcomePromoted, res.Outcome)
		assert.Equal(t, 288, res.Analyses)
		assert.Equal(t, []float64{0}, c.weights, "the mirror is set once")
		assert.Equal(t, 1, c.promoted)
		if at == MinContinueAsNewAt {
			assert.Greater(t, len(c.runs), 20)
		}
		results = append(results, res)
	}
	assert.Equal(t, canJSON(t, results[0]), canJSON(t, results[1]))
}

func TestContinueAsNewAtOutOfRangeIsRefused(t *testing.T) {
	for _, bad := range []int{-1, 50, 10001} {
		c := canEnv(t, nil)
		in := canaryInput()
		in.ContinueAsNewAt = bad
		c.env.ExecuteWorkflow(CanaryRollout, in)
		require.Error(t, c.env.GetWorkflowError())
		assert.Contains(t, c.env.GetWorkflowError().Error(),
			fmt.Sprintf("continue_as_new_at %d is out of range: use 100 to 10000 events (0 means 2000)", bad))
		assert.Empty(t, c.weights, "nothing was routed")
	}
}

func TestKeepHistoryDropsTheOldestRoutineLinesFirst(t *testing.T) {
	at := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
	var h []RolloutEvent
	dropped := 0
	add := func(what string) { h, dropped = keepHistory(h, dropped, RolloutEvent{At: at, What: what}) }
	add("step 1 of 2: 5% of traffic to version 4 for 24h0m0s")
	add("analysis 1 inconclusive: too few requests")
	add("analysis 2 failed (1 of 2 allowed): accuracy")
	for i := range RolloutHistoryKept {
		add(fmt.Sprintf("analysis %d passed", 3+i))
	}
	assert.Len(t, h, RolloutHistoryKept)
	assert.Equal(t, 3, dropped, "203 lines written, 200 kept")
	assert.Equal(t, []string{"step 1 of 2: 5% of traffic to version 4 for 24h0m0s", "analysis 2 failed (1 of 2 allowed): accuracy",
		"analysis 5 passed"}, canEventLines(h[:3]), "the step and the failure stay; the inconclusive and the oldest passes go")
	assert.Equal(t, "analysis 202 passed", h[len(h)-1].What)

	// With nothing routine left, the oldest line goes.
	h, dropped = nil, 0
	for i := range RolloutHistoryKept + 1 {
		add(fmt.Sprintf("pause by alice (%d)", i))
	}
	assert.Equal(t, "pause by alice (1)", h[0].What)
	assert.Equal(t, 1, dropped)
}

func canJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

func canLines(r RolloutResult) []string { return canEventLines(r.History) }

func canEventLines(h []RolloutEvent) []string {
	var out []string
	for _, e := range h {
		out = append(out, e.What)
	}
	return out
}

// A hand-written carry that is not a rollout's own hand-over (a step the
// deployment does not have) is refused before anything is routed.
func TestAForeignCarryIsRefused(t *testing.T) {
	c := canEnv(t, nil)
	in := canaryInput()
	in.Carry = &RolloutCarry{StepIndex: 7, Remaining: hours(1)}
	c.env.ExecuteWorkflow(CanaryRollout, in)
	require.Error(t, c.env.GetWorkflowError())
	assert.Contains(t, c.env.GetWorkflowError().Error(),
		"carry is not a rollout's own hand-over (step_index 7, remaining 1h0m0s): start the rollout without carry")
	assert.Empty(t, c.weights)
}
