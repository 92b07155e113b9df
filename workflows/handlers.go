package workflows

import (
	"fmt"
	"strings"

	"go.temporal.io/sdk/workflow"

	"github.com/mlpipe/mlpipe/activities"
)

// setup registers the status query, the approve/reject Updates (validated:
// a refusal reaches the caller at once) and the signals of the same names
// for `temporal workflow signal` users.
func (p *pipeline) setup(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QueryStatus, func() (PipelineStatus, error) {
		return p.status, nil
	}); err != nil {
		return err
	}
	for _, kind := range []string{DecisionApproved, DecisionRejected} {
		name := decisionName(kind)
		err := workflow.SetUpdateHandlerWithOptions(ctx, name,
			func(ctx workflow.Context, d Decision) (activities.Approval, error) {
				return p.decide(ctx, kind, d, "update"), nil
			},
			workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, d Decision) error {
				return p.checkDecision(d)
			}})
		if err != nil {
			return err
		}
	}
	approve := workflow.GetSignalChannel(ctx, SignalApprove)
	reject := workflow.GetSignalChannel(ctx, SignalReject)
	workflow.Go(ctx, func(ctx workflow.Context) {
		sel := workflow.NewSelector(ctx)
		for _, c := range []struct {
			ch   workflow.ReceiveChannel
			kind string
		}{{approve, DecisionApproved}, {reject, DecisionRejected}} {
			sel.AddReceive(c.ch, func(ch workflow.ReceiveChannel, _ bool) {
				var d Decision
				ch.Receive(ctx, &d)
				if err := p.checkDecision(d); err != nil {
					p.status.Gate.Ignored = append(p.status.Gate.Ignored, fmt.Sprintf("%s signal ignored: %v", c.kind, err))
					workflow.GetLogger(ctx).Warn("promotion signal ignored", "decision", c.kind, "error", err)
					return
				}
				p.decide(ctx, c.kind, d, "signal")
			})
		}
		for {
			sel.Select(ctx)
		}
	})
	return nil
}

// checkDecision refuses a decision that cannot count, saying why.
func (p *pipeline) checkDecision(d Decision) error {
	switch {
	case strings.TrimSpace(d.Approver) == "":
		return fmt.Errorf(`approver is required: send {"approver": "NAME", "comment": "..."}`)
	case !p.in.Approval.MayApprove(d.Approver):
		return fmt.Errorf("%s is not an approver of this pipeline; approvers: %s", d.Approver, strings.Join(p.in.Approval.Approvers, ", "))
	case p.decision != nil:
		return fmt.Errorf("the promotion was already %s by %s", p.decision.Decision, p.decision.Approver)
	case !p.status.Gate.Open:
		return fmt.Errorf("the promotion gate is not open: it opens once the evaluation threshold holds (pipeline state: %s)", p.status.State)
	}
	return nil
}

func (p *pipeline) decide(ctx workflow.Context, kind string, d Decision, via string) activities.Approval {
	ap := activities.Approval{Decision: kind, Approver: d.Approver, Comment: d.Comment, At: workflow.Now(ctx), Via: via}
	p.decision = &ap
	return ap
}

// decisionName is the signal and Update name that carries a decision.
func decisionName(kind string) string {
	if kind == DecisionRejected {
		return SignalReject
	}
	return SignalApprove
}
