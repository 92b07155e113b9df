package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/mlpipe/mlpipe/internal/spec"
	"github.com/mlpipe/mlpipe/workers"
	"github.com/mlpipe/mlpipe/workflows"
)

// quietClient dials Temporal for a CLI command, logging only warnings.
func (m *Main) quietClient(ctx context.Context) (client.Client, error) {
	logger := slog.New(slog.NewTextHandler(m.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	return workers.Dial(ctx, "", logger)
}

// run starts a pipeline and follows it stage by stage.
func (m *Main) run(ctx context.Context, args []string) error {
	fs := newFlags("run")
	file := fs.String("f", "", "pipeline spec (YAML)")
	id := fs.String("id", "", "workflow ID (default NAME-TIMESTAMP)")
	detach := fs.Bool("detach", false, "start and return without following")
	resume := fs.String("resume", "", "start a failed pipeline's spec again as WORKFLOW_ID-resume-N; stages that finished there come from the stage cache")
	var sets overrides
	fs.Var(&sets, "set", "override a spec value: path.to.key=YAML (repeatable)")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *resume != "" {
		if *file != "" || len(sets) > 0 {
			return usageErr("--resume runs the failed pipeline's own spec again; leave out -f and --set (or start a new run with -f)")
		}
		return m.resume(ctx, *resume, *id, *detach)
	}
	p, err := loadSpec(*file, sets...)
	if err != nil {
		return err
	}
	if err := m.checkHeader(ctx, *file, p); err != nil {
		return err
	}
	if *id == "" {
		*id = fmt.Sprintf("%s-%s", p.Name, time.Now().UTC().Format("20060102-150405"))
	}
	c, err := m.quietClient(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	return m.start(ctx, c, *id, p, *detach)
}

// start starts the pipeline p as id and follows it unless detach.
func (m *Main) start(ctx context.Context, c client.Client, id string, p *spec.Pipeline, detach bool) error {
	summary := fmt.Sprintf("pipeline %s → model %s", p.Name, p.Model)
	if p.Description != "" {
		summary += ": " + p.Description
	}
	wr, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:            id,
		TaskQueue:     workflows.TaskQueueCPU,
		StaticSummary: summary,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			workflows.AttrModelName.ValueSet(p.Model), workflows.AttrStage.ValueSet("queued")),
	}, workflows.TrainingPipelineName, p)
	if err != nil {
		return fmt.Errorf("start pipeline: %w", err)
	}
	fmt.Fprintf(m.Stdout, "started %s (run %s)\n", wr.GetID(), wr.GetRunID())
	printWebUILink(m.Stdout, wr.GetID())
	if detach {
		return nil
	}
	return m.follow(ctx, c, wr)
}

// follow prints each stage as it changes state until the pipeline ends.
func (m *Main) follow(ctx context.Context, c client.Client, wr client.WorkflowRun) error {
	done := make(chan error, 1)
	var res workflows.PipelineResult
	go func() { done <- wr.Get(ctx, &res) }()
	seen := map[string]string{}
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			if st, qerr := queryStatus(ctx, c, wr.GetID()); qerr == nil {
				m.printChanges(st, seen, wr.GetID())
			}
			if err != nil {
				return fmt.Errorf("pipeline %s failed: %s", wr.GetID(), rootCause(err))
			}
			printResult(m.Stdout, res)
			if res.Outcome != workflows.OutcomeDeployed {
				return &exitError{code: exitNotDeployed}
			}
			return nil
		case <-tick.C:
			if st, err := queryStatus(ctx, c, wr.GetID()); err == nil {
				m.printChanges(st, seen, wr.GetID())
				m.printProgress(ctx, c, wr.GetID(), st, seen)
			}
		case <-ctx.Done():
			fmt.Fprintf(m.Stdout, "stopped following; the pipeline goes on: mlpipe status %s\n", wr.GetID())
			return nil
		}
	}
}

func (m *Main) printChanges(st workflows.PipelineStatus, seen map[string]string, id string) {
	for _, s := range st.Stages {
		if seen[s.Name] == s.State || s.State == workflows.StatePending {
			continue
		}
		seen[s.Name] = s.State
		fmt.Fprintf(m.Stdout, "  %-10s %-20s %s\n", stageMark(s), s.Name, s.Message)
		if s.State == workflows.StateWaiting {
			fmt.Fprintf(m.Stdout, "             approve: mlpipe approve %s --as NAME   (or temporal workflow signal -w %s --name %s -i '{\"approver\":\"NAME\"}')\n",
				id, id, workflows.SignalApprove)
		}
	}
}

// stageMark is stateMark, with "cached" for a stage whose result came
// from the stage cache.
func stageMark(s workflows.StageStatus) string {
	if s.Cached && s.State == workflows.StateSucceeded {
		return "cached"
	}
	return stateMark(s.State)
}

func stateMark(s string) string {
	switch s {
	case workflows.StateSucceeded:
		return "done"
	case workflows.StateRunning:
		return "running"
	case workflows.StateWaiting:
		return "waiting"
	default:
		return s
	}
}

func queryStatus(ctx context.Context, c client.Client, id string) (workflows.PipelineStatus, error) {
	var st workflows.PipelineStatus
	qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	v, err := c.QueryWorkflow(qctx, id, "", workflows.QueryStatus)
	if err != nil {
		return st, err
	}
	return st, v.Get(&st)
}

// rootCause unwraps Temporal's workflow and activity errors to the message
// that says what went wrong.
func rootCause(err error) string {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return app.Error()
	}
	return err.Error()
}

// resume starts a failed pipeline's spec again (`run --resume ID`), as id
// or else the first free ID-resume-N, with resume on: every stage takes
// the result its finished stages recorded in the stage cache, so only the
// failed stage and those after it compute again. A pipeline that does not
// exist, is not a TrainingPipeline, or did not fail is refused (exit 2).
func (m *Main) resume(ctx context.Context, failed, id string, detach bool) error {
	c, err := m.quietClient(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	desc, err := c.DescribeWorkflow(ctx, failed, "")
	if nf := workflowNotFound(failed, err); nf != nil {
		return usageErr("--resume %s: %v", failed, nf)
	}
	if err != nil {
		return fmt.Errorf("--resume %s: %w", failed, err)
	}
	if typ := desc.WorkflowType.Name; typ != workflows.TrainingPipelineName {
		return usageErr("--resume %s: it is a %s, not a %s; only a pipeline can be resumed", failed, typ, workflows.TrainingPipelineName)
	}
	runID := desc.WorkflowExecution.RunID
	switch desc.Status {
	case enumspb.WORKFLOW_EXECUTION_STATUS_FAILED, enumspb.WORKFLOW_EXECUTION_STATUS_TIMED_OUT,
		enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED, enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED:
	case enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING:
		return usageErr("--resume %s: the pipeline is still running, so there is nothing to resume; follow it with mlpipe status %s", failed, failed)
	default:
		return usageErr("--resume %s: the pipeline did not fail (it is %s), so there is nothing to resume; start a new run with mlpipe run -f SPEC",
			failed, strings.ToLower(strings.TrimPrefix(desc.Status.String(), "WORKFLOW_EXECUTION_STATUS_")))
	}
	p, err := startedSpec(ctx, c, failed, runID)
	if err != nil {
		return fmt.Errorf("--resume %s: %w", failed, err)
	}
	p.Resume = &spec.Resume{WorkflowID: failed, RunID: runID}
	if id == "" {
		if id, err = freeResumeID(ctx, c, failed); err != nil {
			return err
		}
	}
	why := "it did not finish"
	if err := c.GetWorkflow(ctx, failed, runID).Get(ctx, nil); err != nil {
		why = rootCause(err)
	}
	fmt.Fprintf(m.Stdout, "resuming %s (%s) as %s: stages that finished there are taken from the stage cache\n", failed, why, id)
	return m.start(ctx, c, id, p, detach)
}

// startedSpec is the spec a pipeline run was started with: its input.
func startedSpec(ctx context.Context, c client.Client, id, runID string) (*spec.Pipeline, error) {
	it := c.GetWorkflowHistory(ctx, id, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	if !it.HasNext() {
		return nil, errors.New("its history is empty")
	}
	ev, err := it.Next()
	if err != nil {
		return nil, fmt.Errorf("read its history: %w", err)
	}
	attrs := ev.GetWorkflowExecutionStartedEventAttributes()
	if attrs == nil {
		return nil, fmt.Errorf("its history starts with %s, not the pipeline's start", ev.GetEventType())
	}
	var p spec.Pipeline
	if err := converter.GetDefaultDataConverter().FromPayloads(attrs.GetInput(), &p); err != nil {
		return nil, fmt.Errorf("decode its spec: %w", err)
	}
	return &p, nil
}

// resumeSuffix ends the ID of a resumed run; a run resumed again counts on
// from the same base.
var resumeSuffix = regexp.MustCompile(`-resume-[0-9]+$`)

// freeResumeID is the first ID-resume-N that names no workflow yet.
func freeResumeID(ctx context.Context, c client.Client, failed string) (string, error) {
	base := resumeSuffix.ReplaceAllString(failed, "")
	for n := 1; n <= 1000; n++ {
		id := fmt.Sprintf("%s-resume-%d", base, n)
		_, err := c.DescribeWorkflow(ctx, id, "")
		if workflowNotFound(id, err) != nil {
			return id, nil
		}
		if err != nil {
			return "", fmt.Errorf("--resume %s: %w", failed, err)
		}
	}
	return "", usageErr("--resume %s: %s-resume-1 to -1000 are all taken; name the new run with --id", failed, base)
}
