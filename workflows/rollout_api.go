package workflows

import (
	"time"

	"github.com/mlpipe/mlpipe/activities"
	"github.com/mlpipe/mlpipe/internal/rollout"
	"github.com/mlpipe/mlpipe/internal/spec"
)

// Rollout workflow types: children of TrainingPipeline when the spec's
// deployment.strategy is canary or shadow, or started on their own.
const (
	CanaryRolloutName = "CanaryRollout"
	ShadowRolloutName = "ShadowRollout"
)

// Rollout controls, each both a signal and a validated Update carrying a
// RolloutCommand. A shadow's switch, when the spec asks a person for it,
// is approved with approve-promotion / reject-promotion.
const (
	ControlPause   = "pause"
	ControlResume  = "resume"
	ControlPromote = "promote"
	ControlAbort   = "abort"
)

// Rollout outcomes.
const (
	OutcomePromoted   = "promoted"
	OutcomeRolledBack = "rolled_back"
	OutcomeAborted    = "aborted"
	OutcomeDiscarded  = "discarded"
)

// Rollout states beyond the outcomes.
const (
	RolloutRunning  = "running"
	RolloutPaused   = "paused"
	RolloutDeciding = "awaiting_decision"
)

// RolloutInput describes one rollout of a registered candidate version.
type RolloutInput struct {
	Model     string `json:"model"`
	Candidate int    `json:"candidate"`
	// ParentWorkflowID is the pipeline that approved the candidate.
	ParentWorkflowID string          `json:"parent_workflow_id,omitempty"`
	Deployment       spec.Deployment `json:"deployment"`
	// Approval is the gate's decision, recorded again on promotion.
	Approval *activities.Approval `json:"approval,omitempty"`
	// Approvers may approve a shadow's switch (empty: anyone).
	Approvers []string `json:"approvers,omitempty"`
	// DecisionTimeout bounds the wait for a person (default 72h).
	DecisionTimeout spec.Duration `json:"decision_timeout,omitempty"`
}

// RolloutCommand is the payload of pause, resume, promote and abort.
type RolloutCommand struct {
	By     string `json:"by"`
	Reason string `json:"reason,omitempty"`
}

// RolloutEvent is one line of a rollout's history.
type RolloutEvent struct {
	At   time.Time `json:"at"`
	What string    `json:"what"`
}

// RolloutStatus answers the status query of CanaryRollout and ShadowRollout.
type RolloutStatus struct {
	Model     string  `json:"model"`
	Candidate int     `json:"candidate"`
	Strategy  string  `json:"strategy"`
	State     string  `json:"state"`
	Step      int     `json:"step"`
	Steps     int     `json:"steps"`
	Weight    float64 `json:"weight"`
	// HoldEndsAt is when the current step's hold ends (pauses move it).
	HoldEndsAt   *time.Time        `json:"hold_ends_at,omitempty"`
	Failures     int               `json:"failures"`
	Analyses     int               `json:"analyses"`
	LastAnalysis *rollout.Analysis `json:"last_analysis,omitempty"`
	PausedBy     string            `json:"paused_by,omitempty"`
	History      []RolloutEvent    `json:"history"`
}

// RolloutResult is what a rollout returns.
type RolloutResult struct {
	Model        string            `json:"model"`
	Candidate    int               `json:"candidate"`
	Outcome      string            `json:"outcome"`
	Reason       string            `json:"reason,omitempty"`
	Analyses     int               `json:"analyses"`
	LastAnalysis *rollout.Analysis `json:"last_analysis,omitempty"`
	History      []RolloutEvent    `json:"history"`
}
