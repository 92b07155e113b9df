package activities

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

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
	// NeverRouted says the gateway acknowledged no split of this rollout,
	// so its routing cannot hold the candidate: RollbackCandidate still
	// clears it (a request cut short may have landed) but does not fail
	// when the gateway cannot be reached.
	NeverRouted bool `json:"never_routed,omitempty"`
}

// FinishRolloutResult says what the registry and gateway now hold.
type FinishRolloutResult struct {
	Version int    `json:"version"`
	Alias   string `json:"alias,omitempty"`
	// GatewayNotTold is why the gateway could not be told (NeverRouted
	// only); empty when it acknowledged the change.
	GatewayNotTold string `json:"gateway_not_told,omitempty"`
}

// Failure types of gateway calls.
const (
	// ErrGatewayRefused: the gateway answered 4xx (a wrong admin token, a
	// URL that is not an mlpipe gateway, a routing it cannot serve).
	// Retrying cannot help.
	ErrGatewayRefused = "GatewayRefused"
	// ErrGatewayUnreachable: no answer, or a 5xx. Retried, within the
	// rollout's bound.
	ErrGatewayUnreachable = "GatewayUnreachable"
)

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
		return SetRoutingResult{}, gatewayErr(in.GatewayURL, in.Routing.Model, err)
	}
	return SetRoutingResult{Routing: r}, nil
}

// AnalyzeRollout reads the gateway's per-variant counters since the
// routing changed and compares candidate with production.
func (a *Activities) AnalyzeRollout(ctx context.Context, in AnalyzeRolloutInput) (AnalyzeRolloutResult, error) {
	st, err := a.gateway(in.GatewayURL).Stats(ctx, in.Model)
	if err != nil {
		return AnalyzeRolloutResult{}, gatewayErr(in.GatewayURL, in.Model, err)
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
			return FinishRolloutResult{}, registryErr(err, "record the approval of %s version %d", in.Model, in.Version)
		}
	}
	aliases, err := a.Registry.Aliases(ctx, in.Model)
	if err != nil {
		return FinishRolloutResult{}, registryErr(err, "read the aliases of %s", in.Model)
	}
	if aliases[registry.AliasProduction] != in.Version {
		if err := a.Registry.Promote(ctx, in.Model, in.Version, registry.Workflow(in.WorkflowID), registry.Reason(in.Reason)); err != nil {
			return FinishRolloutResult{}, registryErr(err, "promote %s version %d", in.Model, in.Version)
		}
	}
	gw := a.gateway(in.GatewayURL)
	if err := gw.Reload(ctx); err != nil {
		return FinishRolloutResult{}, gatewayErr(in.GatewayURL, in.Model, err)
	}
	if _, err := gw.SetRouting(ctx, routing.Routing{Model: in.Model, Reason: "promoted: " + in.Reason}); err != nil {
		return FinishRolloutResult{}, gatewayErr(in.GatewayURL, in.Model, err)
	}
	if err := a.ensureMonitor(ctx, in.Model, in.GatewayURL); err != nil {
		return FinishRolloutResult{}, err
	}
	activity.GetLogger(ctx).Info("candidate promoted", "model", in.Model, "version", in.Version)
	return FinishRolloutResult{Version: in.Version, Alias: registry.AliasProduction}, nil
}

// RollbackCandidate records on the version why it was refused and moves
// the candidate alias off it, then takes it out of the gateway's traffic.
// Production never changed, so nothing else needs undoing. The registry
// goes first: it is what a restarted gateway serves from, and it must say
// the candidate is refused even when the gateway cannot be told.
func (a *Activities) RollbackCandidate(ctx context.Context, in FinishRolloutInput) (FinishRolloutResult, error) {
	ap := Approval{Decision: registry.DecisionRejected, Approver: "rollout", Comment: in.Reason, At: time.Now().UTC(), Via: "rollout"}
	if in.Approval != nil {
		ap.Comment = fmt.Sprintf("approved by %s, then %s", in.Approval.Approver, in.Reason)
	}
	rej := RejectCandidateInput{Model: in.Model, Version: in.Version, Approval: ap}
	if _, err := a.rejectCandidate(ctx, rej); err != nil {
		return FinishRolloutResult{}, err
	}
	res := FinishRolloutResult{Version: in.Version}
	if _, err := a.gateway(in.GatewayURL).SetRouting(ctx, routing.Routing{Model: in.Model, Reason: "rolled back: " + in.Reason}); err != nil {
		err = gatewayErr(in.GatewayURL, in.Model, err)
		if !in.NeverRouted {
			return FinishRolloutResult{}, err
		}
		// The gateway never acknowledged a split, so it serves production
		// only: waiting for it would hold the rollout open for nothing.
		res.GatewayNotTold = failureText(err)
		activity.GetLogger(ctx).Warn("gateway not told of the rollback; it never routed to the candidate", "gateway", in.GatewayURL, "error", err)
	}
	return res, nil
}

// gatewayErr says what a failed gateway call means for the rollout. A 4xx
// is non-retryable and names what to fix (the admin token, the URL); no
// answer or a 5xx is retried within the rollout's bound.
func gatewayErr(base, model string, err error) error {
	var se *routing.StatusError
	if errors.As(err, &se) {
		switch {
		case se.Code == http.StatusUnauthorized || se.Code == http.StatusForbidden:
			return temporal.NewNonRetryableApplicationError(fmt.Sprintf(
				"gateway at %s refused the admin token (%d %s): set MLPIPE_ADMIN_TOKEN on the workers to the token the gateway runs with",
				base, se.Code, http.StatusText(se.Code)), ErrGatewayRefused, nil)
		case se.Code == http.StatusNotFound:
			return temporal.NewNonRetryableApplicationError(fmt.Sprintf(
				"gateway at %s answered 404 Not Found to %s %s (%s): check that deployment.gateway_url names the mlpipe gateway (mlpipe serve) and that it serves %s",
				base, se.Method, se.URL, se.Body, model), ErrGatewayRefused, nil)
		case se.Code == http.StatusRequestTimeout || se.Code == http.StatusTooManyRequests:
			return temporal.NewApplicationError(fmt.Sprintf("gateway at %s is busy: %v", base, err), ErrGatewayUnreachable)
		case se.Code/100 == 4:
			return temporal.NewNonRetryableApplicationError(fmt.Sprintf("gateway at %s refused: %v", base, err), ErrGatewayRefused, nil)
		}
		return temporal.NewApplicationError(fmt.Sprintf("gateway at %s failed: %v", base, err), ErrGatewayUnreachable)
	}
	if errors.Is(err, context.Canceled) {
		return err
	}
	return temporal.NewApplicationError(fmt.Sprintf(
		"gateway at %s unreachable: %v; check deployment.gateway_url and that the gateway (mlpipe serve) runs there", base, err), ErrGatewayUnreachable)
}

// failureText is an error's message without the SDK's decoration.
func failureText(err error) string {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return app.Message()
	}
	return strings.TrimSpace(err.Error())
}
