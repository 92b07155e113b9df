package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/mlpipe/mlpipe/activities"
)

// ModelMonitor analyses one window of a production model's traffic and
// ends. A Temporal Schedule (ID MonitorScheduleID(model)) starts one run
// per interval, so no history grows without bound: each run is about a
// dozen events, and the only state carried from window to window (where
// the previous window ended) lives in the snapshot store.
//
// The window ends at the Schedule's nominal time for the run, or at the
// run's start if that is later (see windowEnd); both are recorded when the
// run starts, so replay sees the same window.
func ModelMonitor(ctx workflow.Context, in MonitorInput) (MonitorResult, error) {
	if err := in.Validate(); err != nil {
		return MonitorResult{}, temporal.NewNonRetryableApplicationError(err.Error(), activities.ErrInvalidMonitor, nil)
	}
	info := workflow.GetInfo(ctx)
	end := windowEnd(info.WorkflowStartTime, workflow.GetTypedSearchAttributes(ctx))
	if _, ok := workflow.GetTypedSearchAttributes(ctx).GetKeyword(AttrModelName); !ok {
		if err := workflow.UpsertTypedSearchAttributes(ctx, AttrModelName.ValueSet(in.Model)); err != nil {
			return MonitorResult{}, err
		}
	}
	status := MonitorResult{Model: in.Model, WindowEnd: end, Verdict: "analysing"}
	if err := workflow.SetQueryHandler(ctx, QueryStatus, func() (MonitorResult, error) { return status, nil }); err != nil {
		return MonitorResult{}, err
	}
	workflow.SetCurrentDetails(ctx, fmt.Sprintf("analysing %s: the %s window ending %s", in.Model, in.Interval(), end.Format(time.RFC3339)))
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue:           TaskQueueCPU,
		StartToCloseTimeout: 20 * time.Minute,
		HeartbeatTimeout:    5 * time.Minute,
		Summary:             fmt.Sprintf("analyse %s's window ending %s", in.Model, end.Format(time.RFC3339)),
		// A store or engine hiccup heals; a window that cannot be read
		// after a few tries is left to the next run, which reads from the
		// last snapshot written.
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: 5 * time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute, MaximumAttempts: 5,
			NonRetryableErrorTypes: []string{activities.ErrNoProductionVersion, activities.ErrInvalidMonitor},
		},
	})
	var res activities.AnalyzeWindowResult
	err := workflow.ExecuteActivity(actx, a.AnalyzeWindow, activities.AnalyzeWindowInput{
		MonitorInput: in, End: end, WorkflowID: info.WorkflowExecution.ID,
	}).Get(ctx, &res)
	if err != nil {
		workflow.SetCurrentDetails(ctx, fmt.Sprintf("failed to analyse %s: %v", in.Model, err))
		return MonitorResult{}, err
	}
	status = MonitorResult{
		Model: res.Model, ModelVersion: res.ModelVersion, WindowStart: res.WindowStart, WindowEnd: res.WindowEnd,
		Verdict: res.Verdict, Summary: res.Summary, Predictions: res.Predictions,
		SnapshotURI: res.Snapshot.URI, PageURI: res.Page.URI,
	}
	workflow.SetCurrentDetails(ctx, fmt.Sprintf("%s\n\nsnapshot: %s\npage: %s", res.Summary, res.Snapshot.URI, res.Page.URI))
	return status, nil
}

// attrScheduledStart is set by the Schedule on every run it starts: the
// run's nominal time.
var attrScheduledStart = temporal.NewSearchAttributeKeyTime("TemporalScheduledStartTime")

// windowEnd is the later of the run's nominal time (the Schedule's
// TemporalScheduledStartTime, whole seconds) and its start (a run started
// by hand has only the start). The rows logged between the two belong to
// this window, and the next one starts where this one ends, so none is
// missed or counted twice.
func windowEnd(started time.Time, attrs temporal.SearchAttributes) time.Time {
	end := started
	if t, ok := attrs.GetTime(attrScheduledStart); ok && t.After(end) {
		end = t
	}
	return end.UTC().Truncate(time.Millisecond)
}
