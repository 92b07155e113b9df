package workflows

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/mlpipe/mlpipe/activities"
	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/spec"
)

func monitorEnv(t *testing.T) *testsuite.TestWorkflowEnvironment {
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(ModelMonitor)
	env.RegisterActivity(a)
	return env
}

// A scheduled run's window ends at the Schedule's nominal time, which the
// run reads from its TemporalScheduledStartTime search attribute, when
// that is after the run's start.
func TestMonitorWindowEndsAtTheNominalTime(t *testing.T) {
	env := monitorEnv(t)
	nominal := env.Now().Add(time.Hour).UTC().Truncate(time.Second)
	require.NoError(t, env.SetTypedSearchAttributesOnStart(temporal.NewSearchAttributes(attrScheduledStart.ValueSet(nominal), AttrModelName.ValueSet("churn"))))
	var got activities.AnalyzeWindowInput
	env.OnActivity(a.AnalyzeWindow, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.AnalyzeWindowInput) (activities.AnalyzeWindowResult, error) {
			got = in
			return activities.AnalyzeWindowResult{Model: in.Model, ModelVersion: 3, WindowStart: in.End.Add(-in.Interval()), WindowEnd: in.End,
				Verdict: "drift", Summary: "drift: drift in plan", Predictions: 10,
				Snapshot: artifact.Ref{URI: "file:///s/snapshot.json"}, Page: artifact.Ref{URI: "file:///s/report.html"}}, nil
		}).Once()
	env.ExecuteWorkflow(ModelMonitor, MonitorInput{Model: "churn", Every: spec.Duration(15 * time.Minute)})
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	assert.Equal(t, nominal, got.End)
	assert.Equal(t, "churn", got.Model)
	var res MonitorResult
	require.NoError(t, env.GetWorkflowResult(&res))
	assert.Equal(t, "drift", res.Verdict)
	assert.Equal(t, nominal.Add(-15*time.Minute), res.WindowStart)
	assert.Equal(t, "file:///s/report.html", res.PageURI)
}

// A model with no production version fails the run at once, without
// retrying the analysis.
func TestMonitorWithoutProductionFailsWithoutRetrying(t *testing.T) {
	env := monitorEnv(t)
	calls := 0
	env.OnActivity(a.AnalyzeWindow, mock.Anything, mock.Anything).Return(
		func(context.Context, activities.AnalyzeWindowInput) (activities.AnalyzeWindowResult, error) {
			calls++
			return activities.AnalyzeWindowResult{}, temporal.NewNonRetryableApplicationError("model \"churn\" has no production version to monitor", activities.ErrNoProductionVersion, nil)
		})
	env.ExecuteWorkflow(ModelMonitor, MonitorInput{Model: "churn"})
	require.True(t, env.IsWorkflowCompleted())
	err := env.GetWorkflowError()
	var ae *temporal.ApplicationError
	require.True(t, errors.As(err, &ae), "%v", err)
	assert.Equal(t, activities.ErrNoProductionVersion, ae.Type())
	assert.Equal(t, 1, calls)
}

// Bad input is refused before any activity runs, saying what to fix.
func TestMonitorRefusesBadInput(t *testing.T) {
	for in, want := range map[string]MonitorInput{
		"model name \"\" is invalid":                     {Model: ""},
		"interval must be from 10s to 7d":                {Model: "churn", Every: spec.Duration(time.Second)},
		"every 30d: the monitor's interval must be from": {Model: "churn", Every: spec.Duration(30 * 24 * time.Hour)},
	} {
		env := monitorEnv(t)
		env.ExecuteWorkflow(ModelMonitor, want)
		require.True(t, env.IsWorkflowCompleted())
		err := env.GetWorkflowError()
		var ae *temporal.ApplicationError
		require.True(t, errors.As(err, &ae), "%v", err)
		assert.Equal(t, activities.ErrInvalidMonitor, ae.Type())
		assert.Contains(t, ae.Error(), in)
	}
}

// The window ends at the later of the nominal time (whole seconds) and the
// run's start, so rows logged in between are not left out.
func TestMonitorWindowEndIsTheLaterOfNominalAndStart(t *testing.T) {
	nominal := time.Date(2026, 12, 5, 10, 15, 0, 0, time.UTC)
	attrs := temporal.NewSearchAttributes(attrScheduledStart.ValueSet(nominal))
	started := nominal.Add(1500 * time.Millisecond)
	assert.Equal(t, started, windowEnd(started, attrs))
	assert.Equal(t, nominal, windowEnd(nominal.Add(-time.Second), attrs))
	assert.Equal(t, started, windowEnd(started.Add(300*time.Microsecond), temporal.NewSearchAttributes()))
}
