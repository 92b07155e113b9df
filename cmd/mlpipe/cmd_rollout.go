package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/mlpipe/mlpipe/internal/spec"
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
	switch verb {
	case "status", workflows.ControlPause, workflows.ControlResume, workflows.ControlPromote, workflows.ControlAbort:
	default:
		return usageErr("%s", rolloutUsage)
	}
	if verb != "status" && *as == "" {
		return usageErr("--as NAME is required")
	}
	c, err := m.quietClient(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	id := pos[0]
	if verb == "status" && *follow {
		return m.followRollout(ctx, c, id, *timeout)
	}
	desc, err := describeRollout(ctx, c, id, verb)
	if err != nil {
		return err
	}
	if verb == "status" {
		status := desc.GetWorkflowExecutionInfo().GetStatus()
		st, err := queryRollout(ctx, c, id)
		if err != nil {
			if status != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
				return endedRollout(ctx, c, id, status)
			}
			return err
		}
		if status != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING && !rolloutOutcome(st.State) {
			// The query replays the last state it reached, which a
			// failure never updated: say how it really ended.
			return endedRollout(ctx, c, id, status)
		}
		printRollout(m.Stdout, st, 0)
		printGatewayRetries(m.Stdout, desc)
		return nil
	}
	uctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	h, err := c.UpdateWorkflow(uctx, client.UpdateWorkflowOptions{
		WorkflowID: id, UpdateName: verb, WaitForStage: client.WorkflowUpdateStageCompleted,
		Args: []any{workflows.RolloutCommand{By: *as, Reason: *reason}},
	})
	if err != nil {
		return fmt.Errorf("%s %s: %s", verb, id, rootCause(err))
	}
	var st workflows.RolloutStatus
	if err := h.Get(uctx, &st); err != nil {
		return fmt.Errorf("%s %s: %s", verb, id, rootCause(err))
	}
	fmt.Fprintf(m.Stdout, "%s: %s by %s; rollout is %s at %g%%\n", id, verb, *as, st.State, st.Weight)
	if st.Pending != nil {
		fmt.Fprintf(m.Stdout, "  %s\n", pendingLine(st))
	}
	return nil
}

// describeRollout checks that id names a rollout before a query or an
// update is sent to it: a pipeline answers the same query name with
// another shape, which would print as an empty rollout. A pipeline's ID
// is answered with the ID of its rollout, when it has one.
func describeRollout(ctx context.Context, c client.Client, id, verb string) (*workflowservice.DescribeWorkflowExecutionResponse, error) {
	d, err := c.DescribeWorkflow(ctx, id, "")
	if err != nil {
		var nf *serviceerror.NotFound
		if errors.As(err, &nf) {
			return nil, fmt.Errorf("rollout %s %w: no workflow has that ID", id, errRolloutNotFound)
		}
		return nil, fmt.Errorf("rollout %s: %w", id, err)
	}
	desc := d.RawResponse
	switch typ := desc.GetWorkflowExecutionInfo().GetType().GetName(); typ {
	case workflows.CanaryRolloutName, workflows.ShadowRolloutName:
		return desc, nil
	case workflows.TrainingPipelineName:
		if child := pipelineRollout(ctx, c, id, desc); child != "" {
			return nil, fmt.Errorf("%s is a %s, not a rollout; its rollout is %s: mlpipe rollout %s %s", id, typ, child, verb, child)
		}
		return nil, fmt.Errorf("%s is a %s, not a rollout, and it has started none (a rollout starts after approval when deployment.strategy is canary or shadow and a production version exists); see mlpipe status %s", id, typ, id)
	default:
		return nil, fmt.Errorf("%s is a %s workflow, not a rollout (%s or %s)", id, typ, workflows.CanaryRolloutName, workflows.ShadowRolloutName)
	}
}

// errRolloutNotFound is wrapped by the answer to an ID no workflow has.
var errRolloutNotFound = errors.New("not found")

// pipelineRollout finds the rollout a pipeline started: a running child,
// or the workflow the pipeline names its rollouts by.
func pipelineRollout(ctx context.Context, c client.Client, id string, desc *workflowservice.DescribeWorkflowExecutionResponse) string {
	for _, ch := range desc.GetPendingChildren() {
		if n := ch.GetWorkflowTypeName(); n == workflows.CanaryRolloutName || n == workflows.ShadowRolloutName {
			return ch.GetWorkflowId()
		}
	}
	for _, strategy := range []string{spec.StrategyCanary, spec.StrategyShadow} {
		child := workflows.RolloutID(id, strategy)
		d, err := c.DescribeWorkflow(ctx, child, "")
		if err == nil && d.RawResponse.GetWorkflowExecutionInfo().GetParentExecution().GetWorkflowId() == id {
			return child
		}
	}
	return ""
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

// followRollout prints the rollout's history as it grows. A rollout that
// has not started yet is waited for while the pipeline that will start it
// runs; anything else that is not a rollout is an error at once.
func (m *Main) followRollout(ctx context.Context, c client.Client, id string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	printed := -1
	waiting := false
	for {
		desc, err := describeRollout(ctx, c, id, "status --follow")
		switch {
		case errors.Is(err, errRolloutNotFound) && parentRunning(ctx, c, id):
			if !waiting {
				fmt.Fprintf(m.Stdout, "waiting for rollout %s to start\n", id)
				waiting = true
			}
		case err != nil && transientRPC(ctx, err):
			// A busy or restarting server: ask again until the deadline.
		case err != nil:
			return err
		default:
			st, qerr := queryRollout(ctx, c, id)
			status := desc.GetWorkflowExecutionInfo().GetStatus()
			if status != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING && (qerr != nil || !rolloutOutcome(st.State)) {
				// Ended, and not with an outcome the query can show.
				return endedRollout(ctx, c, id, status)
			}
			if qerr == nil {
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

// transientRPC says whether err is a call that timed out or found the
// server unavailable, while the caller's own context is still live: worth
// asking again rather than giving up on a rollout being followed.
func transientRPC(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	var unavailable *serviceerror.Unavailable
	var deadline *serviceerror.DeadlineExceeded
	var exhausted *serviceerror.ResourceExhausted
	return errors.Is(err, context.DeadlineExceeded) || errors.As(err, &unavailable) ||
		errors.As(err, &deadline) || errors.As(err, &exhausted)
}

// rolloutOutcome says whether state is how a rollout ends.
func rolloutOutcome(state string) bool {
	switch state {
	case workflows.OutcomePromoted, workflows.OutcomeRolledBack, workflows.OutcomeAborted, workflows.OutcomeDiscarded:
		return true
	}
	return false
}

// endedRollout is the answer for a rollout that ended where the query
// cannot say how: its outcome, or the failure that ended it without one,
// and what its pipeline did about it.
func endedRollout(ctx context.Context, c client.Client, id string, status enumspb.WorkflowExecutionStatus) error {
	var res workflows.RolloutResult
	err := c.GetWorkflow(ctx, id, "").Get(ctx, &res)
	if err == nil && status == enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED {
		if res.Outcome == workflows.OutcomePromoted {
			return nil
		}
		return &exitError{code: exitNotDeployed, msg: fmt.Sprintf("rollout %s ended %s: %s", id, res.Outcome, res.Reason)}
	}
	how := strings.ToLower(strings.TrimPrefix(status.String(), "WORKFLOW_EXECUTION_STATUS_"))
	msg := fmt.Sprintf("rollout %s ended (%s) without an outcome", id, how)
	if err != nil {
		msg += ": " + rootCause(err)
	}
	if parent, done := parentCompensation(ctx, c, id); parent != "" {
		msg += "; " + parent
		if done {
			return &exitError{code: exitNotDeployed, msg: msg}
		}
		return errors.New(msg)
	}
	if err != nil {
		return errors.New(msg)
	}
	return fmt.Errorf("%s; see temporal workflow show -w %s", msg, id)
}

// parentCompensation says what the pipeline that started rollout id did
// once the rollout ended without concluding: it rolls the candidate back
// itself (done is true once it has). Empty when the rollout has no
// pipeline, or the pipeline cannot be asked.
func parentCompensation(ctx context.Context, c client.Client, id string) (line string, done bool) {
	d, err := c.DescribeWorkflow(ctx, id, "")
	if err != nil {
		return "", false
	}
	parent := d.RawResponse.GetWorkflowExecutionInfo().GetParentExecution().GetWorkflowId()
	if parent == "" {
		return "", false
	}
	st, err := queryStatus(ctx, c, parent)
	if err != nil {
		return "", false
	}
	r := st.Result
	switch {
	case r == nil:
		return fmt.Sprintf("its pipeline %s: %s (mlpipe status %s)", parent, st.State, parent), false
	case r.Outcome == workflows.OutcomeRolledBack && r.Rollout != nil && r.Rollout.WorkflowID == id:
		return fmt.Sprintf("its pipeline %s rolled the candidate back: %s", parent, r.Reason), true
	default:
		return fmt.Sprintf("its pipeline %s ended %s: %s (mlpipe status %s)", parent, r.Outcome, r.Reason, parent), false
	}
}

// parentRunning says whether id is the rollout ID of a pipeline that is
// still running, and so may start it yet.
func parentRunning(ctx context.Context, c client.Client, id string) bool {
	for _, strategy := range []string{spec.StrategyCanary, spec.StrategyShadow} {
		parent, ok := strings.CutSuffix(id, workflows.RolloutID("", strategy))
		if !ok {
			continue
		}
		d, err := c.DescribeWorkflow(ctx, parent, "")
		return err == nil && d.RawResponse.GetWorkflowExecutionInfo().GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING
	}
	return false
}

// printRollout prints history lines from skip on and returns how many
// there are; with skip 0 it prints a header first.
func printRollout(w io.Writer, st workflows.RolloutStatus, skip int) int {
	if skip == 0 {
		fmt.Fprintf(w, "%s rollout of %s version %d: %s, step %d of %d at %g%%\n", st.Strategy, st.Model, st.Candidate, st.State, st.Step, st.Steps, st.Weight)
		if st.Pending != nil {
			fmt.Fprintf(w, "  %s\n", pendingLine(st))
		}
		if st.LastAnalysis != nil {
			fmt.Fprintf(w, "  last analysis: %s\n", st.LastAnalysis.Summary)
		}
	}
	// A long rollout keeps its latest lines only (HistoryDropped counts the
	// rest, always older than the new ones): skip counts lines written.
	total := st.HistoryDropped + len(st.History)
	for _, e := range st.History[min(max(0, len(st.History)-(total-skip)), len(st.History)):] {
		fmt.Fprintf(w, "  %s  %s\n", e.At.Local().Format("15:04:05"), strings.TrimSpace(e.What))
	}
	return total
}

// pendingLine says that a routing change is not in effect yet.
func pendingLine(st workflows.RolloutStatus) string {
	p := st.Pending
	return fmt.Sprintf("not applied yet: %s; the gateway at %s has not acknowledged it (asked at %s)",
		p.What, st.GatewayURL, p.Since.Local().Format("15:04:05"))
}

// printGatewayRetries shows the rollout's activities that are being
// retried, with their last failure: why a step is not applied yet.
func printGatewayRetries(w io.Writer, desc *workflowservice.DescribeWorkflowExecutionResponse) {
	for _, a := range desc.GetPendingActivities() {
		if a.GetAttempt() <= 1 || a.GetLastFailure() == nil {
			continue
		}
		of := ""
		if n := a.GetMaximumAttempts(); n > 0 {
			of = fmt.Sprintf(" of %d", n)
		}
		fmt.Fprintf(w, "  retrying %s: attempt %d%s; last failure: %s\n",
			a.GetActivityType().GetName(), a.GetAttempt(), of, a.GetLastFailure().GetMessage())
	}
}
