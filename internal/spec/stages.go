package spec

import (
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Stage kinds: what a stage does. A stage's kind defaults to its name, so
// the seed's DAG is accepted as written.
const (
	KindIngestion   = "data_ingestion"
	KindValidation  = "data_validation"
	KindFeatures    = "feature_engineering"
	KindTraining    = "model_training"
	KindEvaluation  = "model_evaluation"
	KindDeployment  = "model_deployment"
	CheckSchema     = "schema"
	CheckComplete   = "completeness"
	CheckFreshness  = "freshness"
	CheckExpections = "expectations"
	GateThreshold   = "evaluation_threshold"
)

// Kinds lists every stage kind, in pipeline order.
var Kinds = []string{KindIngestion, KindValidation, KindFeatures, KindTraining, KindEvaluation, KindDeployment}

// External inputs: names no stage produces that the spec's data block feeds.
const (
	SourceRaw  = "raw_data_source"
	SourceTest = "test_dataset"
)

// Stage is one node of the DAG.
type Stage struct {
	Name    string   `json:"name" yaml:"-"`
	Kind    string   `json:"kind,omitempty" yaml:"kind"`
	Inputs  []string `json:"inputs" yaml:"inputs"`
	Outputs []string `json:"outputs" yaml:"outputs"`
	// Checks selects data_validation checks: schema, completeness,
	// freshness, expectations. Empty means all that are configured.
	Checks []string `json:"checks,omitempty" yaml:"checks"`
	// Params names YAML files merged into the hyperparameters; they are
	// inlined when the spec is resolved and kept here for the record.
	Params []string `json:"params,omitempty" yaml:"params"`
	// Gate lists gate rules for model_deployment: evaluation_threshold.
	Gate []string `json:"gate,omitempty" yaml:"gate"`
	// Timeout bounds one attempt of the stage's activity.
	Timeout Duration `json:"timeout,omitempty" yaml:"timeout"`
	// Retries bounds attempts of the stage's activity (default 5).
	Retries int `json:"retries,omitempty" yaml:"retries"`
	// Heartbeat is how long a training attempt may go without a
	// heartbeat before it is retried, from its last checkpoint, on another
	// worker (default 1m).
	Heartbeat Duration `json:"heartbeat,omitempty" yaml:"heartbeat"`
	// Import makes model_training take a registered version instead of
	// training one (see Import).
	Import *Import `json:"import,omitempty" yaml:"import"`
	// Cache overrides the pipeline's `cache:` for this stage (see
	// Pipeline.Cache); deployment is never cached.
	Cache *bool `json:"cache,omitempty" yaml:"cache"`
}

// KindOrName is the stage's kind, defaulting to its name.
func (s Stage) KindOrName() string {
	if s.Kind != "" {
		return s.Kind
	}
	return s.Name
}

// Stages keeps the DAG's nodes in the order the spec lists them. In YAML it
// is a mapping from stage name to stage, as in the seed; in JSON a list.
type Stages []Stage

// UnmarshalYAML reads the seed's `stages:` mapping, keeping its order.
func (s *Stages) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: stages must be a mapping of stage name to {inputs, outputs}", n.Line)
	}
	out := make(Stages, 0, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if err := checkStageKeys(k.Value, v); err != nil {
			return err
		}
		var st Stage
		if err := v.Decode(&st); err != nil {
			return fmt.Errorf("stage %s (line %d): %w", k.Value, k.Line, err)
		}
		st.Name = k.Value
		out = append(out, st)
	}
	*s = out
	return nil
}

// stageKeys are the keys a stage accepts. Node.Decode is not strict, so
// they are checked here: a typo such as `gates:` must not silently drop the
// deployment gate.
var stageKeys = []string{"kind", "inputs", "outputs", "checks", "params", "gate", "timeout", "retries", "heartbeat", "import", "cache"}

func checkStageKeys(name string, v *yaml.Node) error {
	if v.Kind != yaml.MappingNode {
		return nil // Decode reports the wrong shape
	}
	for i := 0; i+1 < len(v.Content); i += 2 {
		if key := v.Content[i]; !slices.Contains(stageKeys, key.Value) {
			return fmt.Errorf("stage %s: line %d: unknown key %q; use %s", name, key.Line, key.Value, strings.Join(stageKeys, ", "))
		}
	}
	return nil
}

// ByName finds a stage.
func (s Stages) ByName(name string) (Stage, bool) {
	for _, st := range s {
		if st.Name == name {
			return st, true
		}
	}
	return Stage{}, false
}
