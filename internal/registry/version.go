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
	CreatedAt  time.Time          `json:"created_at"`
	Approval   *Approval          `json:"approval,omitempty"`
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

// validateName keeps model and alias names usable as a single path segment.
func validateName(what, name string) error {
	if !nameRE.MatchString(name) {
		return invalidf("%s name %q is invalid: use 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit", what, name)
	}
	return nil
}
