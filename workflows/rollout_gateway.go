package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/mlpipe/mlpipe/activities"
	"github.com/mlpipe/mlpipe/internal/rollout"
	"github.com/mlpipe/mlpipe/internal/routing"
	"github.com/mlpipe/mlpipe/internal/spec"
)

// A rollout steers the gateway through activities. None of them waits on
// the gateway without bound: a gateway that does not answer is retried for
// the rollout's gateway_retry, one that refuses is not retried, and an
// abort does not wait for either.

// gatewayRetryPolicy retries a gateway call that got no answer (or a 5xx)
// 1s, 2s, 4s, ... up to 30s apart, for as many attempts as fit in budget:
// a gateway restarting is waited for, one that is gone is not. A refusal
// (4xx) and bad input are not retried at all.
func gatewayRetryPolicy(budget time.Duration) *temporal.RetryPolicy {
	const initial, ceiling = time.Second, 30 * time.Second
	attempts, waited, next := int32(1), time.Duration(0), initial
	for waited+next <= budget {
		waited += next
		attempts++
		next = min(2*next, ceiling)
	}
	return &temporal.RetryPolicy{
		InitialInterval: initial, BackoffCoefficient: 2, MaximumInterval: ceiling,
		MaximumAttempts:        attempts,
		NonRetryableErrorTypes: []string{activities.ErrInvalidInput, activities.ErrGatewayRefused, activities.ErrRegistryRefused},
	}
}

// route asks the gateway for a split. The status counts its weight only
// once the gateway has acknowledged it; until then it is pending.
func (r *rolloutRun) route(ctx workflow.Context, rt routing.Routing) (string, error) {
	in := activities.SetRoutingInput{GatewayURL: r.d.GatewayURL, Routing: rt}
	r.status.Pending = &PendingRouting{What: rt.Reason, Weight: rt.Weight, Since: workflow.Now(ctx)}
	r.publish(ctx)
	next, err := r.gatewayCall(ctx, rt.Reason, a.SetRouting, in, nil)
	r.status.Pending = nil
	if errors.Is(err, errInterrupted) {
		return next, nil
	}
	if err == nil {
		r.routed = true
		r.status.Weight = rt.Weight
	}
	return next, err
}

// errInterrupted is a gateway call an abort cut short before it completed.
var errInterrupted = errors.New("interrupted by an abort")

// gatewayCall runs a gateway activity. In a bounded rollout an abort
// interrupts it, so a person ending the rollout does not wait out the
// retries of a gateway that does not answer; it then returns the outcome
// the abort asked for, with errInterrupted unless the call completed anyway.
func (r *rolloutRun) gatewayCall(ctx workflow.Context, summary string, fn, in, out any) (string, error) {
	opts := r.activityOptions(summary)
	if !r.bounded {
		return "", workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, opts), fn, in).Get(ctx, out)
	}
	// An attempt in flight is let finish (one request's timeout at most),
	// so a routing it was sending cannot land after the rollback's.
	opts.WaitForCancellation = true
	cctx, cancel := workflow.WithCancel(ctx)
	defer cancel()
	f := workflow.ExecuteActivity(workflow.WithActivityOptions(cctx, opts), fn, in)
	if err := workflow.Await(ctx, func() bool { return f.IsReady() || r.abortBy != nil }); err != nil {
		return "", err
	}
	if f.IsReady() {
		return "", f.Get(ctx, out)
	}
	cancel()
	if err := f.Get(ctx, out); err != nil {
		return r.requested(), errInterrupted
	}
	return r.requested(), nil
}

// failureText is a failure's message as a person should read it: an
// application error's own message, without the SDK's type decoration.
func (r *rolloutRun) failureText(err error) string {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		msg := app.Message()
		if app.Type() == activities.ErrGatewayUnreachable && r.bounded {
			msg += fmt.Sprintf(" (gave up after retrying for %s, the rollout's gateway_retry)", r.in.GatewayRetry)
		}
		return msg
	}
	return failureMessage(err)
}

// isGatewayFailure tells a gateway that did not answer or refused from a
// registry or other failure.
func isGatewayFailure(err error) bool {
	var app *temporal.ApplicationError
	return errors.As(err, &app) && (app.Type() == activities.ErrGatewayUnreachable || app.Type() == activities.ErrGatewayRefused)
}

// analyze compares candidate with production once; enough failures in a
// row roll the candidate back.
func (r *rolloutRun) analyze(ctx workflow.Context) (string, error) {
	var res activities.AnalyzeRolloutResult
	in := activities.AnalyzeRolloutInput{GatewayURL: r.d.GatewayURL, Model: r.in.Model, Mode: modeOf(r.d.Strategy), Criteria: r.d.Criteria}
	next, err := r.gatewayCall(ctx, fmt.Sprintf("analyse %s version %d against production", r.in.Model, r.in.Candidate), a.AnalyzeRollout, in, &res)
	if next != "" {
		return next, nil
	}
	if err != nil {
		return "", err
	}
	an := res.Analysis
	r.status.LastAnalysis, r.lastVerdict = &an, an.Verdict
	r.status.Analyses++
	switch an.Verdict {
	case rollout.VerdictFail:
		r.status.Failures++
		r.log(ctx, "analysis %d failed (%d of %d allowed): %s", r.status.Analyses, r.status.Failures, r.d.FailureLimit, an.Summary)
		if r.status.Failures >= r.d.FailureLimit {
			r.outcomeReason = fmt.Sprintf("%d failed analyses in a row: %s", r.status.Failures, an.Summary)
			return OutcomeRolledBack, nil
		}
	case rollout.VerdictPass:
		r.status.Failures = 0
		r.log(ctx, "analysis %d passed", r.status.Analyses)
	default:
		r.log(ctx, "analysis %d inconclusive: %s", r.status.Analyses, an.Summary)
	}
	return "", nil
}

func modeOf(strategy string) string {
	if strategy == spec.StrategyShadow {
		return routing.ModeShadow
	}
	return routing.ModeCanary
}

func (r *rolloutRun) activityOptions(summary string) workflow.ActivityOptions {
	return workflow.ActivityOptions{
		TaskQueue:           TaskQueueCPU,
		StartToCloseTimeout: time.Minute,
		Summary:             summary,
		RetryPolicy:         gatewayRetryPolicy(r.in.GatewayRetry.D()),
	}
}
