package activities

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/mlpipe/mlpipe/internal/registry"
)

// RegisterCandidate registers a model that passed the threshold gate, with
// its lineage (workflow, data digest, parameters, metrics, report), and
// points the candidate alias at it while a person decides. A retried
// attempt finds the version it registered before (same workflow, same
// model digest) instead of registering it twice.
func (a *Activities) RegisterCandidate(ctx context.Context, in RegisterCandidateInput) (RegisterCandidateResult, error) {
	attempt := activity.GetInfo(ctx).Attempt
	v, found, err := a.findVersion(ctx, in.Model, in.WorkflowID, in.Trained)
	if err != nil {
		return RegisterCandidateResult{}, err
	}
	if !found {
		v, err = a.Registry.RegisterCandidate(ctx, a.newVersion(in.Model, in.WorkflowID, in.Trained, in.Evaluation),
			registry.Workflow(in.WorkflowID), registry.Reason("passed the evaluation threshold; awaiting approval"))
		if err != nil {
			return RegisterCandidateResult{}, fmt.Errorf("register %s: %w", in.Model, err)
		}
	}
	return RegisterCandidateResult{Version: v.Version, Attempt: attempt}, nil
}

// RejectCandidate records a refused promotion (rejected, or timed out) on
// the version, so the registry keeps who said no, when and why, and moves
// the candidate alias off it.
func (a *Activities) RejectCandidate(ctx context.Context, in RejectCandidateInput) (RejectCandidateResult, error) {
	res, err := a.rejectCandidate(ctx, in)
	res.Attempt = activity.GetInfo(ctx).Attempt
	return res, err
}

func (a *Activities) rejectCandidate(ctx context.Context, in RejectCandidateInput) (RejectCandidateResult, error) {
	if _, err := a.Registry.RecordApproval(ctx, in.Model, in.Version, registryApproval(in.Approval)); err != nil {
		return RejectCandidateResult{}, fmt.Errorf("record rejection of %s version %d: %w", in.Model, in.Version, err)
	}
	aliases, err := a.Registry.Aliases(ctx, in.Model)
	if err != nil {
		return RejectCandidateResult{}, err
	}
	if aliases[registry.AliasCandidate] == in.Version {
		if err := a.Registry.DeleteAlias(ctx, in.Model, registry.AliasCandidate,
			registry.Actor(in.Approval.Approver), registry.Reason("promotion "+in.Approval.Decision)); err != nil {
			return RejectCandidateResult{}, err
		}
	}
	return RejectCandidateResult{}, nil
}

// DeployModel records the approval on the candidate version, makes it the
// production alias (the old production becomes previous) and tells the
// gateway to reload.
func (a *Activities) DeployModel(ctx context.Context, in DeployModelInput) (DeployModelResult, error) {
	attempt := activity.GetInfo(ctx).Attempt
	version := in.Version
	if version == 0 {
		v, found, err := a.findVersion(ctx, in.Model, in.WorkflowID, in.Trained)
		if err != nil {
			return DeployModelResult{}, err
		}
		if !found {
			if v, err = a.Registry.Register(ctx, a.newVersion(in.Model, in.WorkflowID, in.Trained, in.Evaluation)); err != nil {
				return DeployModelResult{}, fmt.Errorf("register %s: %w", in.Model, err)
			}
		}
		version = v.Version
	}
	if _, err := a.Registry.RecordApproval(ctx, in.Model, version, registryApproval(in.Approval)); err != nil {
		return DeployModelResult{}, fmt.Errorf("record approval of %s version %d: %w", in.Model, version, err)
	}
	aliases, err := a.Registry.Aliases(ctx, in.Model)
	if err != nil {
		return DeployModelResult{}, err
	}
	if aliases[registry.AliasProduction] != version {
		err := a.Registry.Promote(ctx, in.Model, version, registry.Actor(in.Approval.Approver),
			registry.Workflow(in.WorkflowID), registry.Reason(in.Approval.Comment))
		if err != nil {
			return DeployModelResult{}, fmt.Errorf("promote %s version %d: %w", in.Model, version, err)
		}
	}
	res := DeployModelResult{Version: version, Alias: registry.AliasProduction, Attempt: attempt}
	if in.GatewayURL != "" {
		if err := a.gateway(in.GatewayURL).Reload(ctx); err != nil {
			// The gateway polls the registry too; a missed reload only delays it.
			activity.GetLogger(ctx).Warn("gateway reload failed; it will pick the version up when it next polls", "gateway", in.GatewayURL, "error", err)
		} else {
			res.Reloaded = true
		}
	}
	return res, nil
}

func (a *Activities) newVersion(model, workflowID string, t TrainedModel, ev Evaluation) registry.Version {
	params := map[string]any{}
	if b, err := json.Marshal(t.Config); err == nil {
		_ = json.Unmarshal(b, &params)
	}
	return registry.Version{
		Name: model, ModelURI: t.Bundle.URI, Model: t.Bundle, Metrics: ev.Metrics, Params: params,
		DataDigest: t.Features.DataDigest, WorkflowID: workflowID, ReportURI: ev.HTML.URI,
		CreatedAt: time.Now().UTC(),
	}
}

func registryApproval(ap Approval) registry.Approval {
	return registry.Approval{Approver: ap.Approver, Comment: ap.Comment, Decision: ap.Decision, At: ap.At}
}

func (a *Activities) findVersion(ctx context.Context, model, workflowID string, t TrainedModel) (registry.Version, bool, error) {
	vs, err := a.Registry.List(ctx, model)
	if err != nil {
		return registry.Version{}, false, fmt.Errorf("list versions of %s: %w", model, err)
	}
	for _, v := range vs {
		if v.WorkflowID == workflowID && v.Model.SHA256 == t.Bundle.SHA256 {
			return v, true, nil
		}
	}
	return registry.Version{}, false, nil
}
