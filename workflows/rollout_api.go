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

// ErrRolloutNotRolledBack is the failure type of a pipeline whose rollout
// child ended without concluding and whose candidate the pipeline could not
// roll back (or, the rollout having failed mid-promotion, would not): the
// message says what the gateway may still do and how to fix it.
const ErrRolloutNotRolledBack = "RolloutNotRolledBack"

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
	// ContinueAsNewAt is the history length (events) at which a run hands
	// its state to a new run of the same workflow ID (default 2,000; 100 to
	// 10,000), so that a long canary analysed often never nears Temporal's
	// limits. The server's own suggestion is followed too. Unset, the
	// deployment's continue_as_new_at (the pipeline spec's) applies.
	ContinueAsNewAt int `json:"continue_as_new_at,omitempty"`
	// Carry is the state a previous run handed over (continue-as-new);
	// nobody sets it by hand.
	Carry *RolloutCarry `json:"carry,omitempty"`

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

// DefaultContinueAsNewAt is RolloutInput.ContinueAsNewAt when neither it
// nor the spec's deployment.continue_as_new_at is set: well below the
// 10,240 events at which Temporal starts warning.
const DefaultContinueAsNewAt = spec.DefaultContinueAsNewAt

// MinContinueAsNewAt and MaxContinueAsNewAt bound RolloutInput.ContinueAsNewAt
// and deployment.continue_as_new_at.
const (
	MinContinueAsNewAt = spec.MinContinueAsNewAt
	MaxContinueAsNewAt = spec.MaxContinueAsNewAt
)

// RolloutCarry is what a rollout's run hands to the next one: where it is
// (the step and what is left of its hold) and everything its status and
// result show, so that continuing as new changes neither.
type RolloutCarry struct {
	Status RolloutStatus `json:"status"`
	// StepIndex is the step being held (0-based); its routing is in effect.
	StepIndex int `json:"step_index"`
	// Remaining is the unpaused time left of that step's hold (the
	// shadow's window).
	Remaining spec.Duration `json:"remaining"`
	// Analysed is set once the hold has analysed at least once.
	Analysed    bool            `json:"analysed,omitempty"`
	Paused      bool            `json:"paused,omitempty"`
	LastVerdict rollout.Verdict `json:"last_verdict,omitempty"`
	Routed      bool            `json:"routed,omitempty"`
	// Runs counts the rollout's runs so far.
	Runs int `json:"runs"`
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
	// HistoryDropped counts the oldest history lines no longer kept (at
	// most RolloutHistoryKept are).
	HistoryDropped int `json:"history_dropped,omitempty"`
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
	// HistoryDropped counts the oldest history lines not kept.
	HistoryDropped int `json:"history_dropped,omitempty"`
}

// RolloutHistoryKept bounds a rollout's history lines: past this many, the
// oldest analyses that passed or were inconclusive go first.
const RolloutHistoryKept = 200
