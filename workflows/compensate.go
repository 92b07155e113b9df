package workflows

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/mlpipe/mlpipe/activities"
	"github.com/mlpipe/mlpipe/internal/spec"
)

// versionCompensatesRollout marks pipelines that take the candidate out of
// the traffic themselves when their rollout child ends without concluding
// (terminated, timed out or failed), so the gateway never keeps a split
// nobody owns. Earlier histories replay without it.
const versionCompensatesRollout = "pipeline-compensates-rollout"

// compensate answers a rollout child that ended without concluding. Its own
// clean-up never ran (a termination, by a person or a server limit, runs no
// workflow code), so the pipeline rolls the candidate back with the
// rollout's own RollbackCandidate. A cancellation is left to the child,
// which rolls back on its own (ParentClosePolicy REQUEST_CANCEL), and a
// child that never started routed nothing: neither is rolled back twice.
func (p *pipeline) compensate(ctx workflow.Context, st spec.Stage, child workflow.ChildWorkflowFuture, childID string, version int, approval activities.Approval, cause error) error {
	if temporal.IsCanceledError(cause) || ctx.Err() != nil {
		return cause
	}
	if err := child.GetChildWorkflowExecution().Get(ctx, nil); err != nil {
		return cause
	}
	if workflow.GetVersion(ctx, versionCompensatesRollout, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return cause
	}
	d := p.in.Deployment
	what := fmt.Sprintf("the %s rollout of %s version %d (workflow %s) %s", d.Strategy, p.in.Model, version, childID, rolloutEnding(cause))
	routingURL := fmt.Sprintf("%s/admin/models/%s/routing", strings.TrimRight(d.GatewayURL, "/"), p.in.Model)
	if promoting(cause) {
		// The registry may already hold the candidate as production: taking
		// it out of the traffic would contradict it. A person decides.
		return temporal.NewNonRetryableApplicationError(fmt.Sprintf(
			"%s while promoting it, so the pipeline did not roll it back: check `mlpipe models ls %s` and the gateway's routing (%s) and promote or roll back by hand",
			what, p.in.Model, routingURL), ErrRolloutNotRolledBack, nil)
	}
	workflow.GetLogger(ctx).Warn("rollout ended without concluding; rolling the candidate back", "rollout", childID, "error", cause)
	p.setState(ctx, st.Name, StateRunning, fmt.Sprintf("%s; taking version %d out of the traffic", what, version))
	p.result.Rollout = &RolloutResult{WorkflowID: childID, Model: p.in.Model, Candidate: version, Outcome: OutcomeRolledBack}
	in := activities.FinishRolloutInput{Model: p.in.Model, Version: version, WorkflowID: p.id, GatewayURL: d.GatewayURL,
		Reason: what + "; rolled back by pipeline " + p.id, Approval: &approval}
	// A cancellation arriving now must not stop the rollback half-way.
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	actx := workflow.WithActivityOptions(dctx, workflow.ActivityOptions{
		TaskQueue:           TaskQueueCPU,
		StartToCloseTimeout: time.Minute,
		Summary:             fmt.Sprintf("take version %d out of the traffic: its rollout ended without concluding", version),
		RetryPolicy:         gatewayRetryPolicy(DefaultGatewayRetry.D()),
	})
	var res activities.FinishRolloutResult
	if err := workflow.ExecuteActivity(actx, a.RollbackCandidate, in).Get(dctx, &res); err != nil {
		return temporal.NewNonRetryableApplicationError(fmt.Sprintf(
			"%s; rolling version %d back failed: %s; the gateway may still route traffic to it: PUT {\"mode\": \"none\"} to %s once it answers",
			what, version, failureMessage(err), routingURL), ErrRolloutNotRolledBack, nil)
	}
	p.result.Outcome = OutcomeRolledBack
	served := "sends it no traffic"
	if d.Strategy == spec.StrategyShadow {
		served = "mirrors no traffic to it"
	}
	p.result.Reason = fmt.Sprintf("%s; the pipeline rolled version %d back: the gateway %s and production is unchanged", what, version, served)
	p.result.Rollout.Reason = p.result.Reason
	return errNotPromoted
}

// rolloutEnding says how a rollout child ended, as a person reads it.
func rolloutEnding(err error) string {
	var timeout *temporal.TimeoutError
	switch {
	case temporal.IsTerminatedError(err):
		return "was terminated before it concluded"
	case errors.As(err, &timeout):
		return "timed out before it concluded"
	}
	var child *temporal.ChildWorkflowExecutionError
	if errors.As(err, &child) && errors.Unwrap(child) != nil {
		err = errors.Unwrap(child)
	}
	return "failed before it concluded: " + failureMessage(err)
}

// promoting reports whether a rollout failed in its promotion, after which
// the registry may already say the candidate is production.
func promoting(err error) bool {
	var act *temporal.ActivityError
	return errors.As(err, &act) && act.ActivityType().GetName() == promoteActivity
}

// promoteActivity is the name a.PromoteCandidate runs under: activities
// are registered under their method names.
const promoteActivity = "PromoteCandidate"
