package registry

import (
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/mlpipe/mlpipe/internal/artifact"
)

// Version is one registered model: what it was trained from, how it scored,
// and who approved it. Only Approval changes after registration.
type Version struct {
	Name       string             `json:"name"`
	Version    int                `json:"version"`
	ModelURI   string             `json:"model_uri"` // Model.URI, kept for readers that want only the address
	Model      artifact.Ref       `json:"model"`
	Metrics    map[string]float64 `json:"metrics,omitempty"`
	Params     map[string]any     `json:"params,omitempty"`
	DataDigest string             `json:"data_digest,omitempty"`
	WorkflowID string             `json:"workflow_id,omitempty"`
	ReportURI  string             `json:"report_uri,omitempty"` // the evaluation report the gate was decided on
	// Profile is the training data's profile: the reference the monitor
	// measures drift against. Versions registered before it existed, or
	// from a pipeline that made none, have none.
	Profile *artifact.Ref `json:"profile,omitempty"`
	// Target is the label column and Positive a binary model's positive
	// label, so the monitor can judge feedback.
	Target   string `json:"target,omitempty"`
	Positive string `json:"positive,omitempty"`
	// Spec is the resolved pipeline spec the version was trained from,
	// which a retraining for an alert runs again; Trigger, on a version a
	// retraining registered, names the alert and incident behind it.
	Spec      *artifact.Ref `json:"spec,omitempty"`
	Trigger   *Trigger      `json:"trigger,omitempty"`
	CreatedAt time.Time     `json:"created_at"`
	Approval  *Approval     `json:"approval,omitempty"`
}

// Trigger is the lineage of a version trained because an alert fired.
type Trigger struct {
	Alert    string    `json:"alert"`
	Incident string    `json:"incident"`
	FiredAt  time.Time `json:"fired_at,omitzero"`
	Pipeline string    `json:"pipeline,omitempty"` // the retraining's workflow ID
}

// Approval records the human decision at the evaluation gate.
type Approval struct {
	Approver string    `json:"approver"`
	Comment  string    `json:"comment,omitempty"`
	Decision string    `json:"decision"` // DecisionApproved or DecisionRejected
	At       time.Time `json:"at"`
}

// Decisions an Approval may carry.
const (
	DecisionApproved = "approved"
	DecisionRejected = "rejected"
)

// Aliases the pipeline and gateway use.
const (
	AliasProduction = "production"
	AliasCandidate  = "candidate"
	AliasPrevious   = "previous"
)

// ErrNotFound is wrapped by errors about models, versions or aliases that do not exist.
var ErrNotFound = errors.New("not found")

// ErrInvalid is matched (errors.Is) by refusals of bad input: a name, an
// empty model reference or approver, an unknown decision. Asking again with
// the same input gets the same answer.
var ErrInvalid = errors.New("invalid")

// invalidError is a refusal whose message says what to fix; it matches
// ErrInvalid without adding the word to the message.
type invalidError struct{ msg string }

func (e *invalidError) Error() string        { return e.msg }
func (e *invalidError) Is(target error) bool { return target == ErrInvalid }

func invalidf(format string, args ...any) error {
	return &invalidError{msg: fmt.Sprintf(format, args...)}
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// ValidateModelName refuses a model name the registry cannot store,
// saying what a name may hold.
func ValidateModelName(name string) error { return validateName("model", name) }

// validateName keeps model and alias names usable as a single path segment.
func validateName(what, name string) error {
	if !nameRE.MatchString(name) {
		return invalidf("%s name %q is invalid: use 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit", what, name)
	}
	return nil
}
