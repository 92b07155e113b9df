package activities

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/drift"
	"github.com/mlpipe/mlpipe/internal/monitor"
	"github.com/mlpipe/mlpipe/internal/profile"
	"github.com/mlpipe/mlpipe/internal/registry"
)

// AnalyzeWindowInput is one ModelMonitor run's window.
type AnalyzeWindowInput struct {
	MonitorInput
	// End is the window's end: the Schedule's nominal time for the run.
	End time.Time `json:"end"`
	// WorkflowID is the run, recorded in the snapshot.
	WorkflowID string `json:"workflow_id,omitempty"`
}

// AnalyzeWindowResult is where the window's snapshot went and its verdict.
type AnalyzeWindowResult struct {
	Model        string       `json:"model"`
	ModelVersion int          `json:"model_version"`
	WindowStart  time.Time    `json:"window_start"`
	WindowEnd    time.Time    `json:"window_end"`
	Verdict      string       `json:"verdict"`
	Summary      string       `json:"summary"`
	Predictions  int64        `json:"predictions"`
	Snapshot     artifact.Ref `json:"snapshot"`
	Page         artifact.Ref `json:"page"`
}

// AnalyzeWindow reads the window of the model's inference and feedback
// logs since the previous snapshot (at most one interval), measures it
// against the production version's reference profile, runs the version's
// expectation suite on the served rows, estimates performance without
// labels after the version's calibration (stored beside its evaluation
// report; without one the estimate says "uncalibrated"), adds the
// infrastructure figures, and writes the snapshot (JSON and HTML) to
// monitoring/<model>/<window-end>/. An empty window is a "no traffic"
// snapshot; a model with no production version fails without retrying.
func (a *Activities) AnalyzeWindow(ctx context.Context, in AnalyzeWindowInput) (AnalyzeWindowResult, error) {
	if err := in.Validate(); err != nil {
		return AnalyzeWindowResult{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrInvalidMonitor, nil)
	}
	v, err := ProductionVersion(ctx, a.Registry, in.Model)
	if err != nil {
		return AnalyzeWindowResult{}, err
	}
	end := in.End.UTC()
	from, err := a.windowStart(ctx, in.Model, end, in.Interval())
	if err != nil {
		return AnalyzeWindowResult{}, err
	}
	activity.RecordHeartbeat(ctx, "reading the window")
	snap := &monitor.Snapshot{WorkflowID: in.WorkflowID, Created: time.Now().UTC()}
	mi := monitor.Input{Model: in.Model, ModelVersion: v.Version, From: from, To: end, Target: v.Target, Positive: v.Positive, Drift: drift.DefaultConfig()}
	if v.Profile != nil {
		p, err := readProfile(ctx, *v.Profile)
		if err != nil {
			snap.Warnings = append(snap.Warnings, fmt.Sprintf("reference profile %s unreadable, drift skipped: %v", v.Profile.URI, err))
		} else {
			mi.Reference, snap.Reference = p, v.Profile.URI
		}
	}
	suite, warn := readSuite(ctx, v)
	if warn != "" {
		snap.Warnings = append(snap.Warnings, warn)
	}
	mi.Suite = suite
	cal, note, warn := readCalibration(ctx, v)
	if warn != "" {
		snap.Warnings = append(snap.Warnings, warn)
	}
	mi.Calibration, mi.CalibrationNote = cal, note
	err = AnalyzeLog(ctx, a.Store, mi, snap, func(step string) {
		activity.RecordHeartbeat(ctx, step)
	})
	for _, f := range snap.Traffic.Skipped {
		activity.GetLogger(ctx).Warn("skipped an unreadable log batch", "file", f)
	}
	if err != nil {
		return AnalyzeWindowResult{}, err
	}
	a.infrastructure(ctx, in.GatewayURL, snap)
	return a.writeSnapshot(ctx, snap)
}

// ErrInvalidMonitor is the failure type of a monitor whose input is bad.
const ErrInvalidMonitor = "InvalidMonitor"

// ProductionVersion is the model's production version, or a
// non-retryable NoProductionVersion error that says what to do.
func ProductionVersion(ctx context.Context, reg *registry.Registry, model string) (registry.Version, error) {
	v, ok, err := reg.Alias(ctx, model, registry.AliasProduction)
	switch {
	case err != nil && !errors.Is(err, registry.ErrNotFound):
		return registry.Version{}, registryErr(err, "read the production version of %s", model)
	case err != nil || !ok:
		msg := fmt.Sprintf("model %q has no production version to monitor: deploy one first (mlpipe run, then mlpipe approve), or pause its monitor (mlpipe monitor pause %s)", model, model)
		return registry.Version{}, temporal.NewNonRetryableApplicationError(msg, ErrNoProductionVersion, nil)
	}
	return v, nil
}

// windowStart is the end of the latest snapshot before end, so each run
// reads the window since the previous one, but never more than one
// interval back (a paused Schedule resumes with one interval's window).
func (a *Activities) windowStart(ctx context.Context, model string, end time.Time, every time.Duration) (time.Time, error) {
	from := end.Add(-every)
	keys, err := a.Store.List(ctx, monitor.Prefix(model))
	if err != nil {
		return time.Time{}, fmt.Errorf("list the snapshots of %s: %w", model, err)
	}
	for _, k := range keys {
		if t, ok := monitor.EndFromKey(k); ok && t.Before(end) && t.After(from) {
			from = t
		}
	}
	return from, nil
}

func readProfile(ctx context.Context, ref artifact.Ref) (*profile.Profile, error) {
	b, err := artifact.ReadAll(ctx, ref)
	if err != nil {
		return nil, err
	}
	var p profile.Profile
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	if p.Version > profile.Version {
		return nil, fmt.Errorf("profile format %d is newer than this worker's (%d): upgrade the worker", p.Version, profile.Version)
	}
	return &p, nil
}

// infrastructure adds the gateway's and this worker's process figures, the
// task queues' backlog and pollers, and the GPUs. What cannot be read is
// noted, never an error.
func (a *Activities) infrastructure(ctx context.Context, gatewayURL string, s *monitor.Snapshot) {
	inf := &s.Infra
	hc := a.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	gw, rates, err := monitor.GatewayProcess(ctx, hc, gatewayURL)
	switch {
	case err != nil:
		inf.Notes = append(inf.Notes, "gateway: "+err.Error())
	case gw == nil:
		inf.Notes = append(inf.Notes, "gateway: its /metrics has no process figures")
	default:
		inf.Gateway = gw
	}
	s.ApplyErrorRates(rates)
	inf.Worker = monitor.SelfProcess("the worker that ran this analysis")
	inf.GPUs, inf.GPU = monitor.GPUs(ctx)
	if a.Temporal == nil {
		inf.Notes = append(inf.Notes, "task queues: no Temporal client in this worker")
		return
	}
	ns := activity.GetInfo(ctx).Namespace
	for _, q := range []string{monitorTaskQueue, "mlpipe-gpu"} {
		for _, kind := range []enumspb.TaskQueueType{enumspb.TASK_QUEUE_TYPE_WORKFLOW, enumspb.TASK_QUEUE_TYPE_ACTIVITY} {
			resp, err := a.Temporal.WorkflowService().DescribeTaskQueue(ctx, &workflowservice.DescribeTaskQueueRequest{
				Namespace: ns, TaskQueue: &taskqueuepb.TaskQueue{Name: q}, TaskQueueType: kind, ReportStats: true,
			})
			if err != nil {
				inf.Notes = append(inf.Notes, fmt.Sprintf("task queue %s: %v", q, err))
				continue
			}
			tq := monitor.TaskQueue{Name: q, Kind: "workflow", Pollers: len(resp.GetPollers())}
			if kind == enumspb.TASK_QUEUE_TYPE_ACTIVITY {
				tq.Kind = "activity"
			}
			if st := resp.GetStats(); st != nil {
				tq.Backlog = st.GetApproximateBacklogCount()
				tq.BacklogAgeSeconds = int64(st.GetApproximateBacklogAge().AsDuration().Seconds())
			}
			inf.Queues = append(inf.Queues, tq)
		}
	}
}

// writeSnapshot stores the page, then the JSON: a snapshot.json that
// exists always has its page beside it.
func (a *Activities) writeSnapshot(ctx context.Context, s *monitor.Snapshot) (AnalyzeWindowResult, error) {
	dir := monitor.Dir(s.Model, s.WindowEnd)
	var page bytes.Buffer
	if err := monitor.WritePage(&page, s); err != nil {
		return AnalyzeWindowResult{}, fmt.Errorf("render the snapshot page: %w", err)
	}
	pref, err := a.Store.Put(ctx, path.Join(dir, monitor.PageFile), &page, "text/html; charset=utf-8")
	if err != nil {
		return AnalyzeWindowResult{}, fmt.Errorf("store the snapshot page: %w", err)
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return AnalyzeWindowResult{}, fmt.Errorf("encode the snapshot: %w", err)
	}
	sref, err := a.Store.Put(ctx, path.Join(dir, monitor.SnapshotFile), bytes.NewReader(b), "application/json")
	if err != nil {
		return AnalyzeWindowResult{}, fmt.Errorf("store the snapshot: %w", err)
	}
	return AnalyzeWindowResult{
		Model: s.Model, ModelVersion: s.ModelVersion, WindowStart: s.WindowStart, WindowEnd: s.WindowEnd,
		Verdict: s.Verdict, Summary: s.Summary, Predictions: s.Traffic.Predictions, Snapshot: sref, Page: pref,
	}, nil
}
