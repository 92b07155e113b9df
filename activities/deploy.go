package activities

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/mlpipe/mlpipe/internal/registry"
)

// DeployModel registers an approved model version with its lineage and
// approval, makes it the production alias, and tells the gateway to
// reload. A retried attempt finds the version it registered before
// (same workflow, same model digest) instead of registering it twice.
func (a *Activities) DeployModel(ctx context.Context, in DeployModelInput) (DeployModelResult, error) {
	attempt := activity.GetInfo(ctx).Attempt
	v, found, err := a.findVersion(ctx, in)
	if err != nil {
		return DeployModelResult{}, err
	}
	if !found {
		params := map[string]any{}
		if b, err := json.Marshal(in.Trained.Config); err == nil {
			_ = json.Unmarshal(b, &params)
		}
		v, err = a.Registry.Register(ctx, registry.Version{
			Name: in.Model, ModelURI: in.Trained.Bundle.URI, Model: in.Trained.Bundle,
			Metrics: in.Evaluation.Metrics, Params: params, DataDigest: in.Trained.Features.DataDigest,
			WorkflowID: in.WorkflowID, CreatedAt: time.Now().UTC(),
			Approval: &registry.Approval{Approver: in.Approval.Approver, Comment: in.Approval.Comment, Decision: in.Approval.Decision, At: in.Approval.At},
		})
		if err != nil {
			return DeployModelResult{}, fmt.Errorf("register %s: %w", in.Model, err)
		}
	}
	if err := a.Registry.Promote(ctx, in.Model, v.Version); err != nil {
		return DeployModelResult{}, fmt.Errorf("promote %s version %d: %w", in.Model, v.Version, err)
	}
	res := DeployModelResult{Version: v.Version, Alias: registry.AliasProduction, Attempt: attempt}
	if in.GatewayURL != "" {
		if err := a.reloadGateway(ctx, in.GatewayURL); err != nil {
			// The gateway polls the registry too; a missed reload only delays it.
			activity.GetLogger(ctx).Warn("gateway reload failed; it will pick the version up when it next polls", "gateway", in.GatewayURL, "error", err)
		} else {
			res.Reloaded = true
		}
	}
	return res, nil
}

func (a *Activities) findVersion(ctx context.Context, in DeployModelInput) (registry.Version, bool, error) {
	vs, err := a.Registry.List(ctx, in.Model)
	if err != nil {
		return registry.Version{}, false, fmt.Errorf("list versions of %s: %w", in.Model, err)
	}
	for _, v := range vs {
		if v.WorkflowID == in.WorkflowID && v.Model.SHA256 == in.Trained.Bundle.SHA256 {
			return v, true, nil
		}
	}
	return registry.Version{}, false, nil
}

func (a *Activities) reloadGateway(ctx context.Context, base string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(base, "/")+"/admin/reload", nil)
	if err != nil {
		return err
	}
	if tok := os.Getenv("MLPIPE_ADMIN_TOKEN"); tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	hc := a.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("POST %s/admin/reload: %s", base, resp.Status)
	}
	return nil
}
