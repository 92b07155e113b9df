package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/mlpipe/mlpipe/activities"
	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/spec"
)

// Task queues. Workflows and CPU activities run on TaskQueueCPU; training
// runs on TaskQueueGPU, served by workers with an accelerator (or the CPU
// engine where there is none).
const (
	TaskQueueCPU = "mlpipe-cpu"
	TaskQueueGPU = "mlpipe-gpu"
)

// Workflow type names: registered names are a public API.
const (
	TrainingPipelineName = "TrainingPipeline"
)

// Handler names.
const (
	// QueryStatus returns a PipelineStatus.
	QueryStatus = "status"
	// SignalApprove and SignalReject carry a Decision. The same names are
	// also Workflow Updates, validated and answered synchronously.
	SignalApprove = "approve-promotion"
	SignalReject  = "reject-promotion"
	UpdateApprove = SignalApprove
	UpdateReject  = SignalReject
)

// Custom search attributes, so `temporal workflow list --query
// "MLModelName='churn-classifier'"` finds pipelines. They must be registered
// on the namespace (mlpipe dev and mlpipe worker do it).
var (
	AttrModelName = temporal.NewSearchAttributeKeyKeyword("MLModelName")
	AttrStage     = temporal.NewSearchAttributeKeyKeyword("MLPipelineStage")
	// SearchAttributes lists them with their types for registration.
	SearchAttributes = []temporal.SearchAttributeKey{AttrModelName, AttrStage}
)

// ErrStageTimedOut is the failure type of a pipeline whose stage activity
// timed out on every attempt; the message names the setting to raise
// (stages.NAME.timeout or stages.NAME.heartbeat) and its value.
const ErrStageTimedOut = "StageTimedOut"

// Decision is the payload of approve-promotion and reject-promotion.
type Decision struct {
	Approver string `json:"approver"`
	Comment  string `json:"comment,omitempty"`
}

// Pipeline outcomes.
const (
	OutcomeDeployed        = "deployed"
	OutcomeGateFailed      = "rejected_by_gate"
	OutcomeRejected        = "rejected"
	OutcomeApprovalTimeout = "approval_timed_out"
	// A canary or shadow rollout ends the pipeline with its own outcome
	// when the candidate is not promoted: rolled_back, aborted, discarded.
)

// PipelineResult is what TrainingPipeline returns. A model that is not
// promoted (gate failed, rejected, timed out) is a normal outcome, not a
// workflow failure: the pipeline did its job and said no.
type PipelineResult struct {
	WorkflowID string                  `json:"workflow_id"`
	Pipeline   string                  `json:"pipeline"`
	Model      string                  `json:"model"`
	Outcome    string                  `json:"outcome"`
	Reason     string                  `json:"reason,omitempty"`
	Version    int                     `json:"version,omitempty"`
	Metrics    map[string]float64      `json:"metrics,omitempty"`
	Thresholds []spec.Threshold        `json:"thresholds,omitempty"`
	Approval   *activities.Approval    `json:"approval,omitempty"`
	ModelURI   string                  `json:"model_uri,omitempty"`
	ReportURI  string                  `json:"report_uri,omitempty"`
	ReportHTML string                  `json:"report_html,omitempty"`
	Champion   *activities.Champion    `json:"champion,omitempty"`
	Rollout    *RolloutResult          `json:"rollout,omitempty"`
	Search     *SearchResult           `json:"search,omitempty"`
	Features   *activities.FeatureSet  `json:"features,omitempty"`
	Stages     []StageStatus           `json:"stages"`
	Artifacts  map[string]artifact.Ref `json:"artifacts,omitempty"`
}

// Stage states.
const (
	StatePending   = "pending"
	StateRunning   = "running"
	StateWaiting   = "awaiting_approval"
	StateSucceeded = "succeeded"
	StateFailed    = "failed"
	StateSkipped   = "skipped"
	StateRejected  = "rejected"
)

// StageStatus is one stage as the status query shows it.
type StageStatus struct {
	Name      string             `json:"name"`
	Kind      string             `json:"kind"`
	State     string             `json:"state"`
	StartedAt *time.Time         `json:"started_at,omitempty"`
	EndedAt   *time.Time         `json:"ended_at,omitempty"`
	Attempts  int32              `json:"attempts,omitempty"`
	Artifacts []artifact.Ref     `json:"artifacts,omitempty"`
	Metrics   map[string]float64 `json:"metrics,omitempty"`
	Message   string             `json:"message,omitempty"`
	// Cached is set when the stage's result came from the stage cache.
	Cached bool `json:"cached,omitempty"`
}

// GateStatus is the promotion gate as the status query shows it.
type GateStatus struct {
	Thresholds []spec.Threshold     `json:"thresholds,omitempty"`
	Open       bool                 `json:"open"`
	Approvers  []string             `json:"approvers,omitempty"`
	Deadline   *time.Time           `json:"deadline,omitempty"`
	Decision   *activities.Approval `json:"decision,omitempty"`
	// Ignored lists signals that could not count (no approver, not an
	// approver, gate not open), so a user sees why nothing happened.
	Ignored []string `json:"ignored,omitempty"`
}

// PipelineStatus is the answer to the status query.
type PipelineStatus struct {
	Pipeline string          `json:"pipeline"`
	Model    string          `json:"model"`
	State    string          `json:"state"`
	Stages   []StageStatus   `json:"stages"`
	Gate     GateStatus      `json:"gate"`
	Result   *PipelineResult `json:"result,omitempty"`
}
