package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

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
	var sets overrides
	fs.Var(&sets, "set", "override a spec value: path.to.key=YAML (repeatable)")
	if _, err := parse(fs, args); err != nil {
		return err
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
	summary := fmt.Sprintf("pipeline %s → model %s", p.Name, p.Model)
	if p.Description != "" {
		summary += ": " + p.Description
	}
	wr, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:            *id,
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
	if *detach {
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
		fmt.Fprintf(m.Stdout, "  %-10s %-20s %s\n", stateMark(s.State), s.Name, s.Message)
		if s.State == workflows.StateWaiting {
			fmt.Fprintf(m.Stdout, "             approve: mlpipe approve %s --as NAME   (or temporal workflow signal -w %s --name %s -i '{\"approver\":\"NAME\"}')\n",
				id, id, workflows.SignalApprove)
		}
	}
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
