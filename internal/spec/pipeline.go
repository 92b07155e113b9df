package spec

import (
	"github.com/mlpipe/mlpipe/internal/expect"
	"github.com/mlpipe/mlpipe/internal/features"
	"github.com/mlpipe/mlpipe/internal/model"
)

// Pipeline is a resolved pipeline spec. It is the TrainingPipeline workflow's
// input, so it is self-contained: referenced files (hyperparameters.yaml) are
// inlined and relative data paths made absolute.
type Pipeline struct {
	// Name names the pipeline; it keys feature-store versions.
	Name string `json:"name" yaml:"name"`
	// Model is the registry name the trained model is published under.
	Model string `json:"model" yaml:"model"`
	// Description is shown as the workflow's summary in the Web UI.
	Description string `json:"description,omitempty" yaml:"description"`

	Data         Data                 `json:"data" yaml:"data"`
	Validation   expect.Checks        `json:"validation" yaml:"validation"`
	Expectations []expect.Expectation `json:"expectations,omitempty" yaml:"expectations"`
	Features     features.Spec        `json:"features" yaml:"features"`
	// Hyperparameters configure model_training; a stage's `params:` files
	// are merged over them when the spec is resolved.
	Hyperparameters model.Config `json:"hyperparameters" yaml:"hyperparameters"`
	// EvaluationThreshold is the seed's gate: metric name → bound. Metrics
	// where higher is better must reach the bound; loss metrics must not
	// exceed it.
	EvaluationThreshold map[string]float64 `json:"evaluation_threshold,omitempty" yaml:"evaluation_threshold"`
	Approval            Approval           `json:"approval" yaml:"approval"`
	Deployment          Deployment         `json:"deployment" yaml:"deployment"`

	// Stages is the DAG, in the order the spec lists them.
	Stages Stages `json:"stages" yaml:"stages"`
}

// Data names the raw data and its label.
type Data struct {
	// Source is the raw CSV: file://, s3:// or http(s)://. It feeds the
	// external input raw_data_source.
	Source string `json:"source" yaml:"source"`
	// TestSource, when set, feeds the external input test_dataset;
	// otherwise the feature stage's held-out split serves.
	TestSource string `json:"test_source,omitempty" yaml:"test_source"`
	// Target is the label column.
	Target string `json:"target" yaml:"target"`
	// Positive is the label value that counts as the positive class.
	Positive string `json:"positive" yaml:"positive"`
}

// Approval configures the human half of the promotion gate.
type Approval struct {
	// Approvers may approve or reject; empty means anyone may.
	Approvers []string `json:"approvers,omitempty" yaml:"approvers"`
	// Timeout rejects the promotion when nobody decides in time.
	Timeout Duration `json:"timeout,omitempty" yaml:"timeout"`
	// Required is false only when the spec says `required: false`; the
	// gate then promotes on the threshold alone.
	Required *bool `json:"required,omitempty" yaml:"required"`
}

// IsRequired reports whether a person must approve.
func (a Approval) IsRequired() bool { return a.Required == nil || *a.Required }

// MayApprove reports whether name is allowed to decide.
func (a Approval) MayApprove(name string) bool {
	if len(a.Approvers) == 0 {
		return name != ""
	}
	for _, n := range a.Approvers {
		if n == name {
			return true
		}
	}
	return false
}

// Deployment says how an approved model reaches production.
type Deployment struct {
	// Strategy is "direct": the approved version becomes the production
	// alias that the gateway serves.
	Strategy string `json:"strategy,omitempty" yaml:"strategy"`
	// GatewayURL, when set, is told to reload right after promotion
	// (the gateway also polls the registry).
	GatewayURL string `json:"gateway_url,omitempty" yaml:"gateway_url"`
}

// DefaultApprovalTimeout applies when a spec names none.
const DefaultApprovalTimeout = Duration(72 * 60 * 60 * 1e9)
