package activities

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/mlpipe/mlpipe/internal/registry"
	"github.com/mlpipe/mlpipe/internal/rollout"
	"github.com/mlpipe/mlpipe/internal/routing"
)

// SetRoutingInput is a traffic split to apply on the gateway.
type SetRoutingInput struct {
	GatewayURL string          `json:"gateway_url"`
	Routing    routing.Routing `json:"routing"`
}

// SetRoutingResult is the routing the gateway stored.
type SetRoutingResult struct {
	Routing routing.Routing `json:"routing"`
}

// AnalyzeRolloutInput asks for one comparison of candidate and production.
type AnalyzeRolloutInput struct {
	GatewayURL string           `json:"gateway_url"`
	Model      string           `json:"model"`
	Mode       string           `json:"mode"`
	Criteria   rollout.Criteria `json:"criteria"`
}

// AnalyzeRolloutResult is the verdict and the counters it was drawn from.
type AnalyzeRolloutResult struct {
	Analysis rollout.Analysis `json:"analysis"`
	Stats    routing.Stats    `json:"stats"`
}

// FinishRolloutInput ends a rollout: promote the candidate, or take it
// out of the traffic and record why.
type FinishRolloutInput struct {
	Model      string    `json:"model"`
	Version    int       `json:"version"`
	WorkflowID string    `json:"workflow_id"`
	GatewayURL string    `json:"gateway_url"`
	Reason     string    `json:"reason"`
	Approval   *Approval `json:"approval,omitempty"`
}

// FinishRolloutResult says what the registry and gateway now hold.
type FinishRolloutResult struct {
	Version int    `json:"version"`
	Alias   string `json:"alias,omitempty"`
}

func (a *Activities) gateway(url string) routing.Client {
	return routing.Client{BaseURL: url, Token: a.AdminToken, HTTP: a.HTTP}
}

// SetRouting applies a traffic split through the gateway's admin API.
func (a *Activities) SetRouting(ctx context.Context, in SetRoutingInput) (SetRoutingResult, error) {
	if err := in.Routing.Validate(); err != nil {
		return SetRoutingResult{}, invalid("%v", err)
	}
	r, err := a.gateway(in.GatewayURL).SetRouting(ctx, in.Routing)
	if err != nil {
		return SetRoutingResult{}, gatewayErr(err)
	}
	return SetRoutingResult{Routing: r}, nil
}

// AnalyzeRollout reads the gateway's per-variant counters since the
// routing changed and compares candidate with production.
func (a *Activities) AnalyzeRollout(ctx context.Context, in AnalyzeRolloutInput) (AnalyzeRolloutResult, error) {
	st, err := a.gateway(in.GatewayURL).Stats(ctx, in.Model)
	if err != nil {
		return AnalyzeRolloutResult{}, gatewayErr(err)
	}
	var an rollout.Analysis
	if in.Mode == routing.ModeShadow {
		an = rollout.AnalyzeShadow(st, in.Criteria)
	} else {
		an = rollout.AnalyzeCanary(st, in.Criteria)
	}
	return AnalyzeRolloutResult{Analysis: an, Stats: st}, nil
}

// PromoteCandidate makes the candidate the production version and sends
// all traffic to it: the registry moves first, then the routing is cleared,
// so at no moment does traffic go to a version that is not production or
// the candidate.
func (a *Activities) PromoteCandidate(ctx context.Context, in FinishRolloutInput) (FinishRolloutResult, error) {
	if in.Approval != nil {
		if _, err := a.Registry.RecordApproval(ctx, in.Model, in.Version, registryApproval(*in.Approval)); err != nil {
			return FinishRolloutResult{}, fmt.Errorf("record approval of %s version %d: %w", in.Model, in.Version, err)
		}
	}
	aliases, err := a.Registry.Aliases(ctx, in.Model)
	if err != nil {
		return FinishRolloutResult{}, err
	}
	if aliases[registry.AliasProduction] != in.Version {
		if err := a.Registry.Promote(ctx, in.Model, in.Version, registry.Workflow(in.WorkflowID), registry.Reason(in.Reason)); err != nil {
			return FinishRolloutResult{}, fmt.Errorf("promote %s version %d: %w", in.Model, in.Version, err)
		}
	}
	gw := a.gateway(in.GatewayURL)
	if err := gw.Reload(ctx); err != nil {
		return FinishRolloutResult{}, gatewayErr(err)
	}
	if _, err := gw.SetRouting(ctx, routing.Routing{Model: in.Model, Reason: "promoted: " + in.Reason}); err != nil {
		return FinishRolloutResult{}, gatewayErr(err)
	}
	activity.GetLogger(ctx).Info("candidate promoted", "model", in.Model, "version", in.Version)
	return FinishRolloutResult{Version: in.Version, Alias: registry.AliasProduction}, nil
}

// RollbackCandidate takes the candidate out of the traffic at once, then
// records on the version why it was refused and moves the candidate alias
// off it. Production never changed, so nothing else needs undoing.
func (a *Activities) RollbackCandidate(ctx context.Context, in FinishRolloutInput) (FinishRolloutResult, error) {
	if _, err := a.gateway(in.GatewayURL).SetRouting(ctx, routing.Routing{Model: in.Model, Reason: "rolled back: " + in.Reason}); err != nil {
		return FinishRolloutResult{}, gatewayErr(err)
	}
	ap := Approval{Decision: registry.DecisionRejected, Approver: "rollout", Comment: in.Reason, At: time.Now().UTC(), Via: "rollout"}
	if in.Approval != nil {
		ap.Comment = fmt.Sprintf("approved by %s, then %s", in.Approval.Approver, in.Reason)
	}
	rej := RejectCandidateInput{Model: in.Model, Version: in.Version, Approval: ap}
	if _, err := a.rejectCandidate(ctx, rej); err != nil {
		return FinishRolloutResult{}, err
	}
	return FinishRolloutResult{Version: in.Version}, nil
}

// gatewayErr makes a 4xx answer (bad routing, unknown version, bad token)
// non-retryable; network errors and 5xx are retried.
func gatewayErr(err error) error {
	if se, ok := err.(*routing.StatusError); ok && se.Code/100 == 4 {
		return invalid("gateway refused: %v", err)
	}
	return err
}
