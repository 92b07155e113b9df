package workflows

import (
	"fmt"
	enumspb "go.temporal.io/api/enums/v1"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/mlpipe/mlpipe/activities"
	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/spec"
)

// Decisions.
const (
	DecisionApproved = "approved"
	DecisionRejected = "rejected"
)

// ApproverTimeout is who the registry records as refusing a candidate
// nobody decided on before approval.timeout.
const ApproverTimeout = "approval timeout"

// deploy is the seed's gated model_deployment: the evaluation threshold must
// hold, then a person approves (unless the spec says approval.required:
// false), then the version is registered and promoted to production.
func (p *pipeline) deploy(ctx workflow.Context, st spec.Stage) error {
	m, ok := p.input(st, func(o output) bool { return o.model != nil })
	if !ok {
		return missing(st, "trained model")
	}
	ev, ok := p.input(st, func(o output) bool { return o.evaluation != nil })
	if !ok {
		return missing(st, "evaluation report")
	}
	scores, champ := ev.evaluation.Scores()
	var th []spec.Threshold
	if p.recorded {
		if err := workflow.ExecuteLocalActivity(localCtx(ctx), activities.CheckGate,
			activities.CheckGateInput{Spec: p.in, Candidate: scores, Champion: champ}).Get(ctx, &th); err != nil {
			return err
		}
	} else {
		// CheckGate visits metrics in sorted order: deterministic.
		//workflowcheck:ignore
		th = p.in.CheckGate(scores, champ)
	}
	p.status.Gate.Thresholds, p.result.Thresholds = th, th
	var failed []string
	for _, t := range th {
		if !t.Passed {
			failed = append(failed, fmt.Sprintf("%s (got %.4f, %s)", t.Rule, t.Actual, t.Detail))
		}
	}
	if len(failed) > 0 {
		p.result.Outcome = OutcomeGateFailed
		p.result.Reason = "gate rules not met: " + strings.Join(failed, "; ")
		return errNotPromoted
	}

	// A model that passed the rules is registered as the candidate, so the
	// registry records the decision whatever it is.
	var cand activities.RegisterCandidateResult
	rctx := p.activityCtx(ctx, st, TaskQueueCPU, 5*time.Minute, 0, "register "+p.in.Model+" as the candidate")
	if err := workflow.ExecuteActivity(rctx, a.RegisterCandidate, activities.RegisterCandidateInput{
		Model: p.in.Model, WorkflowID: p.id, Trained: *m.model, Evaluation: *ev.evaluation,
		Reference: p.reference(), Target: p.in.Data.Target, Spec: &p.in,
	}).Get(ctx, &cand); err != nil {
		return err
	}
	p.result.Version = cand.Version

	approval := activities.Approval{Decision: DecisionApproved, Approver: "evaluation_threshold", At: workflow.Now(ctx), Via: "gate"}
	if p.in.Approval.IsRequired() {
		d, err := p.awaitDecision(ctx, st)
		if err != nil {
			return err
		}
		if d == nil {
			p.result.Outcome = OutcomeApprovalTimeout
			p.result.Reason = fmt.Sprintf("nobody approved within %s", p.in.Approval.Timeout)
			d = &activities.Approval{Decision: DecisionRejected, Approver: ApproverTimeout, Comment: p.result.Reason, At: workflow.Now(ctx), Via: "timeout"}
		} else if d.Decision == DecisionRejected {
			p.result.Outcome = OutcomeRejected
			p.result.Reason = fmt.Sprintf("rejected by %s: %s", d.Approver, d.Comment)
		}
		p.result.Approval = d
		if d.Decision == DecisionRejected {
			rej := activities.RejectCandidateInput{Model: p.in.Model, Version: cand.Version, Approval: *d}
			jctx := p.activityCtx(ctx, st, TaskQueueCPU, 5*time.Minute, 0, "record the refusal on the candidate")
			if err := workflow.ExecuteActivity(jctx, a.RejectCandidate, rej).Get(ctx, nil); err != nil {
				return err
			}
			return errNotPromoted
		}
		approval = *d
	}
	p.result.Approval = &approval
	if p.in.Deployment.Strategy != spec.StrategyDirect {
		if ev.evaluation.Champion != nil {
			return p.rollout(ctx, st, cand.Version, approval)
		}
		// A first version has no production to compare a canary or
		// shadow with: it is promoted directly.
		p.setState(ctx, st.Name, StateRunning, fmt.Sprintf("first version of %s: no production model to run a %s against; promoting directly", p.in.Model, p.in.Deployment.Strategy))
	}
	p.setState(ctx, st.Name, StateRunning, "approved by "+approval.Approver+"; promoting")

	in := activities.DeployModelInput{
		Model: p.in.Model, Version: cand.Version, WorkflowID: p.id, Trained: *m.model, Evaluation: *ev.evaluation,
		Approval: approval, GatewayURL: p.in.Deployment.GatewayURL,
		Reference: p.reference(), Target: p.in.Data.Target, Spec: &p.in,
	}
	var res activities.DeployModelResult
	actx := p.activityCtx(ctx, st, TaskQueueCPU, 5*time.Minute, 0, "register "+p.in.Model+" and promote to production")
	if err := workflow.ExecuteActivity(actx, a.DeployModel, in).Get(ctx, &res); err != nil {
		return err
	}
	p.result.Version = res.Version
	p.finish(st.Name, res.Attempt, []artifact.Ref{m.model.Bundle}, nil,
		fmt.Sprintf("%s version %d is %s (approved by %s)", p.in.Model, res.Version, res.Alias, approval.Approver))
	p.produce(st, output{deployed: &res})
	return nil
}

// rollout hands the approved candidate to a CanaryRollout or ShadowRollout
// child and waits for it: a day or two of live comparison.
func (p *pipeline) rollout(ctx workflow.Context, st spec.Stage, version int, approval activities.Approval) error {
	name := CanaryRolloutName
	if p.in.Deployment.Strategy == spec.StrategyShadow {
		name = ShadowRolloutName
	}
	childID := RolloutID(p.id, p.in.Deployment.Strategy)
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:    childID,
		TaskQueue:     TaskQueueCPU,
		StaticSummary: fmt.Sprintf("%s rollout of %s version %d", p.in.Deployment.Strategy, p.in.Model, version),
		// Cancelling the pipeline asks the rollout to take the candidate
		// out of the traffic rather than killing it mid-split.
		ParentClosePolicy: enumspb.PARENT_CLOSE_POLICY_REQUEST_CANCEL,
	})
	p.setState(ctx, st.Name, StateRunning, fmt.Sprintf("approved by %s; %s rollout running in workflow %s", approval.Approver, p.in.Deployment.Strategy, childID))
	p.upsertStage(ctx, p.in.Deployment.Strategy)
	in := RolloutInput{Model: p.in.Model, Candidate: version, ParentWorkflowID: p.id, Deployment: p.in.Deployment,
		Approval: &approval, Approvers: p.in.Approval.Approvers, DecisionTimeout: p.in.Approval.Timeout,
		ContinueAsNewAt: p.in.Deployment.ContinueAsNewAt}
	var res RolloutResult
	child := workflow.ExecuteChildWorkflow(cctx, name, in)
	if err := child.Get(ctx, &res); err != nil {
		return p.compensate(ctx, st, child, childID, version, approval, err)
	}
	p.result.Rollout = &res
	if res.Outcome != OutcomePromoted {
		p.result.Outcome, p.result.Reason = res.Outcome, res.Reason
		return errNotPromoted
	}
	p.finish(st.Name, 0, nil, nil, fmt.Sprintf("%s version %d is production after the %s rollout (%d analyses)", p.in.Model, version, p.in.Deployment.Strategy, res.Analyses))
	return nil
}

// awaitDecision opens the gate and waits for approve-promotion or
// reject-promotion. It returns nil when the approval timeout passes.
func (p *pipeline) awaitDecision(ctx workflow.Context, st spec.Stage) (*activities.Approval, error) {
	timeout := p.in.Approval.Timeout.D()
	deadline := workflow.Now(ctx).Add(timeout)
	p.status.Gate.Open, p.status.Gate.Deadline = true, &deadline
	p.status.State = StateWaiting
	who := "anyone"
	if len(p.in.Approval.Approvers) > 0 {
		who = strings.Join(p.in.Approval.Approvers, ", ")
	}
	p.setState(ctx, st.Name, StateWaiting, fmt.Sprintf("waiting for %s or %s from %s until %s",
		SignalApprove, SignalReject, who, deadline.UTC().Format(time.RFC3339)))
	p.upsertStage(ctx, StateWaiting)
	ok, err := workflow.AwaitWithOptions(ctx, workflow.AwaitOptions{
		Timeout:      timeout,
		TimerOptions: workflow.TimerOptions{Summary: fmt.Sprintf("approval gate: waiting for %s from %s (times out after %s)", SignalApprove, who, p.in.Approval.Timeout)},
	}, func() bool { return p.decision != nil })
	p.status.Gate.Open = false
	p.status.State = StateRunning
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, nil
	}
	p.status.Gate.Decision = p.decision
	return p.decision, nil
}
