package workflows

import (
	"fmt"
	"slices"
	"strings"

	"go.temporal.io/sdk/workflow"

	"github.com/mlpipe/mlpipe/activities"
)

// setup registers the status query and the controls, as validated Updates
// (a refusal reaches the caller at once) and as signals of the same names
// (a refused signal is written to the history instead).
func (r *rolloutRun) setup(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QueryStatus, func() (RolloutStatus, error) { return r.status, nil }); err != nil {
		return err
	}
	for _, name := range []string{ControlPause, ControlResume, ControlPromote, ControlAbort} {
		err := workflow.SetUpdateHandlerWithOptions(ctx, name,
			func(ctx workflow.Context, c RolloutCommand) (RolloutStatus, error) {
				r.control(ctx, name, c)
				return r.status, nil
			},
			workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, c RolloutCommand) error { return r.checkControl(name, c) }})
		if err != nil {
			return err
		}
	}
	for _, kind := range []string{DecisionApproved, DecisionRejected} {
		name := decisionName(kind)
		err := workflow.SetUpdateHandlerWithOptions(ctx, name,
			func(ctx workflow.Context, d Decision) (activities.Approval, error) {
				return r.decide(ctx, kind, d, "update"), nil
			},
			workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, d Decision) error { return r.checkDecision(d) }})
		if err != nil {
			return err
		}
	}
	workflow.Go(ctx, func(ctx workflow.Context) {
		sel := workflow.NewSelector(ctx)
		for _, name := range []string{ControlPause, ControlResume, ControlPromote, ControlAbort} {
			sel.AddReceive(workflow.GetSignalChannel(ctx, name), func(ch workflow.ReceiveChannel, _ bool) {
				var c RolloutCommand
				ch.Receive(ctx, &c)
				if err := r.checkControl(name, c); err != nil {
					r.log(ctx, "%s signal ignored: %v", name, err)
					return
				}
				r.control(ctx, name, c)
			})
		}
		for _, kind := range []string{DecisionApproved, DecisionRejected} {
			name := decisionName(kind)
			sel.AddReceive(workflow.GetSignalChannel(ctx, name), func(ch workflow.ReceiveChannel, _ bool) {
				var d Decision
				ch.Receive(ctx, &d)
				if err := r.checkDecision(d); err != nil {
					r.log(ctx, "%s signal ignored: %v", name, err)
					return
				}
				r.decide(ctx, kind, d, "signal")
			})
		}
		for {
			sel.Select(ctx)
		}
	})
	return nil
}

func (r *rolloutRun) checkControl(name string, c RolloutCommand) error {
	switch {
	case strings.TrimSpace(c.By) == "":
		return fmt.Errorf(`say who you are: {"by": "NAME", "reason": "..."}`)
	case r.outcome != "":
		return fmt.Errorf("%w: %s", errRolloutOver, r.outcome)
	case r.abortBy != nil || r.promoteBy != nil || r.concluding:
		// A control accepted now would change nothing: say so.
		return fmt.Errorf("the rollout is already finishing")
	case name == ControlPause && r.paused:
		return fmt.Errorf("already paused by %s", r.status.PausedBy)
	case name == ControlResume && !r.paused:
		return fmt.Errorf("the rollout is not paused")
	}
	return nil
}

func (r *rolloutRun) control(ctx workflow.Context, name string, c RolloutCommand) {
	cmd := c
	switch name {
	case ControlPause:
		r.paused, r.status.PausedBy = true, c.By
	case ControlResume:
		r.paused = false
	case ControlPromote:
		r.promoteBy = &cmd
	case ControlAbort:
		r.abortBy = &cmd
	}
	r.log(ctx, "%s by %s %s", name, c.By, quoteReason(c.Reason))
}

func quoteReason(s string) string {
	if s == "" {
		return ""
	}
	return fmt.Sprintf("(%q)", s)
}

func (r *rolloutRun) checkDecision(d Decision) error {
	switch {
	case strings.TrimSpace(d.Approver) == "":
		return fmt.Errorf(`approver is required: send {"approver": "NAME", "comment": "..."}`)
	case len(r.in.Approvers) > 0 && !slices.Contains(r.in.Approvers, d.Approver):
		return fmt.Errorf("%s is not an approver of this rollout; approvers: %s", d.Approver, strings.Join(r.in.Approvers, ", "))
	case r.status.State != RolloutDeciding:
		return fmt.Errorf("nothing to approve: the rollout is %s", r.status.State)
	case r.decision != nil:
		return fmt.Errorf("already %s by %s", r.decision.Decision, r.decision.Approver)
	}
	return nil
}

func (r *rolloutRun) decide(ctx workflow.Context, kind string, d Decision, via string) activities.Approval {
	ap := activities.Approval{Decision: kind, Approver: d.Approver, Comment: d.Comment, At: workflow.Now(ctx), Via: via}
	r.decision = &ap
	r.log(ctx, "switch %s by %s %s", kind, d.Approver, quoteReason(d.Comment))
	return ap
}

// awaitSwitchDecision waits for a person to approve a shadow's switch.
func (r *rolloutRun) awaitSwitchDecision(ctx workflow.Context) (bool, error) {
	r.status.State = RolloutDeciding
	r.log(ctx, "the shadow passed; waiting for %s or %s", SignalApprove, SignalReject)
	ok, err := workflow.AwaitWithOptions(ctx, workflow.AwaitOptions{
		Timeout:      r.in.DecisionTimeout.D(),
		TimerOptions: workflow.TimerOptions{Summary: fmt.Sprintf("shadow passed: waiting for %s (times out after %s)", SignalApprove, r.in.DecisionTimeout)},
	}, func() bool { return r.decision != nil || r.abortBy != nil })
	r.status.State = RolloutRunning
	switch {
	case err != nil:
		return false, err
	case r.abortBy != nil:
		r.outcomeReason = fmt.Sprintf("aborted by %s: %s", r.abortBy.By, r.abortBy.Reason)
		return false, nil
	case !ok:
		r.outcomeReason = fmt.Sprintf("nobody approved the switch within %s", r.in.DecisionTimeout)
		return false, nil
	case r.decision.Decision != DecisionApproved:
		r.outcomeReason = fmt.Sprintf("switch rejected by %s: %s", r.decision.Approver, r.decision.Comment)
		return false, nil
	}
	return true, nil
}
