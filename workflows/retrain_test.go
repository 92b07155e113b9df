package workflows

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/mlpipe/mlpipe/activities"
)

// loopEnv runs a RetrainLoop in the time-skipping test environment with a
// StartRetraining that records each start (the real one starts a
// TrainingPipeline on the server; its behaviour on the real stack is in
// cmd/mlpipe's alert tests).
type loopEnv struct {
	env    *testsuite.TestWorkflowEnvironment
	mu     sync.Mutex
	starts []activities.StartRetrainingInput
	// fail makes StartRetraining fail (non-retryable) while it is set.
	fail bool
}

func newLoopEnv(t *testing.T) *loopEnv {
	var s testsuite.WorkflowTestSuite
	l := &loopEnv{env: s.NewTestWorkflowEnvironment()}
	l.env.RegisterWorkflowWithOptions(RetrainLoop, workflow.RegisterOptions{Name: RetrainLoopName})
	l.env.RegisterActivityWithOptions(func(_ context.Context, in activities.StartRetrainingInput) (activities.StartRetrainingResult, error) {
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.fail {
			return activities.StartRetrainingResult{}, errors.New("the server is down")
		}
		l.starts = append(l.starts, in)
		return activities.StartRetrainingResult{WorkflowID: in.WorkflowID, RunID: fmt.Sprint("run-", len(l.starts))}, nil
	}, activity.RegisterOptions{Name: "StartRetraining"})
	return l
}

// at sends al at offset d from the start.
func (l *loopEnv) at(d time.Duration, al Alert) {
	l.env.RegisterDelayedCallback(func() { l.env.SignalWorkflow(SignalAlert, al) }, d)
}

// run starts the loop, stops it (a cancel, as a person would) after end,
// and returns its last status.
func (l *loopEnv) run(t *testing.T, in RetrainLoopInput, end time.Duration) RetrainLoopStatus {
	t.Helper()
	var st RetrainLoopStatus
	l.env.RegisterDelayedCallback(func() {
		v, err := l.env.QueryWorkflow(QueryRetrainLoop)
		require.NoError(t, err)
		require.NoError(t, v.Get(&st))
		l.env.CancelWorkflow()
	}, end)
	l.env.ExecuteWorkflow(RetrainLoopName, in)
	require.True(t, l.env.IsWorkflowCompleted())
	return st
}

func driftAlert(startsAt time.Time) Alert {
	return Alert{Name: "ChurnDrift", Status: "firing", Fingerprint: "3f2a9c", StartsAt: startsAt,
		Action: activities.ActionRetrain, Labels: map[string]string{"model": "churn"}}
}

func TestHundredNotificationsInAnHourStartOneRetraining(t *testing.T) {
	l := newLoopEnv(t)
	start := l.env.Now()
	for i := range 100 {
		l.at(time.Duration(i)*36*time.Second+time.Second, driftAlert(start))
	}
	st := l.run(t, RetrainLoopInput{Model: "churn"}, 2*time.Hour)

	require.Len(t, l.starts, 1, "one incident, one cooldown: one pipeline")
	require.Equal(t, activities.RetrainWorkflowID("churn", driftAlert(start).Incident()), l.starts[0].WorkflowID)
	require.Equal(t, "ChurnDrift", l.starts[0].Alert)
	require.EqualValues(t, 100, st.Notifications)
	require.EqualValues(t, 99, st.Suppressed)
	require.True(t, st.InCooldown)
	require.Len(t, st.Firing, 1)
	require.EqualValues(t, 100, st.Firing[0].Count)
}

// Drift that persists for a week, re-sent every 4 hours (Alertmanager's
// repeat interval), retrains at most once per 24-hour cooldown.
func TestDriftPersistingAWeekRetrainsAtMostOncePerCooldown(t *testing.T) {
	l := newLoopEnv(t)
	start := l.env.Now()
	for h := 0; h < 7*24; h += 4 {
		l.at(time.Duration(h)*time.Hour+time.Minute, driftAlert(start))
	}
	l.run(t, RetrainLoopInput{Model: "churn"}, 7*24*time.Hour)

	require.Len(t, l.starts, 7, "a retraining each 24 h of a 7-day incident, no more")
	for i := 1; i < len(l.starts); i++ {
		require.Equal(t, l.starts[0].WorkflowID, l.starts[i].WorkflowID, "the same incident keeps its workflow ID")
	}
}

// The retraining's candidate is rejected at the gate (the loop does not
// wait for it): a new incident two hours later is held off until the
// cooldown ends, then retrains.
func TestARejectedRetrainingDoesNotRetrainAgainBeforeTheCooldownEnds(t *testing.T) {
	l := newLoopEnv(t)
	start := l.env.Now()
	l.at(time.Minute, driftAlert(start))
	second := driftAlert(start.Add(2 * time.Hour))
	second.Fingerprint = "77aa01"
	for h := 2; h <= 30; h += 4 {
		l.at(time.Duration(h)*time.Hour, second)
	}
	st := l.run(t, RetrainLoopInput{Model: "churn", Cooldown: 24 * time.Hour}, 31*time.Hour)

	require.Len(t, l.starts, 2)
	require.Equal(t, "77aa01-"+second.StartsAt.UTC().Format("20060102T150405Z"), l.starts[1].Incident)
	require.Len(t, st.Retrainings, 2)
	require.GreaterOrEqual(t, st.Retrainings[1].StartedAt.Sub(st.Retrainings[0].StartedAt), 24*time.Hour)
	require.EqualValues(t, 7, st.Suppressed, "six before the cooldown ended, one after the second retraining")
}

// A start that fails does not open a cooldown: the next notification
// tries again, and the status says why the first failed.
func TestAFailedStartIsRetriedByTheNextNotification(t *testing.T) {
	l := newLoopEnv(t)
	start := l.env.Now()
	l.env.RegisterDelayedCallback(func() { l.mu.Lock(); l.fail = true; l.mu.Unlock() }, 0)
	l.at(time.Minute, driftAlert(start))
	l.env.RegisterDelayedCallback(func() { l.mu.Lock(); l.fail = false; l.mu.Unlock() }, time.Hour)
	l.at(2*time.Hour, driftAlert(start))
	st := l.run(t, RetrainLoopInput{Model: "churn"}, 3*time.Hour)

	require.Len(t, l.starts, 1)
	require.EqualValues(t, 1, st.Failed)
	require.Empty(t, st.LastError, "cleared by the start that worked")
}

// A resolved alert leaves the firing list; a new firing of it is a new
// incident.
func TestAResolvedAlertEndsItsIncident(t *testing.T) {
	l := newLoopEnv(t)
	start := l.env.Now()
	l.at(time.Minute, driftAlert(start))
	resolved := driftAlert(start)
	resolved.Status = "resolved"
	l.at(time.Hour, resolved)
	st := l.run(t, RetrainLoopInput{Model: "churn"}, 2*time.Hour)
	require.Empty(t, st.Firing)
	require.Len(t, st.Retrainings, 1)
}

// The loop continues as new before its history grows long, carrying its
// state: a loop restarted mid-incident (a new run, a new worker) keeps
// the cooldown and suppresses the incident's notifications.
func TestTheLoopCarriesItsStateAcrossContinueAsNew(t *testing.T) {
	l := newLoopEnv(t)
	start := l.env.Now()
	for i := range 5 {
		l.at(time.Duration(i)*time.Minute+time.Second, driftAlert(start))
	}
	// The history reaches the loop's cap (the server counts events; the
	// test environment is told), and one more notification comes.
	l.env.RegisterDelayedCallback(func() { l.env.SetCurrentHistoryLength(retrainLoopEvents) }, 10*time.Minute)
	l.at(11*time.Minute, driftAlert(start))
	l.env.ExecuteWorkflow(RetrainLoopName, RetrainLoopInput{Model: "churn"})
	require.True(t, l.env.IsWorkflowCompleted())
	var can *workflow.ContinueAsNewError
	require.True(t, errors.As(l.env.GetWorkflowError(), &can), "the loop continued as new: %v", l.env.GetWorkflowError())
	require.Len(t, l.starts, 1)

	var next RetrainLoopInput
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
	require.NotNil(t, next.State)
	require.Len(t, next.State.Retrainings, 1)
	require.Equal(t, 1, next.State.Runs)
	require.EqualValues(t, 6, next.State.Notifications)

	// The next run: the same incident within the cooldown starts nothing.
	l2 := newLoopEnv(t)
	l2.at(time.Minute, driftAlert(start))
	st := l2.run(t, next, time.Hour)
	require.Empty(t, l2.starts, "the cooldown survived the new run")
	require.Equal(t, 2, st.Runs)
	require.EqualValues(t, next.State.Notifications+1, st.Notifications)
}

func TestALoopWithoutAModelIsRefused(t *testing.T) {
	l := newLoopEnv(t)
	l.env.ExecuteWorkflow(RetrainLoopName, RetrainLoopInput{})
	require.ErrorContains(t, l.env.GetWorkflowError(), "model is required")
}
