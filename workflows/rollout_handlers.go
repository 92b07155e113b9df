package workflows

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/mlpipe/mlpipe/activities"
	"github.com/mlpipe/mlpipe/internal/spec"
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
				r.controlSignal(ctx, name, c)
			})
		}
		for _, kind := range []string{DecisionApproved, DecisionRejected} {
			sel.AddReceive(workflow.GetSignalChannel(ctx, decisionName(kind)), func(ch workflow.ReceiveChannel, _ bool) {
				var d Decision
				ch.Receive(ctx, &d)
				r.decisionSignal(ctx, kind, d)
			})
		}
		for {
			sel.Select(ctx)
		}
	})
	return nil
}

func (r *rolloutRun) controlSignal(ctx workflow.Context, name string, c RolloutCommand) {
	r.events += rolloutControlEvents
	if err := r.checkControl(name, c); err != nil {
		r.log(ctx, "%s signal ignored: %v", name, err)
		return
	}
	r.control(ctx, name, c)
}

func (r *rolloutRun) decisionSignal(ctx workflow.Context, kind string, d Decision) {
	r.events += rolloutControlEvents
	if err := r.checkDecision(d); err != nil {
		r.log(ctx, "%s signal ignored: %v", decisionName(kind), err)
		return
	}
	r.decide(ctx, kind, d, "signal")
}

// drainSignals handles the signals already received and not yet read, so
// that none is lost when the run continues as new.
func (r *rolloutRun) drainSignals(ctx workflow.Context) {
	for _, name := range []string{ControlPause, ControlResume, ControlPromote, ControlAbort} {
		ch := workflow.GetSignalChannel(ctx, name)
		for {
			var c RolloutCommand
			if !ch.ReceiveAsync(&c) {
				break
			}
			r.controlSignal(ctx, name, c)
		}
	}
	for _, kind := range []string{DecisionApproved, DecisionRejected} {
		ch := workflow.GetSignalChannel(ctx, decisionName(kind))
		for {
			var d Decision
			if !ch.ReceiveAsync(&d) {
				break
			}
			r.decisionSignal(ctx, kind, d)
		}
	}
}

// A rollout's run costs about this many events: its start and set-up,
// each wait of a hold (a timer, an analysis and their workflow tasks:
// 11.6 measured on the dev server), and each control a person sends.
const (
	rolloutRunEvents       = 20
	rolloutIterationEvents = 12
	rolloutControlEvents   = 4
)

// continueAsNewDue says whether the run should hand over now: once it has
// made progress, when the server suggests it or the history (the server's
// count, or the run's own where that is larger) reaches the rollout's
// bound, and only while no promote or abort waits to be carried out (a
// pause is carried over).
func (r *rolloutRun) continueAsNewDue(ctx workflow.Context) bool {
	if r.continueAt == 0 || r.iterations == 0 || r.concluding {
		return false
	}
	info := workflow.GetInfo(ctx)
	if !info.GetContinueAsNewSuggested() && max(info.GetCurrentHistoryLength(), r.events) < r.continueAt {
		return false
	}
	r.drainSignals(ctx)
	return r.promoteBy == nil && r.abortBy == nil
}

// continueAsNew hands the rollout to a new run of the same workflow ID,
// carrying everything its status and result show; a parent waiting on the
// rollout follows the new run.
func (r *rolloutRun) continueAsNew(ctx workflow.Context) error {
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return err
	}
	next := r.in
	next.problems = nil
	next.Carry = &RolloutCarry{Status: r.status, StepIndex: r.stepIndex, Remaining: spec.Duration(r.remaining), Analysed: r.analysed,
		Paused: r.paused, LastVerdict: r.lastVerdict, Routed: r.routed, Runs: r.runs}
	name := CanaryRolloutName
	if r.d.Strategy == spec.StrategyShadow {
		name = ShadowRolloutName
	}
	workflow.GetLogger(ctx).Info("rollout continues as new", "model", r.in.Model, "candidate", r.in.Candidate,
		"run", r.runs, "step", r.stepIndex+1, "remaining", r.remaining, "history_length", workflow.GetInfo(ctx).GetCurrentHistoryLength())
	return workflow.NewContinueAsNewError(ctx, name, next)
}

// errContinueAsNew asks the rollout to hand over to a new run.
var errContinueAsNew = errors.New("continue as new")

// keepHistory appends e to a rollout's history lines, keeping at most
// RolloutHistoryKept: past that, the oldest routine line (an analysis that
// passed or was inconclusive) goes first, and only when none is left the
// oldest line; dropped counts them. A 48-hour canary analysed every 10 s
// keeps its steps, failures, controls and latest analyses, its hand-over
// stays small, and lines only ever go from before the ones a follower has
// seen, so dropped plus the lines kept counts every line written.
func keepHistory(h []RolloutEvent, dropped int, e RolloutEvent) ([]RolloutEvent, int) {
	h = append(h, e)
	if len(h) <= RolloutHistoryKept {
		return h, dropped
	}
	i := slices.IndexFunc(h, func(e RolloutEvent) bool { return routineLine(e.What) })
	return slices.Delete(h, max(i, 0), max(i, 0)+1), dropped + 1
}

// routineLine says whether a history line is an analysis that passed or
// was inconclusive.
func routineLine(s string) bool {
	return strings.HasPrefix(s, "analysis ") && (strings.HasSuffix(s, " passed") || strings.Contains(s, " inconclusive: "))
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

// publish shows the rollout in the Web UI's current details.
func (r *rolloutRun) publish(ctx workflow.Context) {
	var b strings.Builder
	b.WriteString(fmt.Sprintf("**%s rollout** of `%s` version %d: **%s**, step %d of %d, weight %g%%\n\n",
		r.d.Strategy, r.in.Model, r.in.Candidate, r.status.State, r.status.Step, r.status.Steps, r.status.Weight))
	if p := r.status.Pending; p != nil {
		b.WriteString(fmt.Sprintf("Not applied yet: %s, sent to the gateway at %s at %s and not acknowledged\n\n", p.What, r.d.GatewayURL, p.Since.UTC().Format(time.RFC3339)))
	}
	if an := r.status.LastAnalysis; an != nil {
		b.WriteString(fmt.Sprintf("Last analysis (%d so far, %d failed in a row): **%s** %s\n\n", r.status.Analyses, r.status.Failures, an.Verdict, an.Summary))
	}
	for i := max(0, len(r.status.History)-8); i < len(r.status.History); i++ {
		e := r.status.History[i]
		b.WriteString(fmt.Sprintf("- %s %s\n", e.At.UTC().Format(time.RFC3339), e.What))
	}
	workflow.SetCurrentDetails(ctx, b.String())
}
