package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"

	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/matrix"
	"github.com/mlpipe/mlpipe/internal/model"
	"github.com/mlpipe/mlpipe/internal/tune"
	"github.com/mlpipe/mlpipe/workflows"
)

// A search cancelled with `temporal workflow cancel`, as a user cancels it
// from the CLI or the Web UI, stops the trials running on mlpipe-gpu: each
// running attempt ends cancelled in the history (the activity saw the
// cancellation and returned), nothing is left pending, and the search ends
// Canceled. The trials would otherwise run for minutes.
func TestCancellingTheSearchStopsItsRunningTrials(t *testing.T) {
	s := startStack(t)
	ctx := context.Background()
	input := filepath.Join(s.tmp, "search.json")
	require.NoError(t, os.WriteFile(input, s.longSearchInput(t), 0o644))

	id := "search-cancel"
	s.temporal("workflow", "start", "--type", workflows.HyperparameterSearchName, "--task-queue", workflows.TaskQueueCPU,
		"-w", id, "--input-file", input)

	// Both GPU slots busy with trials. No fit has ended, so the worker
	// prefetches none (a trial waiting for a slot is cancelled the same
	// way: activities' TestATrialWaitsForAFreeSlotAndCanBeCancelledWhileItWaits).
	var running []string
	require.Eventually(t, func() bool {
		d, err := s.srv.Client.DescribeWorkflow(ctx, id, "")
		if err != nil {
			return false
		}
		running = running[:0]
		for _, pa := range d.RawResponse.GetPendingActivities() {
			if pa.GetActivityType().GetName() == "TrainTrial" && pa.GetState() == enumspb.PENDING_ACTIVITY_STATE_STARTED {
				running = append(running, pa.GetActivityId())
			}
		}
		return len(running) == 2
	}, time.Minute, 100*time.Millisecond, "two TrainTrial activities never started")

	s.temporal("workflow", "cancel", "-w", id)

	var closed bool
	require.Eventually(t, func() bool {
		d, err := s.srv.Client.DescribeWorkflow(ctx, id, "")
		closed = err == nil && d.RawResponse.GetWorkflowExecutionInfo().GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING
		return closed
	}, 45*time.Second, 100*time.Millisecond, "the search did not end after the cancel")

	d, err := s.srv.Client.DescribeWorkflow(ctx, id, "")
	require.NoError(t, err)
	assert.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED, d.RawResponse.GetWorkflowExecutionInfo().GetStatus())
	assert.Empty(t, d.RawResponse.GetPendingActivities(), "no trial is left pending")

	// Each trial that was running ended cancelled (the activity returned
	// on seeing the cancellation): none completed, failed or timed out.
	scheduled, ended := map[string]int64{}, map[int64]enumspb.EventType{}
	it := s.srv.Client.GetWorkflowHistory(ctx, id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		require.NoError(t, err)
		switch {
		case e.GetActivityTaskScheduledEventAttributes() != nil:
			scheduled[e.GetActivityTaskScheduledEventAttributes().GetActivityId()] = e.GetEventId()
		case e.GetActivityTaskCompletedEventAttributes() != nil:
			ended[e.GetActivityTaskCompletedEventAttributes().GetScheduledEventId()] = e.GetEventType()
		case e.GetActivityTaskFailedEventAttributes() != nil:
			ended[e.GetActivityTaskFailedEventAttributes().GetScheduledEventId()] = e.GetEventType()
		case e.GetActivityTaskTimedOutEventAttributes() != nil:
			ended[e.GetActivityTaskTimedOutEventAttributes().GetScheduledEventId()] = e.GetEventType()
		case e.GetActivityTaskCanceledEventAttributes() != nil:
			ended[e.GetActivityTaskCanceledEventAttributes().GetScheduledEventId()] = e.GetEventType()
		}
	}
	for _, activityID := range running {
		sched, ok := scheduled[activityID]
		require.True(t, ok, "activity %s is in the history", activityID)
		assert.Equal(t, enumspb.EVENT_TYPE_ACTIVITY_TASK_CANCELED.String(), ended[sched].String(), "trial activity %s", activityID)
	}
}

// longSearchInput stores a small training matrix and returns a search
// over it whose trials would each train for minutes: batches of 4 rows,
// a million epochs.
func (s *stack) longSearchInput(t *testing.T) []byte {
	ctx := context.Background()
	const rows, cols = 400, 8
	r := rand.New(rand.NewPCG(1, 2))
	m := matrix.Matrix{Names: make([]string, cols), X: make([]float64, rows*cols), Y: make([]float64, rows)}
	for j := range m.Names {
		m.Names[j] = "x" + string(rune('a'+j))
	}
	for i := range rows {
		for j := range cols {
			m.X[i*cols+j] = r.NormFloat64()
		}
		if m.X[i*cols]+r.NormFloat64() > 0 {
			m.Y[i] = 1
		}
	}
	var buf bytes.Buffer
	require.NoError(t, matrix.Write(&buf, m))
	store, err := artifact.Open(ctx, os.Getenv("MLPIPE_ARTIFACTS"))
	require.NoError(t, err)
	ref, err := store.Put(ctx, "test/search-cancel/train.csv", &buf, "text/csv")
	require.NoError(t, err)
	in := workflows.SearchInput{
		Model: "churn-classifier", Train: ref,
		Base: model.Config{Kind: model.KindLogistic, Optimizer: model.OptimizerAdam, Epochs: 1_000_000, BatchSize: 4},
		Search: tune.Search{NIter: 4, CV: 2, Scoring: "f1", Seed: 1, MaxParallel: 4,
			ParamDistributions: tune.Space{{Name: "learning_rate", Dist: tune.LogUniform(0.001, 0.01)}}},
	}
	b, err := json.Marshal(in)
	require.NoError(t, err)
	return b
}
