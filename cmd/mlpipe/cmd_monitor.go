package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/mlpipe/mlpipe/activities"
	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/config"
	"github.com/mlpipe/mlpipe/internal/monitor"
	"github.com/mlpipe/mlpipe/internal/registry"
	"github.com/mlpipe/mlpipe/internal/spec"
	"github.com/mlpipe/mlpipe/workflows"
)

const monitorUsage = "usage: mlpipe monitor start MODEL [--every 15m] | pause MODEL [--reason TEXT] | resume MODEL | run MODEL | ls | report MODEL [-o json]"

// monitor manages a production model's ModelMonitor Schedule and reads its
// snapshots.
func (m *Main) monitor(ctx context.Context, args []string) error {
	s := config.FromEnv()
	fs := newFlags("monitor")
	every := fs.Duration("every", activities.DefaultMonitorEvery, "start: how often a window is analysed")
	gw := fs.String("gateway", s.GatewayURL, "start: the gateway whose /metrics the monitor reads")
	reason := fs.String("reason", "", "pause: why, recorded on the schedule")
	out := fs.String("o", "text", "report: text or json")
	wait := fs.Duration("wait", 5*time.Minute, "run: how long to wait for the run's snapshot")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 || (pos[0] != "ls" && len(pos) != 2) || (pos[0] == "ls" && len(pos) != 1) {
		return usageErr(monitorUsage)
	}
	sub := pos[0]
	store, err := artifact.Open(ctx, s.Artifacts)
	if err != nil {
		return fmt.Errorf("artifact store %s: %w", s.Artifacts, err)
	}
	if sub == "report" {
		if *out != "text" && *out != "json" {
			return usageErr("-o %q: use text or json", *out)
		}
		return m.monitorReport(ctx, store, pos[1], *out == "json")
	}
	c, err := m.quietClient(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	switch sub {
	case "ls":
		return m.monitorList(ctx, c, store)
	case "start":
		in := activities.MonitorInput{Model: pos[1], Every: spec.Duration(*every), GatewayURL: *gw}
		if err := in.Validate(); err != nil {
			return usageErr("%v", err)
		}
		if _, err := activities.ProductionVersion(ctx, registry.New(store), pos[1]); err != nil {
			return noProduction(err)
		}
		gatewaySet := false
		fs.Visit(func(f *flag.Flag) { gatewaySet = gatewaySet || f.Name == "gateway" })
		return m.monitorStart(ctx, c, in, !gatewaySet)
	case "pause", "resume", "run":
		h := c.ScheduleClient().GetHandle(ctx, workflows.MonitorScheduleID(pos[1]))
		if _, err := h.Describe(ctx); err != nil {
			return scheduleErr(pos[1], err)
		}
		switch sub {
		case "pause":
			note := "paused with mlpipe monitor pause"
			if *reason != "" {
				note += ": " + *reason
			}
			if err := h.Pause(ctx, client.SchedulePauseOptions{Note: note}); err != nil {
				return fmt.Errorf("pause %s: %w", h.GetID(), err)
			}
			fmt.Fprintf(m.Stdout, "monitor of %s paused (schedule %s)\n", pos[1], h.GetID())
		case "resume":
			if err := h.Unpause(ctx, client.ScheduleUnpauseOptions{Note: "resumed with mlpipe monitor resume"}); err != nil {
				return fmt.Errorf("resume %s: %w", h.GetID(), err)
			}
			fmt.Fprintf(m.Stdout, "monitor of %s resumed (schedule %s)\n", pos[1], h.GetID())
		default:
			return m.monitorRun(ctx, c, h, store, pos[1], *wait)
		}
	default:
		return usageErr(monitorUsage)
	}
	return nil
}

// noProduction turns a missing production version into exit status 2.
func noProduction(err error) error {
	var ae *temporal.ApplicationError
	if errors.As(err, &ae) && ae.Type() == activities.ErrNoProductionVersion {
		return usageErr("%s", ae.Message())
	}
	return err
}

func scheduleErr(model string, err error) error {
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return usageErr("model %q has no monitor: start one with mlpipe monitor start %s (the deployment starts it when a version reaches production)", model, model)
	}
	return fmt.Errorf("schedule %s: %w", workflows.MonitorScheduleID(model), err)
}

// monitorStart creates the Schedule, or gives an existing one the interval
// asked for; keepGateway keeps the gateway it already reads (the one the
// deployment named) when --gateway was not given.
func (m *Main) monitorStart(ctx context.Context, c client.Client, in activities.MonitorInput, keepGateway bool) error {
	created, err := activities.EnsureMonitorSchedule(ctx, c, in)
	if err != nil {
		return err
	}
	id := workflows.MonitorScheduleID(in.Model)
	if !created {
		// It exists: make its interval the one asked for.
		h := c.ScheduleClient().GetHandle(ctx, id)
		err := h.Update(ctx, client.ScheduleUpdateOptions{DoUpdate: func(u client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
			sched := u.Description.Schedule
			if old, ok := scheduledInput(sched.Action); ok && keepGateway {
				in.GatewayURL = old.GatewayURL
			}
			want := activities.MonitorScheduleOptions(in, activities.AttrModelName)
			sched.Spec = &want.Spec
			sched.Action = want.Action
			return &client.ScheduleUpdate{Schedule: &sched}, nil
		}})
		if err != nil {
			return fmt.Errorf("update %s: %w", id, err)
		}
	}
	verb := "started"
	if !created {
		verb = "updated"
	}
	fmt.Fprintf(m.Stdout, "monitor of %s %s: schedule %s, every %s, overlap skip\n", in.Model, verb, id, in.Interval())
	fmt.Fprintf(m.Stdout, "runs: temporal workflow list --query \"MLModelName='%s' AND WorkflowType='%s'\"\n", in.Model, workflows.ModelMonitorName)
	return nil
}

// scheduledInput decodes the MonitorInput a Schedule's action starts runs with.
func scheduledInput(action client.ScheduleAction) (activities.MonitorInput, bool) {
	var in activities.MonitorInput
	wa, ok := action.(*client.ScheduleWorkflowAction)
	if !ok || len(wa.Args) != 1 {
		return in, false
	}
	p, ok := wa.Args[0].(*commonpb.Payload)
	return in, ok && converter.GetDefaultDataConverter().FromPayload(p, &in) == nil
}

// monitorRun triggers one run now and waits for its result.
func (m *Main) monitorRun(ctx context.Context, c client.Client, h client.ScheduleHandle, store artifact.Store, model string, wait time.Duration) error {
	before, err := h.Describe(ctx)
	if err != nil {
		return scheduleErr(model, err)
	}
	seen := map[string]bool{}
	for _, a := range before.Info.RecentActions {
		if a.StartWorkflowResult != nil {
			seen[a.StartWorkflowResult.WorkflowID] = true
		}
	}
	for _, r := range before.Info.RunningWorkflows {
		seen[r.WorkflowID] = true
	}
	if err := h.Trigger(ctx, client.ScheduleTriggerOptions{}); err != nil {
		return fmt.Errorf("trigger %s: %w", h.GetID(), err)
	}
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	var wid, rid string
	for wid == "" {
		d, err := h.Describe(ctx)
		if err != nil {
			return fmt.Errorf("waiting for the triggered run of %s: %w", h.GetID(), err)
		}
		for _, a := range d.Info.RecentActions {
			if r := a.StartWorkflowResult; r != nil && !seen[r.WorkflowID] {
				wid, rid = r.WorkflowID, r.FirstExecutionRunID
			}
		}
		if wid == "" {
			select {
			case <-ctx.Done():
				return fmt.Errorf("the triggered run of %s did not start within %s (is the schedule paused? mlpipe monitor ls)", h.GetID(), wait)
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
	var res workflows.MonitorResult
	if err := c.GetWorkflow(ctx, wid, rid).Get(ctx, &res); err != nil {
		return noProduction(fmt.Errorf("monitor run %s: %w", wid, err))
	}
	fmt.Fprintf(m.Stdout, "run      %s\n", wid)
	return m.monitorReport(ctx, store, model, false)
}

func (m *Main) monitorList(ctx context.Context, c client.Client, store artifact.Store) error {
	it, err := c.ScheduleClient().List(ctx, client.ScheduleListOptions{Query: "ScheduleId STARTS_WITH 'monitor-'"})
	if err != nil {
		return fmt.Errorf("list schedules: %w", err)
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "MODEL\tSCHEDULE\tEVERY\tSTATE\tNEXT RUN\tLATEST VERDICT")
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			return fmt.Errorf("list schedules: %w", err)
		}
		model, ok := strings.CutPrefix(e.ID, "monitor-")
		if !ok {
			continue
		}
		every := "-"
		if e.Spec != nil && len(e.Spec.Intervals) > 0 {
			every = e.Spec.Intervals[0].Every.String()
		}
		state, next := "running", "-"
		if e.Paused {
			state = "paused"
		}
		if len(e.NextActionTimes) > 0 {
			next = e.NextActionTimes[0].UTC().Format(time.RFC3339)
		}
		verdict := "-"
		if s, _, err := latestSnapshot(ctx, store, model); err == nil && s != nil {
			verdict = s.Verdict
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", model, e.ID, every, state, next, verdict)
	}
	return tw.Flush()
}

// latestSnapshot reads the newest snapshot of a model, nil when none.
func latestSnapshot(ctx context.Context, store artifact.Store, model string) (*monitor.Snapshot, string, error) {
	keys, err := store.List(ctx, monitor.Prefix(model))
	if err != nil {
		return nil, "", fmt.Errorf("list the snapshots of %s: %w", model, err)
	}
	var best string
	var bestEnd time.Time
	for _, k := range keys {
		if t, ok := monitor.EndFromKey(k); ok && t.After(bestEnd) {
			best, bestEnd = k, t
		}
	}
	if best == "" {
		return nil, "", nil
	}
	rc, err := store.Get(ctx, best)
	if err != nil {
		return nil, "", fmt.Errorf("read %s: %w", store.URI(best), err)
	}
	defer rc.Close()
	var s monitor.Snapshot
	if err := json.NewDecoder(rc).Decode(&s); err != nil {
		return nil, "", fmt.Errorf("read %s: %w", store.URI(best), err)
	}
	return &s, best, nil
}

func (m *Main) monitorReport(ctx context.Context, store artifact.Store, model string, asJSON bool) error {
	if err := registry.ValidateModelName(model); err != nil {
		return usageErr("%v", err)
	}
	s, key, err := latestSnapshot(ctx, store, model)
	if err != nil {
		return err
	}
	if s == nil {
		if _, err := activities.ProductionVersion(ctx, registry.New(store), model); err != nil {
			return noProduction(err)
		}
		return fmt.Errorf("no snapshot of %s yet: its monitor writes one every interval; to run it now: mlpipe monitor run %s", model, model)
	}
	if asJSON {
		enc := json.NewEncoder(m.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(s)
	}
	jsonURI := store.URI(key)
	htmlURI := strings.TrimSuffix(jsonURI, monitor.SnapshotFile) + monitor.PageFile
	fmt.Fprintf(m.Stdout, "verdict  %s\n", s.Verdict)
	fmt.Fprintf(m.Stdout, "summary  %s\n", s.Headline())
	for _, v := range s.Quality.Violations {
		fmt.Fprintf(m.Stdout, "quality  %s\n", v)
	}
	for _, w := range s.Warnings {
		fmt.Fprintf(m.Stdout, "warning  %s\n", w)
	}
	for _, f := range s.Traffic.Skipped {
		fmt.Fprintf(m.Stdout, "skipped  %s\n", f)
	}
	fmt.Fprintf(m.Stdout, "html     %s\njson     %s\n", htmlURI, jsonURI)
	if p, ok := strings.CutPrefix(htmlURI, "file://"); ok {
		fmt.Fprintf(m.Stdout, "open it: xdg-open %s\n", p)
	}
	return nil
}
