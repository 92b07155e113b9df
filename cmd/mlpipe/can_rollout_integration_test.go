package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/mlpipe/mlpipe/internal/bundle"
	"github.com/mlpipe/mlpipe/internal/routing"
	"github.com/mlpipe/mlpipe/internal/spec"
	"github.com/mlpipe/mlpipe/workflows"
)

// A shadow whose runs hand over at the lowest bound (100 events), analysed
// every second for 10 seconds (about 140 events), continues as new on the
// dev server under the same workflow ID: no run's history passes the bound
// by more than one analysis, `mlpipe rollout status --follow` and the
// client's result follow it to its last run, and it switches as a shadow
// that never continued would.
//
// With MLPIPE_RECORD_SHADOW_HISTORY set to a folder, the first run (which
// ends by continuing as new) and the last (which starts from a hand-over
// and switches) are written there as shadow_v1_first_run.json and
// shadow_v1_last_run.json, for workflows/replay_test.go.
func TestShadowContinuesAsNewOnLiveTraffic(t *testing.T) {
	s := startStack(t)
	s.deployFirstVersion(t)
	ctx := context.Background()
	_, _, v := s.registerCandidate(t, func(*bundle.Bundle) {})
	stop := s.replay(t)

	d := spec.Deployment{Strategy: spec.StrategyShadow, GatewayURL: s.gateway, Mirror: 100,
		Window: spec.Duration(10 * time.Second), AnalysisInterval: spec.Duration(time.Second), FailureLimit: 3}
	d.Criteria.MinRequests, d.Criteria.MinFeedback, d.Criteria.MinPSIRows = 40, 40, 100
	const id = "shadow-continues"
	run, err := s.srv.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: workflows.TaskQueueCPU},
		workflows.ShadowRolloutName, workflows.RolloutInput{Model: "churn-classifier", Candidate: v.Version, Deployment: d,
			ContinueAsNewAt: workflows.MinContinueAsNewAt})
	require.NoError(t, err)
	first := run.GetRunID() // Get moves the run to the last one

	t.Cleanup(func() {
		if t.Failed() {
			// What the rollout was doing: its pending activities and the
			// end of its current run's history.
			t.Logf("%s", s.temporal("workflow", "describe", "-w", id))
			show := strings.Split(s.temporal("workflow", "show", "-w", id), "\n")
			t.Logf("%s", strings.Join(show[max(0, len(show)-40):], "\n"))
		}
	})
	out, code := s.mlpipe("rollout", "status", id, "--follow", "--timeout", "5m")
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, "promoted")

	var res workflows.RolloutResult
	require.NoError(t, run.Get(ctx, &res), "the client follows the rollout to its last run")
	assert.Equal(t, workflows.OutcomePromoted, res.Outcome, res.Reason)
	assert.Equal(t, id, res.WorkflowID)

	runs := canRuns(t, s, id, first)
	require.GreaterOrEqual(t, len(runs), 2, "the shadow continued as new")
	analyses := 0
	for i, r := range runs {
		// The bound is checked between analyses: a run ends at most one
		// analysis (12 events) and its hand-over past it.
		assert.LessOrEqual(t, r.events, workflows.MinContinueAsNewAt+16, "run %d of %d", i+1, len(runs))
		analyses += r.analyses
		if i < len(runs)-1 {
			assert.Equal(t, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW, r.last, "run %d hands over", i+1)
		}
	}
	assert.Equal(t, analyses, res.Analyses, "the result counts every run's analyses")
	require.NotEmpty(t, res.History)
	assert.Contains(t, res.History[0].What, "shadow: 100% of traffic mirrored to version")
	assert.Contains(t, res.History[len(res.History)-1].What, "promoted: shadow rollout passed")

	tr := stop()
	assert.Zero(t, tr.ByVariant[routing.VariantShadow], "a shadow never answers")
	assert.Zero(t, tr.Errors, tr.FirstError)
	p, _ := s.predict(twoCustomers)
	assert.Equal(t, v.Version, p.Version, "switched to the shadow")

	if dir := os.Getenv("MLPIPE_RECORD_SHADOW_HISTORY"); dir != "" {
		for name, r := range map[string]canRun{"shadow_v1_first_run.json": runs[0], "shadow_v1_last_run.json": runs[len(runs)-1]} {
			hist := s.temporal("workflow", "show", "-w", id, "-r", r.id, "-o", "json")
			require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(hist), 0o644))
		}
	}
}

// canRun is one run of a workflow ID's chain.
type canRun struct {
	id       string
	events   int
	analyses int
	last     enumspb.EventType
}

// canRuns walks a workflow's runs from the first, following each
// continue-as-new to the next.
func canRuns(t *testing.T, s *stack, id, first string) []canRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var runs []canRun
	for rid := first; rid != ""; {
		r := canRun{id: rid}
		next := ""
		it := s.srv.Client.GetWorkflowHistory(ctx, id, rid, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for it.HasNext() {
			ev, err := it.Next()
			require.NoError(t, err)
			r.events++
			r.last = ev.GetEventType()
			if strings.EqualFold(ev.GetActivityTaskScheduledEventAttributes().GetActivityType().GetName(), "AnalyzeRollout") {
				r.analyses++
			}
			if c := ev.GetWorkflowExecutionContinuedAsNewEventAttributes(); c != nil {
				next = c.GetNewExecutionRunId()
			}
		}
		runs = append(runs, r)
		rid = next
	}
	return runs
}

// Following a long rollout whose status keeps only its latest history
// lines prints each line once: the ones written since, however many older
// lines the rollout let go.
func TestCanFollowPrintsOnlyNewLinesOfABoundedHistory(t *testing.T) {
	line := func(n int) workflows.RolloutEvent {
		return workflows.RolloutEvent{What: fmt.Sprintf("analysis %d passed", n)}
	}
	st := workflows.RolloutStatus{Strategy: "canary", Model: "churn-classifier", Candidate: 2, State: workflows.RolloutRunning,
		History: []workflows.RolloutEvent{line(1), line(2), line(3)}}
	var out strings.Builder
	printed := printRollout(&out, st, 0)
	require.Equal(t, 3, printed)
	// Two more lines written, two of the oldest let go.
	st.History, st.HistoryDropped = []workflows.RolloutEvent{line(3), line(4), line(5)}, 2
	out.Reset()
	printed = printRollout(&out, st, printed)
	assert.Equal(t, 5, printed)
	assert.NotContains(t, out.String(), "analysis 3 passed", "already printed")
	assert.Contains(t, out.String(), "analysis 4 passed")
	assert.Contains(t, out.String(), "analysis 5 passed")
}
