package activities

import (
	"time"

	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/expect"
	"github.com/mlpipe/mlpipe/internal/features"
	"github.com/mlpipe/mlpipe/internal/metrics"
	"github.com/mlpipe/mlpipe/internal/model"
)

// Dataset is a CSV in the artifact store.
type Dataset struct {
	Ref     artifact.Ref `json:"ref"`
	Rows    int          `json:"rows"`
	Columns []string     `json:"columns"`
}

// IngestDataInput names a source CSV to copy into the artifact store.
type IngestDataInput struct {
	Pipeline string `json:"pipeline"`
	// Source is file://, s3:// or http(s)://.
	Source string `json:"source"`
	// Target, when set, must be a column of the data.
	Target string `json:"target,omitempty"`
}

// IngestDataResult is the stored raw dataset.
type IngestDataResult struct {
	Dataset Dataset `json:"dataset"`
	Attempt int32   `json:"attempt"`
}

// ValidateDataInput is a dataset and what it must satisfy.
type ValidateDataInput struct {
	Dataset      Dataset              `json:"dataset"`
	Expectations []expect.Expectation `json:"expectations,omitempty"`
	Checks       expect.Checks        `json:"checks"`
}

// ValidateDataResult summarises a passed validation; a failed one returns a
// ValidationFailed error whose message lists the failures.
type ValidateDataResult struct {
	Report    artifact.Ref `json:"report"`
	Evaluated int          `json:"evaluated"`
	Failed    int          `json:"failed"`
	Attempt   int32        `json:"attempt"`
}

// EngineerFeaturesInput is a validated dataset and the feature spec.
type EngineerFeaturesInput struct {
	Pipeline string        `json:"pipeline"`
	Dataset  Dataset       `json:"dataset"`
	Spec     features.Spec `json:"spec"`
}

// FeatureSet is one version of the feature store: engineered train and
// test matrices (CSV, label last) and the fitted transform.
type FeatureSet struct {
	// Version is the digest of the input data and the feature spec: the
	// same inputs give the same version, which is then reused.
	Version   string       `json:"version"`
	Train     artifact.Ref `json:"train"`
	Test      artifact.Ref `json:"test"`
	Transform artifact.Ref `json:"transform"`
	Features  []string     `json:"features"`
	TrainRows int          `json:"train_rows"`
	TestRows  int          `json:"test_rows"`
	// Labels are the negative and positive class values.
	Labels [2]string `json:"labels"`
	// DataDigest is the sha256 of the raw data the set was built from.
	DataDigest string `json:"data_digest"`
	Reused     bool   `json:"reused"`
}

// EngineerFeaturesResult wraps the feature set.
type EngineerFeaturesResult struct {
	Features FeatureSet `json:"features"`
	Attempt  int32      `json:"attempt"`
}

// TrainModelInput is a feature set and the hyperparameters.
type TrainModelInput struct {
	Pipeline   string       `json:"pipeline"`
	Model      string       `json:"model"`
	WorkflowID string       `json:"workflow_id"`
	Features   FeatureSet   `json:"features"`
	Config     model.Config `json:"config"`
}

// TrainedModel is a model bundle in the artifact store.
type TrainedModel struct {
	Bundle   artifact.Ref `json:"bundle"`
	Features FeatureSet   `json:"features"`
	Config   model.Config `json:"config"`
	Epochs   int          `json:"epochs"`
	Loss     float64      `json:"loss"`
	Seconds  float64      `json:"seconds"`
	// ResumedFrom is the checkpoint epoch a retried attempt started from.
	ResumedFrom int `json:"resumed_from,omitempty"`
}

// TrainModelResult wraps the trained model.
type TrainModelResult struct {
	Model   TrainedModel `json:"model"`
	Attempt int32        `json:"attempt"`
}

// TrainingProgress is the heartbeat detail of TrainModel: the last epoch
// and its checkpoint, from which a retried attempt resumes.
type TrainingProgress struct {
	Epoch      int          `json:"epoch"`
	Epochs     int          `json:"epochs"`
	Loss       float64      `json:"loss"`
	Checkpoint artifact.Ref `json:"checkpoint"`
}

// EvaluateModelInput is a model and its test data: the feature set's
// held-out split, or an external raw CSV the model's transform is applied to.
type EvaluateModelInput struct {
	Model      TrainedModel `json:"model"`
	TestSource string       `json:"test_source,omitempty"`
	Threshold  float64      `json:"threshold,omitempty"`
}

// Evaluation is the stored report and its headline metrics.
type Evaluation struct {
	Report    artifact.Ref       `json:"report"`
	Metrics   map[string]float64 `json:"metrics"`
	Confusion metrics.Confusion  `json:"confusion_matrix"`
	TestRows  int                `json:"test_rows"`
}

// EvaluateModelResult wraps the evaluation.
type EvaluateModelResult struct {
	Evaluation Evaluation `json:"evaluation"`
	Attempt    int32      `json:"attempt"`
}

// DeployModelInput is an approved model to register and promote.
type DeployModelInput struct {
	Model      string       `json:"model"`
	WorkflowID string       `json:"workflow_id"`
	Trained    TrainedModel `json:"trained"`
	Evaluation Evaluation   `json:"evaluation"`
	Approval   Approval     `json:"approval"`
	GatewayURL string       `json:"gateway_url,omitempty"`
}

// Approval records who decided a promotion, when and why.
type Approval struct {
	Decision string `json:"decision"`
	Approver string `json:"approver"`
	Comment  string `json:"comment,omitempty"`
	// At is when the workflow received the decision.
	At time.Time `json:"at"`
	// Via is "signal" or "update".
	Via string `json:"via"`
}

// DeployModelResult is the registered, promoted version.
type DeployModelResult struct {
	Version int    `json:"version"`
	Alias   string `json:"alias"`
	// Reloaded is true when the gateway confirmed it serves the version.
	Reloaded bool  `json:"reloaded"`
	Attempt  int32 `json:"attempt"`
}
