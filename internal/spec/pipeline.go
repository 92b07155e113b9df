package spec

import (
	"github.com/mlpipe/mlpipe/internal/expect"
	"github.com/mlpipe/mlpipe/internal/features"
	"github.com/mlpipe/mlpipe/internal/model"
	"github.com/mlpipe/mlpipe/internal/rollout"
	"github.com/mlpipe/mlpipe/internal/tune"
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
	// Search, when set, runs a HyperparameterSearch before training: the
	// best trial's parameters, set on Hyperparameters, are retrained on
	// the whole training split. It may also come from a params file's
	// `search:` key.
	Search *tune.Search `json:"search,omitempty" yaml:"search"`
	// EvaluationThreshold is the seed's gate: metric name → bound. Metrics
	// where higher is better must reach the bound; loss metrics must not
	// exceed it.
	EvaluationThreshold map[string]float64 `json:"evaluation_threshold,omitempty" yaml:"evaluation_threshold"`
	// ChampionThreshold bounds how much worse than the production model a
	// candidate may be: metric → largest allowed drop (rise, for losses).
	// The first version of a model has no champion and skips it.
	ChampionThreshold map[string]float64 `json:"champion_threshold,omitempty" yaml:"champion_threshold"`
	Evaluation        Evaluation         `json:"evaluation" yaml:"evaluation"`
	Approval          Approval           `json:"approval" yaml:"approval"`
	Deployment        Deployment         `json:"deployment" yaml:"deployment"`

	// Stages is the DAG, in the order the spec lists them.
	Stages Stages `json:"stages" yaml:"stages"`

	// Monitoring configures alerts on the production model and the
	// retraining they may start.
	Monitoring *Monitoring `json:"monitoring,omitempty" yaml:"monitoring"`

	// Cache is the stage cache's switch. Left out, ingestion, validation
	// and feature engineering take a result recorded for the same inputs
	// and config instead of recomputing; true adds training (when its seed
	// is fixed) and evaluation; false turns every read off. Every stage
	// records its result whatever it says, so a resumed run finds it.
	Cache *bool `json:"cache,omitempty" yaml:"cache"`
	// Resume is set on a run `mlpipe run --resume` started in place of a
	// failed one: every stage then reads the cache (JSON only).
	Resume *Resume `json:"resume,omitempty" yaml:"-"`

	// Trigger is set on a run the closed loop started for an alert.
	Trigger *Trigger `json:"trigger,omitempty" yaml:"-"`

	// inputProblems are what decoding the JSON input found wrong (keys no
	// field takes, values that did not decode); Validate reports them.
	inputProblems []string
	// inputBroken is set when the JSON input did not decode in full.
	inputBroken bool
	// zeros are the paths of settings written as 0 whose 0 would
	// otherwise silently mean "the default" (see defaultedZeros).
	zeros []string
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
	// Positive is the label value that counts as the positive class of a
	// binary target.
	Positive string `json:"positive" yaml:"positive"`
	// Classes lists the target's classes in the order the model numbers
	// them. Three or more make a multi-class (softmax) model; two are a
	// binary target's [negative, positive]. Left out, a multi-class
	// target (hyperparameters.classes >= 3) takes its classes from the
	// training data, sorted.
	Classes []string `json:"classes,omitempty" yaml:"classes"`
}

// Evaluation configures model_evaluation beyond the metrics themselves.
type Evaluation struct {
	// Slices are columns whose values (or numeric buckets) get their own
	// metrics, e.g. status, or age in buckets.
	Slices []Slice `json:"slices,omitempty" yaml:"slices"`
	// Bootstrap is the number of resamples behind the 95% intervals
	// (default 1000; -1 turns intervals off).
	Bootstrap int `json:"bootstrap,omitempty" yaml:"bootstrap"`
	// GateOn is "point" (default) or "lower_bound": gate rules then
	// compare the interval's pessimistic end.
	GateOn string `json:"gate_on,omitempty" yaml:"gate_on"`
	// Threshold is the probability above which the positive label is
	// predicted (default 0.5). Binary only: a multi-class model predicts
	// its most probable class.
	Threshold float64 `json:"threshold,omitempty" yaml:"threshold"`
}

// Slice names a column to slice the test set by. A numeric column needs
// Buckets: ascending edges, each bucket [edge_i, edge_i+1).
type Slice struct {
	Column  string    `json:"column" yaml:"column"`
	Buckets []float64 `json:"buckets,omitempty" yaml:"buckets"`
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
	// Strategy is "direct" (the approved version becomes production at
	// once), "canary" (a growing share of live traffic, compared with
	// production, then cut over or rolled back) or "shadow" (mirrored
	// traffic, compared, never served, then switched or discarded).
	Strategy string `json:"strategy,omitempty" yaml:"strategy"`
	// GatewayURL is the serving gateway: told to reload after a direct
	// promotion, and driven through its admin API by the rollouts.
	GatewayURL string `json:"gateway_url,omitempty" yaml:"gateway_url"`
	// Steps are the canary's traffic weights and how long each holds
	// (default: the seed's 5% for 24h, then 25% and 50% for 8h each, then
	// the cutover). Holds add up to at most 48h.
	Steps []CanaryStep `json:"steps,omitempty" yaml:"steps"`
	// AnalysisInterval is how often the rollout compares candidate and
	// production (default 1h).
	AnalysisInterval Duration `json:"analysis_interval,omitempty" yaml:"analysis_interval"`
	// FailureLimit is how many failed analyses in a row roll the canary
	// back (default 2).
	FailureLimit int `json:"failure_limit,omitempty" yaml:"failure_limit"`
	// Criteria bound how much worse than production the candidate may be.
	Criteria rollout.Criteria `json:"criteria,omitempty" yaml:"criteria"`
	// StickyKey pins a caller to one variant by this row field.
	StickyKey string `json:"sticky_key,omitempty" yaml:"sticky_key"`
	// Mirror is the percentage of requests a shadow sees (default 100).
	Mirror float64 `json:"mirror,omitempty" yaml:"mirror"`
	// Window is how long a shadow runs (default 24h, at most 48h).
	Window Duration `json:"window,omitempty" yaml:"window"`
	// ApproveSwitch makes a person approve a shadow's switch.
	ApproveSwitch bool `json:"approve_switch,omitempty" yaml:"approve_switch"`
	// ContinueAsNewAt is the history length (events) at which a canary or
	// shadow hands its state to a new run of the same workflow ID
	// (default DefaultContinueAsNewAt, MinContinueAsNewAt to
	// MaxContinueAsNewAt), so that a long rollout analysed often never
	// nears Temporal's history limits.
	ContinueAsNewAt int `json:"continue_as_new_at,omitempty" yaml:"continue_as_new_at"`
}

// CanaryStep is one traffic weight and how long it holds.
type CanaryStep struct {
	// Weight is the percentage of requests the candidate answers.
	Weight float64 `json:"weight" yaml:"weight"`
	// Hold is how long the weight is kept and analysed.
	Hold Duration `json:"hold" yaml:"hold"`
}

// Deployment strategies.
const (
	StrategyDirect = "direct"
	StrategyCanary = "canary"
	StrategyShadow = "shadow"
)

// MaxRollout bounds a rollout's holds, as the seed's 24–48 hours do.
const MaxRollout = Duration(48 * 60 * 60 * 1e9)

// DefaultCanarySteps is the seed's schedule: 5% compared for 24 hours,
// then 25% and 50%, then full cutover.
func DefaultCanarySteps() []CanaryStep {
	h := func(n int) Duration { return Duration(int64(n) * 60 * 60 * 1e9) }
	return []CanaryStep{{Weight: 5, Hold: h(24)}, {Weight: 25, Hold: h(8)}, {Weight: 50, Hold: h(8)}}
}

// DefaultApprovalTimeout applies when a spec names none.
const DefaultApprovalTimeout = Duration(72 * 60 * 60 * 1e9)
