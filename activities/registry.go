package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

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
	opts := []registry.ChangeOption{registry.Workflow(in.WorkflowID), registry.Reason("passed the evaluation threshold; awaiting approval")}
	if !found {
		nv, err := a.newVersion(in.Model, in.WorkflowID, in.Trained, in.Evaluation)
		if err != nil {
			return RegisterCandidateResult{}, err
		}
		nv = withReference(nv, in.Reference, in.Target, in.Trained)
		if nv, err = a.withSpec(ctx, nv, in.Spec, in.WorkflowID); err != nil {
			return RegisterCandidateResult{}, err
		}
		v, err = a.Registry.RegisterCandidate(ctx, nv, opts...)
		if err != nil {
			return RegisterCandidateResult{}, registryErr(err, "register %s as the candidate", in.Model)
		}
	} else if err := a.Registry.SetAlias(ctx, in.Model, registry.AliasCandidate, v.Version, opts...); err != nil {
		// An earlier attempt registered the version but did not get to
		// the alias; pointing it where it already points records nothing.
		return RegisterCandidateResult{}, registryErr(err, "make %s version %d the candidate", in.Model, v.Version)
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
		return RejectCandidateResult{}, registryErr(err, "record the rejection of %s version %d", in.Model, in.Version)
	}
	aliases, err := a.Registry.Aliases(ctx, in.Model)
	if err != nil {
		return RejectCandidateResult{}, registryErr(err, "read the aliases of %s", in.Model)
	}
	if aliases[registry.AliasCandidate] == in.Version {
		reason := "promotion " + in.Approval.Decision
		if in.Approval.Comment != "" {
			reason += ": " + in.Approval.Comment
		}
		if err := a.Registry.DeleteAlias(ctx, in.Model, registry.AliasCandidate,
			registry.Actor(in.Approval.Approver), registry.Reason(reason)); err != nil {
			return RejectCandidateResult{}, registryErr(err, "move the candidate alias of %s off version %d", in.Model, in.Version)
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
			nv, err := a.newVersion(in.Model, in.WorkflowID, in.Trained, in.Evaluation)
			if err != nil {
				return DeployModelResult{}, err
			}
			nv = withReference(nv, in.Reference, in.Target, in.Trained)
			if nv, err = a.withSpec(ctx, nv, in.Spec, in.WorkflowID); err != nil {
				return DeployModelResult{}, err
			}
			if v, err = a.Registry.Register(ctx, nv); err != nil {
				return DeployModelResult{}, registryErr(err, "register %s", in.Model)
			}
		}
		version = v.Version
	}
	if _, err := a.Registry.RecordApproval(ctx, in.Model, version, registryApproval(in.Approval)); err != nil {
		return DeployModelResult{}, registryErr(err, "record the approval of %s version %d", in.Model, version)
	}
	aliases, err := a.Registry.Aliases(ctx, in.Model)
	if err != nil {
		return DeployModelResult{}, registryErr(err, "read the aliases of %s", in.Model)
	}
	if aliases[registry.AliasProduction] != version {
		err := a.Registry.Promote(ctx, in.Model, version, registry.Actor(in.Approval.Approver),
			registry.Workflow(in.WorkflowID), registry.Reason(in.Approval.Comment))
		if err != nil {
			return DeployModelResult{}, registryErr(err, "promote %s version %d", in.Model, version)
		}
	}
	if err := a.ensureMonitor(ctx, in.Model, in.GatewayURL); err != nil {
		return DeployModelResult{}, err
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

func (a *Activities) newVersion(model, workflowID string, t TrainedModel, ev Evaluation) (registry.Version, error) {
	// The registry keeps parameters as a plain JSON object.
	params := map[string]any{}
	b, err := json.Marshal(t.Config)
	if err == nil {
		err = json.Unmarshal(b, &params)
	}
	if err != nil {
		return registry.Version{}, fmt.Errorf("register %s: record the training configuration: %w", model, err)
	}
	if t.Imported > 0 {
		params["imported_from_version"] = t.Imported
	}
	return registry.Version{
		Name: model, ModelURI: t.Bundle.URI, Model: t.Bundle, Metrics: ev.Metrics, Params: params,
		DataDigest: t.Features.DataDigest, WorkflowID: workflowID, ReportURI: ev.HTML.URI,
		CreatedAt: time.Now().UTC(),
	}, nil
}

func registryApproval(ap Approval) registry.Approval {
	return registry.Approval{Approver: ap.Approver, Comment: ap.Comment, Decision: ap.Decision, At: ap.At}
}

func (a *Activities) findVersion(ctx context.Context, model, workflowID string, t TrainedModel) (registry.Version, bool, error) {
	vs, err := a.Registry.List(ctx, model)
	if err != nil {
		return registry.Version{}, false, registryErr(err, "list the versions of %s", model)
	}
	for _, v := range vs {
		if v.WorkflowID == workflowID && v.Model.SHA256 == t.Bundle.SHA256 {
			return v, true, nil
		}
	}
	return registry.Version{}, false, nil
}

// ErrRegistryRefused is the failure type of a registry call refused for
// its input (a bad name, an empty approver, a version that does not
// exist): asking again gets the same answer, so it is not retried.
const ErrRegistryRefused = "RegistryRefused"

// registryErr wraps a registry error with what was being done. A refusal
// is non-retryable; anything else (the store failing) is retried.
func registryErr(err error, format string, args ...any) error {
	what := fmt.Sprintf(format, args...)
	if errors.Is(err, registry.ErrInvalid) || errors.Is(err, registry.ErrNotFound) {
		return temporal.NewNonRetryableApplicationError(what+": "+err.Error(), ErrRegistryRefused, nil)
	}
	return fmt.Errorf("%s: %w", what, err)
}
