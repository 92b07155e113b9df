package workflows

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/mlpipe/mlpipe/activities"
	"github.com/mlpipe/mlpipe/internal/rollout"
	"github.com/mlpipe/mlpipe/internal/routing"
	"github.com/mlpipe/mlpipe/internal/spec"
)

// CanaryRollout sends a growing share of live traffic to the candidate,
// step by step (the seed's 5% for 24 hours, then 25%, 50%, then the
// cutover), comparing it with production every analysis interval. Failed
// analyses up to the spec's limit roll it back on their own; an
// inconclusive step pauses for a person. pause, resume, promote and abort
// steer it at any time.
func CanaryRollout(ctx workflow.Context, in RolloutInput) (RolloutResult, error) {
	r, err := newRollout(ctx, in, spec.StrategyCanary)
	if err != nil {
		return RolloutResult{}, err
	}
	return r.finish(ctx, r.canary(ctx))
}

// ShadowRollout mirrors live traffic to the candidate for the window,
// compares its answers with production's without serving them, then
// switches to it when the analysis passes (and a person approves, if the
// spec asks), or discards it.
func ShadowRollout(ctx workflow.Context, in RolloutInput) (RolloutResult, error) {
	r, err := newRollout(ctx, in, spec.StrategyShadow)
	if err != nil {
		return RolloutResult{}, err
	}
	return r.finish(ctx, r.shadow(ctx))
}

// rolloutRun is one rollout's state; handlers read and write it.
type rolloutRun struct {
	in     RolloutInput
	d      spec.Deployment
	id     string
	status RolloutStatus
	// Requests from people, set by handlers, consumed by the loop.
	paused        bool
	promoteBy     *RolloutCommand
	abortBy       *RolloutCommand
	decision      *activities.Approval
	lastVerdict   rollout.Verdict
	outcome       string
	outcomeReason string
	// bounded is set for rollouts started by code that stops waiting on an
	// unreachable gateway (rolloutBoundedGateway).
	bounded bool
	// routed is set once the gateway has acknowledged a split.
	routed bool
	// concluding is set once the rollout is promoting or rolling back.
	concluding bool

	// continueAt is the history length at which this run hands over to a
	// new one (0: never, for rollouts started before
	// rolloutContinuesAsNew).
	continueAt int
	// resume is the state an earlier run handed over, if any.
	resume *RolloutCarry
	runs   int
	// Where the run is, for the hand-over: the step held, what is left of
	// its hold and whether the hold has analysed yet.
	stepIndex int
	remaining time.Duration
	analysed  bool
	// events is this run's own count of the events it has caused, in case
	// the server's count is not known (the test environment's children);
	// iterations counts its holds' waits, so that each run makes progress.
	events     int
	iterations int
}

// rolloutBoundedGateway marks rollouts that do not wait on a gateway
// without bound: an abort interrupts a gateway call in flight, a routing
// the gateway refuses rolls back, and a rollback the gateway cannot be
// told of still ends the rollout. Earlier histories replay without it.
const rolloutBoundedGateway = "rollout-bounded-gateway"

// rolloutContinuesAsNew marks rollouts whose runs continue as new before
// their history grows long, carrying their state, and whose history lines
// are bounded (RolloutHistoryKept). Earlier histories replay without it.
const rolloutContinuesAsNew = "rollout-continues-as-new"

func newRollout(ctx workflow.Context, in RolloutInput, strategy string) (*rolloutRun, error) {
	r := &rolloutRun{in: in, d: in.Deployment, id: workflow.GetInfo(ctx).WorkflowExecution.ID}
	r.d.Strategy = strategy
	r.status = RolloutStatus{Model: in.Model, Candidate: in.Candidate, Strategy: strategy, State: RolloutRunning,
		Steps: len(in.Deployment.Steps), GatewayURL: in.Deployment.GatewayURL}
	if err := r.setup(ctx); err != nil {
		return nil, err
	}
	// Fill defaults and check, as the pipeline's spec check does.
	p := spec.Pipeline{Deployment: r.d}
	probs := slices.Clone(in.problems)
	if in.Model == "" || in.Candidate <= 0 {
		probs = append(probs, "model and candidate version are required")
	}
	if err := p.ValidateDeployment(); err != nil {
		probs = append(probs, err.Error())
	}
	if in.ContinueAsNewAt != 0 && (in.ContinueAsNewAt < MinContinueAsNewAt || in.ContinueAsNewAt > MaxContinueAsNewAt) {
		probs = append(probs, fmt.Sprintf("continue_as_new_at %d is out of range: use %d to %d events (0 means %d)",
			in.ContinueAsNewAt, MinContinueAsNewAt, MaxContinueAsNewAt, DefaultContinueAsNewAt))
	}
	if c := in.Carry; c != nil && (c.StepIndex < 0 || c.StepIndex >= max(1, len(p.Deployment.Steps)) || c.Remaining < 0) {
		probs = append(probs, fmt.Sprintf("carry is not a rollout's own hand-over (step_index %d, remaining %s): start the rollout without carry", c.StepIndex, c.Remaining))
	}
	if in.GatewayRetry < 0 || (in.GatewayRetry > 0 && in.GatewayRetry < spec.Duration(time.Second)) || in.GatewayRetry > MaxGatewayRetry {
		probs = append(probs, fmt.Sprintf("gateway_retry %s is out of range: use 1s to %s (0 means %s)", in.GatewayRetry, MaxGatewayRetry, DefaultGatewayRetry))
	}
	if len(probs) > 0 {
		return nil, temporal.NewNonRetryableApplicationError("rollout: "+strings.Join(probs, "; "), ErrInvalidSpec, nil)
	}
	r.d = p.Deployment
	r.status.Steps = len(r.d.Steps)
	if r.in.DecisionTimeout <= 0 {
		r.in.DecisionTimeout = spec.DefaultApprovalTimeout
	}
	if r.in.GatewayRetry == 0 {
		r.in.GatewayRetry = DefaultGatewayRetry
	}
	r.bounded = workflow.GetVersion(ctx, rolloutBoundedGateway, workflow.DefaultVersion, 1) >= 1
	if workflow.GetVersion(ctx, rolloutContinuesAsNew, workflow.DefaultVersion, 1) >= 1 {
		r.continueAt = cmp.Or(in.ContinueAsNewAt, in.Deployment.ContinueAsNewAt, DefaultContinueAsNewAt)
	}
	if c := in.Carry; c != nil {
		r.resume = c
		r.status = c.Status
		r.paused, r.lastVerdict, r.routed, r.runs = c.Paused, c.LastVerdict, c.Routed, c.Runs
	}
	r.runs++
	r.events = rolloutRunEvents
	r.publish(ctx)
	return r, nil
}

func (r *rolloutRun) log(ctx workflow.Context, format string, args ...any) {
	e := RolloutEvent{At: workflow.Now(ctx), What: fmt.Sprintf(format, args...)}
	if r.continueAt > 0 {
		r.status.History, r.status.HistoryDropped = keepHistory(r.status.History, r.status.HistoryDropped, e)
	} else {
		r.status.History = append(r.status.History, e)
	}
	r.publish(ctx)
}

// canary runs the steps; it returns the outcome and why.
func (r *rolloutRun) canary(ctx workflow.Context) error {
	first := 0
	if r.resume != nil {
		first = r.resume.StepIndex
	}
	for i := first; i < len(r.d.Steps); i++ {
		step := r.d.Steps[i]
		r.stepIndex, r.analysed = i, false
		hold := step.Hold.D()
		if r.resume != nil && i == first {
			// An earlier run routed this step: hold what is left of it.
			hold, r.analysed = r.resume.Remaining.D(), r.resume.Analysed
		} else {
			r.status.Step = i + 1
			next, err := r.route(ctx, routing.Routing{Model: r.in.Model, Mode: routing.ModeCanary, Candidate: r.in.Candidate,
				Weight: step.Weight, StickyKey: r.d.StickyKey, Reason: fmt.Sprintf("canary step %d of %d: %g%%", i+1, len(r.d.Steps), step.Weight)})
			if !r.bounded && err != nil {
				return err
			}
			if err != nil || next != "" {
				return r.conclude(ctx, next, err)
			}
			r.log(ctx, "step %d of %d: %g%% of traffic to version %d for %s", i+1, len(r.d.Steps), step.Weight, r.in.Candidate, step.Hold)
		}
		next, err := r.hold(ctx, hold, fmt.Sprintf("canary %g%%", step.Weight))
		if errors.Is(err, errContinueAsNew) {
			return err
		}
		if err != nil || next != "" {
			return r.conclude(ctx, next, err)
		}
	}
	return r.conclude(ctx, OutcomePromoted, nil)
}

// shadow mirrors traffic for the window, then decides.
func (r *rolloutRun) shadow(ctx workflow.Context) error {
	window := r.d.Window.D()
	if r.resume != nil {
		// An earlier run set the mirror up: watch what is left of the window.
		window, r.analysed = r.resume.Remaining.D(), r.resume.Analysed
	} else {
		r.status.Step, r.status.Steps, r.status.Weight = 1, 1, 0
		next, err := r.route(ctx, routing.Routing{Model: r.in.Model, Mode: routing.ModeShadow, Candidate: r.in.Candidate,
			Mirror: r.d.Mirror, Reason: fmt.Sprintf("shadow: mirror %g%%", r.d.Mirror)})
		if !r.bounded && err != nil {
			return err
		}
		if err != nil || next != "" {
			if next == OutcomeRolledBack {
				next = OutcomeDiscarded
			}
			return r.conclude(ctx, next, err)
		}
		r.log(ctx, "shadow: %g%% of traffic mirrored to version %d for %s", r.d.Mirror, r.in.Candidate, r.d.Window)
	}
	next, err := r.hold(ctx, window, "shadow")
	if errors.Is(err, errContinueAsNew) {
		return err
	}
	if err != nil || next != "" {
		if next == OutcomeRolledBack {
			next = OutcomeDiscarded
		}
		return r.conclude(ctx, next, err)
	}
	if r.lastVerdict != rollout.VerdictPass {
		r.outcomeReason = "the shadow's last analysis did not pass: " + r.status.LastAnalysis.Summary
		return r.conclude(ctx, OutcomeDiscarded, nil)
	}
	if r.d.ApproveSwitch {
		ok, err := r.awaitSwitchDecision(ctx)
		if err != nil {
			return r.conclude(ctx, "", err)
		}
		if !ok {
			return r.conclude(ctx, OutcomeDiscarded, nil)
		}
	}
	return r.conclude(ctx, OutcomePromoted, nil)
}

// hold keeps the current split for d of unpaused time, analysing every
// interval. It returns "" when the hold is over, or the outcome a person
// or the analysis chose.
func (r *rolloutRun) hold(ctx workflow.Context, d time.Duration, what string) (string, error) {
	interval := r.d.AnalysisInterval.D()
	remaining := d
	for remaining > 0 {
		r.remaining = remaining
		if r.continueAsNewDue(ctx) {
			return "", errContinueAsNew
		}
		ends := workflow.Now(ctx).Add(remaining)
		r.status.HoldEndsAt = &ends
		wait := min(interval, remaining)
		start := workflow.Now(ctx)
		_, err := workflow.AwaitWithOptions(ctx, workflow.AwaitOptions{
			Timeout:      wait,
			TimerOptions: workflow.TimerOptions{Summary: fmt.Sprintf("%s: next analysis in %s (%s of the hold left)", what, wait, remaining)},
		}, r.interrupted)
		if err != nil {
			return "", err
		}
		remaining -= workflow.Now(ctx).Sub(start)
		r.iterations++
		r.events += rolloutIterationEvents
		if next := r.requested(); next != "" {
			return next, nil
		}
		if r.paused {
			if next, err := r.waitWhilePaused(ctx); err != nil || next != "" {
				return next, err
			}
			continue
		}
		r.analysed = true
		if next, err := r.analyze(ctx); err != nil || next != "" {
			return next, err
		}
	}
	r.remaining = 0
	if r.analysed && r.lastVerdict == rollout.VerdictInconclusive {
		r.paused, r.status.PausedBy = true, "analysis"
		r.log(ctx, "%s: inconclusive (%s); paused for a person: resume, promote or abort", what, r.status.LastAnalysis.Summary)
		return r.waitWhilePaused(ctx)
	}
	return "", nil
}

func (r *rolloutRun) interrupted() bool {
	return r.paused || r.promoteBy != nil || r.abortBy != nil
}

// requested turns a person's promote or abort into an outcome.
func (r *rolloutRun) requested() string {
	switch {
	case r.abortBy != nil:
		r.outcomeReason = fmt.Sprintf("aborted by %s: %s", r.abortBy.By, r.abortBy.Reason)
		return OutcomeAborted
	case r.promoteBy != nil:
		r.outcomeReason = fmt.Sprintf("promoted early by %s: %s", r.promoteBy.By, r.promoteBy.Reason)
		return OutcomePromoted
	}
	return ""
}

func (r *rolloutRun) waitWhilePaused(ctx workflow.Context) (string, error) {
	r.status.State = RolloutPaused
	r.publish(ctx)
	if err := workflow.Await(ctx, func() bool { return !r.paused || r.promoteBy != nil || r.abortBy != nil }); err != nil {
		return "", err
	}
	r.status.State, r.status.PausedBy = RolloutRunning, ""
	r.publish(ctx)
	return r.requested(), nil
}

// conclude promotes the candidate or takes it out of the traffic. It runs
// even when the rollout is cancelled, so the gateway never keeps a split
// nobody watches.
func (r *rolloutRun) conclude(ctx workflow.Context, outcome string, cause error) error {
	r.concluding = true
	if cause != nil {
		if !temporal.IsCanceledError(cause) {
			// An activity failed for good: take the candidate out.
			outcome, r.outcomeReason = OutcomeRolledBack, "rollout failed: "+r.failureText(cause)
		} else {
			outcome, r.outcomeReason = OutcomeAborted, "rollout cancelled"
		}
		ctx, _ = workflow.NewDisconnectedContext(ctx)
	}
	in := activities.FinishRolloutInput{Model: r.in.Model, Version: r.in.Candidate, WorkflowID: r.id,
		GatewayURL: r.d.GatewayURL, Reason: r.outcomeReason, Approval: r.in.Approval, NeverRouted: r.bounded && !r.routed}
	var fn any = a.RollbackCandidate
	what := "take version %d out of the traffic"
	if outcome == OutcomePromoted {
		fn, what = a.PromoteCandidate, "promote version %d to production"
		if in.Reason == "" {
			in.Reason = fmt.Sprintf("%s rollout passed", r.d.Strategy)
			r.outcomeReason = in.Reason
		}
		if r.decision != nil {
			in.Approval = r.decision
		}
	}
	actx := workflow.WithActivityOptions(ctx, r.activityOptions(fmt.Sprintf(what, r.in.Candidate)))
	var res activities.FinishRolloutResult
	err := workflow.ExecuteActivity(actx, fn, in).Get(ctx, &res)
	switch {
	case err != nil && (!r.bounded || outcome == OutcomePromoted || !isGatewayFailure(err)):
		return err
	case err != nil:
		// The registry holds the refusal; only the gateway is behind.
		// Say what it may still do rather than claim it stopped.
		still := fmt.Sprintf("send %g%% of traffic to", r.status.Weight)
		if r.d.Strategy == spec.StrategyShadow {
			still = fmt.Sprintf("mirror %g%% of traffic to", r.d.Mirror)
		}
		r.outcomeReason += fmt.Sprintf("; the gateway was not told and may still %s version %d (%s): PUT {\"mode\": \"none\"} to %s/admin/models/%s/routing once it answers",
			still, r.in.Candidate, r.failureText(err), strings.TrimRight(r.d.GatewayURL, "/"), r.in.Model)
	case res.GatewayNotTold != "":
		r.outcomeReason += "; the gateway never acknowledged a split, so it serves production only"
		if cause == nil || !isGatewayFailure(cause) {
			// Not said yet: why it was not told.
			r.outcomeReason += " (" + res.GatewayNotTold + ")"
		}
		r.status.Weight = 0
	case outcome == OutcomePromoted:
		r.status.Weight = 100
	default:
		r.status.Weight = 0
	}
	r.outcome = outcome
	r.status.State = outcome
	r.status.HoldEndsAt = nil
	r.log(ctx, "%s: %s", outcome, r.outcomeReason)
	if cause != nil && temporal.IsCanceledError(cause) {
		return cause
	}
	return nil
}

func (r *rolloutRun) finish(ctx workflow.Context, err error) (RolloutResult, error) {
	if errors.Is(err, errContinueAsNew) {
		return RolloutResult{}, r.continueAsNew(ctx)
	}
	res := RolloutResult{WorkflowID: r.id, Model: r.in.Model, Candidate: r.in.Candidate, Outcome: r.outcome, Reason: r.outcomeReason,
		Analyses: r.status.Analyses, LastAnalysis: r.status.LastAnalysis, History: r.status.History, HistoryDropped: r.status.HistoryDropped}
	if err != nil {
		return res, err
	}
	if werr := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); werr != nil {
		return res, werr
	}
	return res, nil
}

var errRolloutOver = errors.New("the rollout is over")
