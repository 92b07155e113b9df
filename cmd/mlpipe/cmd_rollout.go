package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/mlpipe/mlpipe/workflows"
)

const rolloutUsage = `usage: mlpipe rollout status WORKFLOW_ID [--follow] [--timeout 1h]
       mlpipe rollout pause|resume|promote|abort WORKFLOW_ID --as NAME [--reason TEXT]`

// rollout follows and steers CanaryRollout and ShadowRollout workflows.
func (m *Main) rollout(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usageErr("%s", rolloutUsage)
	}
	if isHelp(args[0]) {
		return &exitError{code: exitOK, out: rolloutUsage + "\n"}
	}
	verb := args[0]
	fs := newFlags("rollout " + verb)
	follow := fs.Bool("follow", false, "print each step and analysis until the rollout ends")
	timeout := fs.Duration("timeout", time.Hour, "how long --follow waits")
	as := fs.String("as", "", "who you are")
	reason := fs.String("reason", "", "why")
	pos, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErr("%s", rolloutUsage)
	}
	c, err := m.quietClient(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	switch verb {
	case "status":
		if *follow {
			return m.followRollout(ctx, c, pos[0], *timeout)
		}
		st, err := queryRollout(ctx, c, pos[0])
		if err != nil {
			return err
		}
		printRollout(m.Stdout, st, 0)
		return nil
	case workflows.ControlPause, workflows.ControlResume, workflows.ControlPromote, workflows.ControlAbort:
		if *as == "" {
			return usageErr("--as NAME is required")
		}
		uctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		h, err := c.UpdateWorkflow(uctx, client.UpdateWorkflowOptions{
			WorkflowID: pos[0], UpdateName: verb, WaitForStage: client.WorkflowUpdateStageCompleted,
			Args: []any{workflows.RolloutCommand{By: *as, Reason: *reason}},
		})
		if err != nil {
			return fmt.Errorf("%s %s: %s", verb, pos[0], rootCause(err))
		}
		var st workflows.RolloutStatus
		if err := h.Get(uctx, &st); err != nil {
			return fmt.Errorf("%s %s: %s", verb, pos[0], rootCause(err))
		}
		fmt.Fprintf(m.Stdout, "%s: %s by %s; rollout is %s at %g%%\n", pos[0], verb, *as, st.State, st.Weight)
		return nil
	}
	return usageErr("%s", rolloutUsage)
}

func queryRollout(ctx context.Context, c client.Client, id string) (workflows.RolloutStatus, error) {
	var st workflows.RolloutStatus
	qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	v, err := c.QueryWorkflow(qctx, id, "", workflows.QueryStatus)
	if err != nil {
		return st, fmt.Errorf("rollout %s: %w", id, err)
	}
	return st, v.Get(&st)
}

// followRollout prints the rollout's history as it grows, waiting for the
// workflow to start if it has not yet.
func (m *Main) followRollout(ctx context.Context, c client.Client, id string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	printed := -1
	for {
		st, err := queryRollout(ctx, c, id)
		if err == nil {
			if printed < 0 {
				printed = printRollout(m.Stdout, st, 0)
			} else {
				printed = printRollout(m.Stdout, st, printed)
			}
			switch st.State {
			case workflows.OutcomePromoted:
				return nil
			case workflows.OutcomeRolledBack, workflows.OutcomeAborted, workflows.OutcomeDiscarded:
				return &exitError{code: exitNotDeployed}
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("rollout %s did not end within %s", id, timeout)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Second):
		}
	}
}

// printRollout prints history lines from skip on and returns how many
// there are; with skip 0 it prints a header first.
func printRollout(w io.Writer, st workflows.RolloutStatus, skip int) int {
	if skip == 0 {
		fmt.Fprintf(w, "%s rollout of %s version %d: %s, step %d of %d at %g%%\n", st.Strategy, st.Model, st.Candidate, st.State, st.Step, st.Steps, st.Weight)
		if st.LastAnalysis != nil {
			fmt.Fprintf(w, "  last analysis: %s\n", st.LastAnalysis.Summary)
		}
	}
	for _, e := range st.History[min(skip, len(st.History)):] {
		fmt.Fprintf(w, "  %s  %s\n", e.At.Local().Format("15:04:05"), strings.TrimSpace(e.What))
	}
	return len(st.History)
}
