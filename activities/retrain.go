package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/mlpipe/mlpipe/internal/registry"
	"github.com/mlpipe/mlpipe/internal/spec"
)

// ActionRetrain is the alert action that starts a retraining.
const ActionRetrain = "retrain"

// StartRetrainingInput asks for a TrainingPipeline of the model's current
// spec, for one alert's incident.
type StartRetrainingInput struct {
	Model      string    `json:"model"`
	WorkflowID string    `json:"workflow_id"`
	Alert      string    `json:"alert"`
	Incident   string    `json:"incident"`
	FiredAt    time.Time `json:"fired_at,omitzero"`
	Summary    string    `json:"summary,omitempty"`
	Loop       string    `json:"loop,omitempty"`
}

// StartRetrainingResult names the pipeline run.
type StartRetrainingResult struct {
	WorkflowID string `json:"workflow_id"`
	RunID      string `json:"run_id"`
	// Existing is set when the pipeline was already running.
	Existing bool `json:"existing"`
}

var unsafeID = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// RetrainWorkflowID derives a retraining's workflow ID from the model and
// the incident, so a second start for the same incident finds the first.
func RetrainWorkflowID(model, incident string) string {
	return "retrain-" + unsafeID.ReplaceAllString(model, "_") + "-" + unsafeID.ReplaceAllString(incident, "_")
}

// StartRetraining starts a TrainingPipeline on the spec the model's
// production version was trained from (its data source as the spec names
// it now), with the workflow ID the loop derived. A pipeline already
// running under that ID is used as it is (WorkflowIDConflictPolicy
// USE_EXISTING), so a retried start, or a duplicate notification, never
// starts a second one.
func (a *Activities) StartRetraining(ctx context.Context, in StartRetrainingInput) (StartRetrainingResult, error) {
	if a.Temporal == nil {
		return StartRetrainingResult{}, errors.New("start retraining: the worker has no Temporal client")
	}
	p, err := a.retrainSpec(ctx, in.Model)
	if err != nil {
		return StartRetrainingResult{}, err
	}
	p.Trigger = &spec.Trigger{Alert: in.Alert, Incident: in.Incident, FiredAt: in.FiredAt, Summary: in.Summary, Loop: in.Loop}
	run, err := a.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       in.WorkflowID,
		TaskQueue:                "mlpipe-cpu",
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		TypedSearchAttributes:    temporal.NewSearchAttributes(temporal.NewSearchAttributeKeyKeyword("MLModelName").ValueSet(in.Model)),
		StaticSummary:            fmt.Sprintf("retrain %s: alert %s", in.Model, in.Alert),
	}, "TrainingPipeline", p)
	if err != nil {
		var already *serviceerror.WorkflowExecutionAlreadyStarted
		if errors.As(err, &already) {
			return StartRetrainingResult{WorkflowID: in.WorkflowID, RunID: already.RunId, Existing: true}, nil
		}
		return StartRetrainingResult{}, fmt.Errorf("start retraining %s: %w", in.WorkflowID, err)
	}
	return StartRetrainingResult{WorkflowID: run.GetID(), RunID: run.GetRunID()}, nil
}

// retrainSpec is the spec of the pipeline that trained the model's
// production version: stored with the version, or else read from that
// pipeline's workflow input while its history is kept.
func (a *Activities) retrainSpec(ctx context.Context, model string) (*spec.Pipeline, error) {
	v, ok, err := a.Registry.Alias(ctx, model, registry.AliasProduction)
	if err != nil {
		return nil, fmt.Errorf("start retraining: registry: %w", err)
	}
	if !ok {
		return nil, invalid("start retraining: model %q has no production version to retrain: deploy one first", model)
	}
	if v.Spec != nil {
		var p spec.Pipeline
		if err := readJSON(ctx, *v.Spec, &p); err != nil {
			return nil, fmt.Errorf("start retraining: the spec of %s v%d: %w", model, v.Version, err)
		}
		return &p, nil
	}
	if v.WorkflowID == "" {
		return nil, invalid("start retraining: %s v%d records neither its spec nor the pipeline that trained it", model, v.Version)
	}
	it := a.Temporal.GetWorkflowHistory(ctx, v.WorkflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	if !it.HasNext() {
		return nil, invalid("start retraining: the history of %s (which trained %s v%d) is gone", v.WorkflowID, model, v.Version)
	}
	ev, err := it.Next()
	if err != nil {
		return nil, fmt.Errorf("start retraining: the history of %s: %w", v.WorkflowID, err)
	}
	attrs := ev.GetWorkflowExecutionStartedEventAttributes()
	if attrs == nil || len(attrs.GetInput().GetPayloads()) == 0 {
		return nil, invalid("start retraining: %s has no workflow input to retrain from", v.WorkflowID)
	}
	var p spec.Pipeline
	if err := json.Unmarshal(attrs.GetInput().GetPayloads()[0].GetData(), &p); err != nil {
		return nil, invalid("start retraining: the input of %s: %v", v.WorkflowID, err)
	}
	p.Trigger = nil
	return &p, nil
}
