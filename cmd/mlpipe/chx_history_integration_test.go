//go:build chaos

package main

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
)

// chxActivity is one scheduled activity as a workflow's history records
// it: how often it started and closed, on which worker, at which attempt.
type chxActivity struct {
	Scheduled int64
	Type      string
	Queue     string
	Input     *commonpb.Payloads
	Started   int
	Attempt   int32
	Identity  string
	Completed int
	Closed    int // completed, failed, timed out or cancelled
	// ClosedAt is when the server recorded the last close.
	ClosedAt time.Time
}

// chxRun is one workflow run's activities (by scheduled event, in order),
// its children and the run it continued as, if any.
type chxRun struct {
	ID         string
	RunID      string
	Activities []*chxActivity
	Children   [][2]string // workflow ID, run ID
	Next       string
}

// chxRuns reads every run of workflow id from runID on (the first run
// when runID is empty and the workflow never continued as new), following
// continue-as-new.
func (s *stack) chxRuns(t *testing.T, id, runID string) []chxRun {
	t.Helper()
	var runs []chxRun
	for {
		r := s.chxRun(t, id, runID)
		runs = append(runs, r)
		if r.Next == "" {
			return runs
		}
		runID = r.Next
	}
}

func (s *stack) chxRun(t *testing.T, id, runID string) chxRun {
	t.Helper()
	r := chxRun{ID: id, RunID: runID}
	byID := map[int64]*chxActivity{}
	it := s.srv.Client.GetWorkflowHistory(context.Background(), id, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		require.NoError(t, err, "history of %s", id)
		switch e.GetEventType() {
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
			at := e.GetActivityTaskScheduledEventAttributes()
			a := &chxActivity{Scheduled: e.GetEventId(), Type: at.GetActivityType().GetName(), Queue: at.GetTaskQueue().GetName(), Input: at.GetInput()}
			byID[a.Scheduled] = a
			r.Activities = append(r.Activities, a)
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED:
			at := e.GetActivityTaskStartedEventAttributes()
			a := byID[at.GetScheduledEventId()]
			a.Started++
			a.Attempt, a.Identity = at.GetAttempt(), at.GetIdentity()
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
			a := byID[e.GetActivityTaskCompletedEventAttributes().GetScheduledEventId()]
			a.Completed++
			a.Closed++
			a.ClosedAt = e.GetEventTime().AsTime()
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_FAILED:
			byID[e.GetActivityTaskFailedEventAttributes().GetScheduledEventId()].Closed++
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
			byID[e.GetActivityTaskTimedOutEventAttributes().GetScheduledEventId()].Closed++
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_CANCELED:
			byID[e.GetActivityTaskCanceledEventAttributes().GetScheduledEventId()].Closed++
		case enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED:
			we := e.GetChildWorkflowExecutionStartedEventAttributes().GetWorkflowExecution()
			r.Children = append(r.Children, [2]string{we.GetWorkflowId(), we.GetRunId()})
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
			r.Next = e.GetWorkflowExecutionContinuedAsNewEventAttributes().GetNewExecutionRunId()
		}
	}
	return r
}

// chxTree is a pipeline's runs and, depth first, its children's.
func (s *stack) chxTree(t *testing.T, id string) []chxRun {
	t.Helper()
	runs := s.chxRuns(t, id, "")
	for i := 0; i < len(runs); i++ {
		for _, c := range runs[i].Children {
			runs = append(runs, s.chxRuns(t, c[0], c[1])...)
		}
	}
	return runs
}
