package activities

import (
	"encoding/json"
	"time"

	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/dataplane"
	"github.com/mlpipe/mlpipe/internal/expect"
	"github.com/mlpipe/mlpipe/internal/features"
	"github.com/mlpipe/mlpipe/internal/metrics"
	"github.com/mlpipe/mlpipe/internal/model"
	"github.com/mlpipe/mlpipe/internal/spec"
	"github.com/mlpipe/mlpipe/internal/tune"
)

// Dataset is a typed table in the artifact store: Parquet, written by
// ingestion (datasets ingested before it are the raw CSV).
type Dataset struct {
	Ref     artifact.Ref `json:"ref"`
	Rows    int          `json:"rows"`
	Columns []string     `json:"columns"`
	// Format is the stored file's format: "parquet", or "csv" for a
	// dataset stored as raw.csv; empty means csv.
	Format string `json:"format,omitempty"`
	// Schema is each column's kind, in column order.
	Schema []dataplane.ColumnInfo `json:"schema,omitempty"`
	// SourceFormat is the format the source was read as (csv, parquet,
	// jsonl) and SourceSHA256 the digest of its raw bytes.
	SourceFormat string `json:"source_format,omitempty"`
	SourceSHA256 string `json:"source_sha256,omitempty"`
	// Profile is the dataset's profile (internal/profile JSON), stored
	// beside it: the drift reference.
	Profile artifact.Ref `json:"profile,omitzero"`
	// Source is the lineage: the source as it was when ingested (its size
	// and modification time, or an http(s)/s3 ETag, Last-Modified and
	// Content-Length), so a changed source can be told from this one.
	Source *artifact.SourceInfo `json:"source,omitempty"`
}

// IngestDataInput names a source CSV to copy into the artifact store.
type IngestDataInput struct {
	Pipeline string `json:"pipeline"`
	// Source is file://, s3:// or http(s)://.
	Source string `json:"source"`
	// Target, when set, must be a column of the data.
	Target string `json:"target,omitempty"`
	// Columns are the columns the spec names; a header that lacks any of
	// them is refused, naming each, before anything is stored.
	Columns spec.ColumnRefs `json:"columns,omitempty"`
	Cache   CacheUse        `json:"cache,omitzero"`
}

// IngestDataResult is the stored raw dataset.
type IngestDataResult struct {
	Dataset Dataset `json:"dataset"`
	Attempt int32   `json:"attempt"`
	// Cached is set when the result came from the stage cache.
	Cached *CachedFrom `json:"cached,omitempty"`
}

// ValidateDataInput is a dataset and what it must satisfy.
type ValidateDataInput struct {
	Dataset      Dataset              `json:"dataset"`
	Expectations []expect.Expectation `json:"expectations,omitempty"`
	Checks       expect.Checks        `json:"checks"`
	// Now is the pipeline's start time (workflow.Now), the reference for
	// freshness, so a retry or a late worker judges the data as the run
	// began. Zero (a workflow started before it was passed) means the
	// worker's clock.
	Now time.Time `json:"now,omitzero"`
	// Reference is the profile (internal/profile JSON) that
	// expect_column_psi_to_be_less_than compares with. When it is nil and
	// Model is set, the production version's profile is used; with
	// neither, those expectations are skipped ("no reference profile yet").
	Reference *artifact.Ref `json:"reference,omitempty"`
	Model     string        `json:"model,omitempty"`
	Cache     CacheUse      `json:"cache,omitzero"`
}

// ValidateDataResult summarises a passed validation; a failed one returns a
// ValidationFailed error whose message lists the failures and whose
// details are a ValidationFailure.
type ValidateDataResult struct {
	Report artifact.Ref `json:"report"`
	// DataDoc is the HTML data doc stored beside the report.
	DataDoc   artifact.Ref `json:"data_doc"`
	Evaluated int          `json:"evaluated"`
	Failed    int          `json:"failed"`
	// Warnings has one line per failed warning-severity expectation:
	// `column: type, N unexpected of M (detail) [where]`.
	Warnings []string `json:"warnings,omitempty"`
	Attempt  int32    `json:"attempt"`
	// Cached is set when the result came from the stage cache; its Note
	// says how freshness was judged again against this run's start.
	Cached *CachedFrom `json:"cached,omitempty"`
}

// ValidationFailure is the details of a ValidationFailed error: where the
// report and data doc are, and each failure in one line.
type ValidationFailure struct {
	Report   artifact.Ref `json:"report"`
	DataDoc  artifact.Ref `json:"data_doc"`
	Failures []string     `json:"failures"`
	Warnings []string     `json:"warnings,omitempty"`
}

// EngineerFeaturesInput is a validated dataset and the feature spec.
type EngineerFeaturesInput struct {
	Pipeline string        `json:"pipeline"`
	Dataset  Dataset       `json:"dataset"`
	Spec     features.Spec `json:"spec"`
	// TestSource, when set, is the data the model is evaluated on
	// (data.test_source): every row then trains and none is held out.
	TestSource string   `json:"test_source,omitempty"`
	Cache      CacheUse `json:"cache,omitzero"`
}

// FeatureSet is one version of the feature store: engineered train and
// test matrices (internal/matrix's binary format; CSV, label last, in
// versions written before it) and the fitted transform.
type FeatureSet struct {
	// Version is the digest of the input data and the feature spec: the
	// same inputs give the same version, which is then reused.
	Version string       `json:"version"`
	Train   artifact.Ref `json:"train"`
	Test    artifact.Ref `json:"test"`
	// TestRaw is the test split's raw rows, for slices and for scoring
	// the champion through its own transform.
	TestRaw   artifact.Ref `json:"test_raw"`
	Transform artifact.Ref `json:"transform"`
	Features  []string     `json:"features"`
	TrainRows int          `json:"train_rows"`
	// TestRows is 0, and Test and TestRaw are empty, when the model is
	// evaluated on a separate test source.
	TestRows int `json:"test_rows"`
	// Labels are a binary target's negative and positive class values.
	Labels [2]string `json:"labels"`
	// Classes are a multi-class target's values in model order (label k
	// is Classes[k]); empty for a binary target.
	Classes []string `json:"classes,omitempty"`
	// DataDigest is the sha256 of the raw data the set was built from.
	DataDigest string `json:"data_digest"`
	Reused     bool   `json:"reused"`
	// Pipeline and Created say whose version it is and when it was
	// written; versions written before they existed have neither.
	Pipeline string    `json:"pipeline,omitempty"`
	Created  time.Time `json:"created,omitzero"`
}

// EngineerFeaturesResult wraps the feature set.
type EngineerFeaturesResult struct {
	Features FeatureSet `json:"features"`
	Attempt  int32      `json:"attempt"`
	// Cached is set when the result came from the stage cache.
	Cached *CachedFrom `json:"cached,omitempty"`
}

// TrainModelInput is a feature set and the hyperparameters.
type TrainModelInput struct {
	Pipeline   string       `json:"pipeline"`
	Model      string       `json:"model"`
	WorkflowID string       `json:"workflow_id"`
	Features   FeatureSet   `json:"features"`
	Config     model.Config `json:"config"`
	Cache      CacheUse     `json:"cache,omitzero"`
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
	// Imported is the registry version a training stage's `import:` took
	// instead of training; 0 for a model this pipeline trained.
	Imported int `json:"imported,omitempty"`
}

// TrainModelResult wraps the trained model.
type TrainModelResult struct {
	Model   TrainedModel `json:"model"`
	Attempt int32        `json:"attempt"`
	// Cached is set when the result came from the stage cache.
	Cached *CachedFrom `json:"cached,omitempty"`
}

// TrainingProgress is the heartbeat detail of TrainModel: the last epoch
// and its checkpoint, from which a retried attempt resumes.
type TrainingProgress struct {
	Epoch      int          `json:"epoch"`
	Epochs     int          `json:"epochs"`
	Loss       float64      `json:"loss"`
	Checkpoint artifact.Ref `json:"checkpoint"`
	// WaitingForSlot is set while the activity waits for one of the
	// worker's slots (it was prefetched), so the Web UI tells a waiting
	// activity from a training one.
	WaitingForSlot bool `json:"waiting_for_slot,omitempty"`
	// Unit is what Epoch counts: "" for epochs, UnitRound for the
	// boosting rounds of gradient_boosting (Loss is then the validation
	// log-loss, 0 without a validation split).
	Unit string `json:"unit,omitempty"`
}

// TrialProgress is the heartbeat detail of TrainTrial: whether it waits
// for a slot, then its last epoch.
type TrialProgress struct {
	WaitingForSlot bool `json:"waiting_for_slot,omitempty"`
	model.EpochStats
}

// EvaluateModelInput is a model, its test data (the feature set's
// held-out split, or an external raw CSV passed through the model's own
// transform) and the evaluation settings.
type EvaluateModelInput struct {
	Model      TrainedModel    `json:"model"`
	ModelName  string          `json:"model_name"`
	WorkflowID string          `json:"workflow_id"`
	TestSource string          `json:"test_source,omitempty"`
	Settings   spec.Evaluation `json:"settings"`
	// The gate's rules, so the report can show them; the workflow
	// decides on its own copy.
	EvaluationThreshold map[string]float64 `json:"evaluation_threshold,omitempty"`
	ChampionThreshold   map[string]float64 `json:"champion_threshold,omitempty"`
	// Threshold is kept for histories recorded before Settings existed.
	Threshold float64 `json:"threshold,omitempty"`
	// Search is the hyperparameter search's results table, for the report.
	Search []tune.TrialResult `json:"search,omitempty"`
	Cache  CacheUse           `json:"cache,omitzero"`
}

// Evaluation is the stored report and what the gate reads from it.
type Evaluation struct {
	Report artifact.Ref `json:"report"`
	// HTML is the self-contained report page.
	HTML    artifact.Ref       `json:"html"`
	Metrics map[string]float64 `json:"metrics"`
	// Low and High bound the bootstrap 95% interval of each gate metric.
	Low       map[string]float64 `json:"low,omitempty"`
	High      map[string]float64 `json:"high,omitempty"`
	Confusion metrics.Confusion  `json:"confusion_matrix"`
	// Classes and ClassConfusion ([actual][predicted]) describe a
	// multi-class model's evaluation; Confusion is then zero.
	Classes        []string `json:"classes,omitempty"`
	ClassConfusion [][]int  `json:"class_confusion,omitempty"`
	TestRows       int      `json:"test_rows"`
	// Champion is the production model scored on the same test rows;
	// nil for the first model of a name.
	Champion *Champion `json:"champion,omitempty"`
}

// Champion is the production version's score on the candidate's test data.
type Champion struct {
	Version int                `json:"version"`
	Metrics map[string]float64 `json:"metrics,omitempty"`
	// Error says why it could not be scored; change rules then fail.
	Error string `json:"error,omitempty"`
}

// Scores turns the evaluation into what spec.CheckGate reads.
func (e Evaluation) Scores() (spec.Scores, *spec.Scores) {
	cand := spec.Scores{Point: e.Metrics, Low: e.Low, High: e.High}
	if e.Champion == nil {
		return cand, nil
	}
	return cand, &spec.Scores{Point: e.Champion.Metrics}
}

// EvaluateModelResult wraps the evaluation.
type EvaluateModelResult struct {
	Evaluation Evaluation `json:"evaluation"`
	Attempt    int32      `json:"attempt"`
	// Cached is set when the result came from the stage cache.
	Cached *CachedFrom `json:"cached,omitempty"`
}

// RegisterCandidateInput is a model that passed the threshold gate.
type RegisterCandidateInput struct {
	Model      string       `json:"model"`
	WorkflowID string       `json:"workflow_id"`
	Trained    TrainedModel `json:"trained"`
	Evaluation Evaluation   `json:"evaluation"`
	// Reference (the training data's profile) and Target are kept with
	// the version for the ModelMonitor.
	Reference *artifact.Ref `json:"reference,omitempty"`
	Target    string        `json:"target,omitempty"`
	// Spec is the resolved spec the model was trained from, kept with
	// the version (a retraining runs it again).
	Spec *spec.Pipeline `json:"spec,omitempty"`
}

// RegisterCandidateResult is the registered version, aliased candidate.
type RegisterCandidateResult struct {
	Version int   `json:"version"`
	Attempt int32 `json:"attempt"`
}

// RejectCandidateInput records a refused promotion in the registry.
type RejectCandidateInput struct {
	Model    string   `json:"model"`
	Version  int      `json:"version"`
	Approval Approval `json:"approval"`
}

// RejectCandidateResult confirms the record.
type RejectCandidateResult struct {
	Attempt int32 `json:"attempt"`
}

// DeployModelInput is an approved model to register and promote.
type DeployModelInput struct {
	Model string `json:"model"`
	// Version is the registered candidate; 0 registers the model first.
	Version    int          `json:"version,omitempty"`
	WorkflowID string       `json:"workflow_id"`
	Trained    TrainedModel `json:"trained"`
	Evaluation Evaluation   `json:"evaluation"`
	Approval   Approval     `json:"approval"`
	GatewayURL string       `json:"gateway_url,omitempty"`
	// Reference, Target and Spec: as RegisterCandidateInput's.
	Reference *artifact.Ref  `json:"reference,omitempty"`
	Target    string         `json:"target,omitempty"`
	Spec      *spec.Pipeline `json:"spec,omitempty"`
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

// CacheUse says whether a stage's activity may take the result the stage
// cache (internal/stagecache) holds for the same inputs, config and code
// version instead of computing it. Whatever it says, a stage that succeeds
// records its result there, so a resumed run can take it.
type CacheUse struct {
	Read bool `json:"read,omitempty"`
}

// CachedFrom says that a stage's result came from the stage cache: which
// run recorded it, and when.
type CachedFrom struct {
	WorkflowID string    `json:"workflow_id"`
	Created    time.Time `json:"created"`
	// Note says what was judged again for this run (freshness).
	Note string `json:"note,omitempty"`
}

// SearchCacheInput names a hyperparameter search by what determines its
// result: the training split, the base hyperparameters and the search
// block. LookupSearch takes it with Cache; RecordSearch with Result.
type SearchCacheInput struct {
	Model  string       `json:"model"`
	Train  artifact.Ref `json:"train"`
	Base   model.Config `json:"base"`
	Search tune.Search  `json:"search"`
	Cache  CacheUse     `json:"cache,omitzero"`
	// Result is the search's result (the workflow's SearchResult), to
	// record.
	Result json.RawMessage `json:"result,omitempty"`
}

// SearchCacheResult is what LookupSearch found: the recorded result and
// which run recorded it, or Found false.
type SearchCacheResult struct {
	Found  bool            `json:"found"`
	Result json.RawMessage `json:"result,omitempty"`
	Cached *CachedFrom     `json:"cached,omitempty"`
}

// RecordSearchResult says whether the search was recorded, and under
// which key of the stage cache.
type RecordSearchResult struct {
	Recorded bool   `json:"recorded"`
	Key      string `json:"key"`
}
