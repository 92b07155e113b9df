package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/registry"
	"github.com/mlpipe/mlpipe/internal/spec"
)

// The ModelMonitor's public names. They live here, not in workflows/api.go
// (which re-exports them), because the deployment activities create the
// Schedule and activities cannot import workflows.
const (
	// MonitorWorkflowName is the ModelMonitor workflow type.
	MonitorWorkflowName = "ModelMonitor"
	// DefaultMonitorEvery is how often a model is analysed by default.
	DefaultMonitorEvery = 15 * time.Minute
	// MinMonitorEvery and MaxMonitorEvery bound the interval: a window
	// shorter than a few seconds holds too little traffic to judge, and
	// one longer than a week outlives the inference log's hourly files
	// being read in one activity.
	MinMonitorEvery = 10 * time.Second
	MaxMonitorEvery = 7 * 24 * time.Hour
	// monitorTaskQueue is workflows.TaskQueueCPU.
	monitorTaskQueue = "mlpipe-cpu"
)

// ErrNoProductionVersion is the failure type of a monitor for a model with
// no production version.
const ErrNoProductionVersion = "NoProductionVersion"

// MonitorScheduleID is the Schedule of a model's ModelMonitor.
func MonitorScheduleID(model string) string { return "monitor-" + model }

// MonitorInput is the ModelMonitor's input, the same for every run of a
// Schedule.
type MonitorInput struct {
	Model string `json:"model"`
	// Every is the Schedule's interval and the longest window a run
	// analyses (default 15m).
	Every spec.Duration `json:"every,omitempty"`
	// GatewayURL is where the monitor reads the gateway's /metrics.
	GatewayURL string `json:"gateway_url,omitempty"`
}

// Interval is Every, or the default.
func (in MonitorInput) Interval() time.Duration {
	if in.Every <= 0 {
		return DefaultMonitorEvery
	}
	return in.Every.D()
}

// Validate says what is wrong with the input and how to fix it.
func (in MonitorInput) Validate() error {
	if err := registry.ValidateModelName(in.Model); err != nil {
		return err
	}
	if d := in.Interval(); d < MinMonitorEvery || d > MaxMonitorEvery {
		return fmt.Errorf("every %s: the monitor's interval must be from %s to %s", spec.Duration(d).Text(), spec.Duration(MinMonitorEvery).Text(), spec.Duration(MaxMonitorEvery).Text())
	}
	return nil
}

// MonitorScheduleOptions is the Schedule of a model's monitor: every
// in.Interval(), skipping a run while the previous one still runs, each
// run tagged with MLModelName and a summary for the Web UI.
func MonitorScheduleOptions(in MonitorInput, attrModel temporal.SearchAttributeKeyKeyword) client.ScheduleOptions {
	return client.ScheduleOptions{
		ID:      MonitorScheduleID(in.Model),
		Spec:    client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: in.Interval()}}},
		Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_SKIP,
		Action: &client.ScheduleWorkflowAction{
			ID:        MonitorScheduleID(in.Model),
			Workflow:  MonitorWorkflowName,
			Args:      []any{in},
			TaskQueue: monitorTaskQueue,
			// A run reads one window; a run that cannot finish in an hour
			// is stuck, and the next window will be read by the next run.
			WorkflowExecutionTimeout: time.Hour,
			TypedSearchAttributes:    temporal.NewSearchAttributes(attrModel.ValueSet(in.Model)),
			StaticSummary:            fmt.Sprintf("monitor %s: one %s window", in.Model, in.Interval()),
		},
		Note: "created by mlpipe for the production model " + in.Model,
	}
}

// AttrModelName is the MLModelName search attribute (workflows.AttrModelName).
var AttrModelName = temporal.NewSearchAttributeKeyKeyword("MLModelName")

// EnsureMonitorSchedule creates the model's monitor Schedule; one that
// exists already (perhaps paused by a person) is left as it is and
// created is false.
func EnsureMonitorSchedule(ctx context.Context, c client.Client, in MonitorInput) (created bool, err error) {
	if err := in.Validate(); err != nil {
		return false, err
	}
	_, err = c.ScheduleClient().Create(ctx, MonitorScheduleOptions(in, AttrModelName))
	var exists *serviceerror.AlreadyExists
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, temporal.ErrScheduleAlreadyRunning), errors.As(err, &exists):
		return false, nil
	default:
		return false, fmt.Errorf("create schedule %s: %w", MonitorScheduleID(in.Model), err)
	}
}

// ensureMonitor gives a model just cut over to production its monitor.
// Without a Temporal client (unit tests) there is nothing to do.
func (a *Activities) ensureMonitor(ctx context.Context, model, gatewayURL string) error {
	if a.Temporal == nil {
		return nil
	}
	created, err := EnsureMonitorSchedule(ctx, a.Temporal, MonitorInput{Model: model, GatewayURL: gatewayURL})
	if err != nil {
		return fmt.Errorf("start the monitor of %s: %w", model, err)
	}
	if created {
		activity.GetLogger(ctx).Info("monitor scheduled", "model", model, "schedule", MonitorScheduleID(model), "every", DefaultMonitorEvery)
	}
	return nil
}

// withReference records on a new version what the monitor needs: the
// training data's profile, the label column and a binary model's positive
// label.
func withReference(v registry.Version, ref *artifact.Ref, target string, t TrainedModel) registry.Version {
	if ref != nil && ref.URI != "" {
		r := *ref
		v.Profile = &r
	}
	v.Target = target
	if len(t.Features.Classes) == 0 {
		v.Positive = t.Features.Labels[1]
	}
	return v
}
