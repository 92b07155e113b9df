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

// RolloutID is the workflow ID of the rollout a pipeline starts with
// deployment.strategy canary or shadow.
func RolloutID(pipelineID, strategy string) string { return pipelineID + "-" + strategy }

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
	// GatewayRetry bounds how long one gateway call (a routing change, an
	// analysis, the final promotion or rollback) is retried while the
	// gateway does not answer or answers 5xx (default 10m, at most 24h).
	// Past it the rollout ends rolled back, with the reason.
	GatewayRetry spec.Duration `json:"gateway_retry,omitempty"`

	// problems are what decoding the JSON input found wrong (an unknown
	// key, a value of the wrong type); the workflow refuses them.
	problems []string
}

// UnmarshalJSON never fails, so that a typo in hand-written input (a
// misspelt approvers list, say) is refused by the workflow, naming the key,
// rather than silently dropped or failing the workflow task forever.
func (in *RolloutInput) UnmarshalJSON(b []byte) error {
	type plain RolloutInput
	var out plain
	probs, _ := spec.DecodeInput(b, &out)
	*in = RolloutInput(out)
	in.problems = probs
	return nil
}

// DefaultGatewayRetry is RolloutInput.GatewayRetry when unset: a gateway
// restarting or briefly down is waited for; one gone for longer is not.
const DefaultGatewayRetry = spec.Duration(10 * time.Minute)

// MaxGatewayRetry is the largest RolloutInput.GatewayRetry accepted.
const MaxGatewayRetry = spec.Duration(24 * time.Hour)

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
	Model     string `json:"model"`
	Candidate int    `json:"candidate"`
	Strategy  string `json:"strategy"`
	State     string `json:"state"`
	Step      int    `json:"step"`
	Steps     int    `json:"steps"`
	// Weight is the share of traffic the gateway has acknowledged sending
	// to the candidate; a step's weight counts once the gateway confirms it.
	Weight float64 `json:"weight"`
	// Pending is a routing change sent to the gateway and not confirmed yet.
	Pending *PendingRouting `json:"pending,omitempty"`
	// GatewayURL is the gateway the rollout steers.
	GatewayURL string `json:"gateway_url,omitempty"`
	// HoldEndsAt is when the current step's hold ends (pauses move it).
	HoldEndsAt   *time.Time        `json:"hold_ends_at,omitempty"`
	Failures     int               `json:"failures"`
	Analyses     int               `json:"analyses"`
	LastAnalysis *rollout.Analysis `json:"last_analysis,omitempty"`
	PausedBy     string            `json:"paused_by,omitempty"`
	History      []RolloutEvent    `json:"history"`
}

// PendingRouting is a traffic split the rollout asked the gateway for and
// the gateway has not acknowledged yet: it is not in effect.
type PendingRouting struct {
	What   string    `json:"what"`
	Weight float64   `json:"weight"`
	Since  time.Time `json:"since"`
}

// RolloutResult is what a rollout returns.
type RolloutResult struct {
	// WorkflowID is the rollout's own workflow.
	WorkflowID   string            `json:"workflow_id,omitempty"`
	Model        string            `json:"model"`
	Candidate    int               `json:"candidate"`
	Outcome      string            `json:"outcome"`
	Reason       string            `json:"reason,omitempty"`
	Analyses     int               `json:"analyses"`
	LastAnalysis *rollout.Analysis `json:"last_analysis,omitempty"`
	History      []RolloutEvent    `json:"history"`
}
