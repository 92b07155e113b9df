package spec_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/gen"
	"github.com/mlpipe/mlpipe/internal/spec"
)

// exampleDir is the churn example shipped in dev/examples.
const exampleDir = "../../dev/examples/churn"

// copyExample copies the example pipeline.yaml and hyperparameters.yaml into
// a temp folder beside a small generated data/churn.csv, applying each
// old→new replacement to pipeline.yaml. It returns the spec's path.
func copyExample(t *testing.T, replacements ...string) string {
	t.Helper()
	require.Zero(t, len(replacements)%2, "replacements come in old, new pairs")
	dir := t.TempDir()
	for _, name := range []string{"pipeline.yaml", "hyperparameters.yaml"} {
		b, err := os.ReadFile(filepath.Join(exampleDir, name))
		require.NoError(t, err)
		text := string(b)
		if name == "pipeline.yaml" {
			for i := 0; i < len(replacements); i += 2 {
				require.Contains(t, text, replacements[i], "replacement target missing from the example")
				text = strings.Replace(text, replacements[i], replacements[i+1], 1)
			}
		}
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644))
	}
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "data"), 0o755))
	f, err := os.Create(filepath.Join(dir, "data", "churn.csv"))
	require.NoError(t, err)
	require.NoError(t, gen.Churn(f, 20, 1, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)))
	require.NoError(t, f.Close())
	return filepath.Join(dir, "pipeline.yaml")
}

// seedStages is the seed's six-stage DAG, as the example writes it.
func seedStages() spec.Stages {
	return spec.Stages{
		{Name: "data_ingestion", Inputs: []string{"raw_data_source"}, Outputs: []string{"raw_dataset"}},
		{Name: "data_validation", Inputs: []string{"raw_dataset"}, Outputs: []string{"validated_dataset"},
			Checks: []string{"schema", "completeness", "freshness"}},
		{Name: "feature_engineering", Inputs: []string{"validated_dataset"}, Outputs: []string{"feature_store"}},
		{Name: "model_training", Inputs: []string{"feature_store"}, Outputs: []string{"trained_model"},
			Params: []string{"hyperparameters.yaml"}},
		{Name: "model_evaluation", Inputs: []string{"trained_model", "test_dataset"}, Outputs: []string{"evaluation_report"}},
		{Name: "model_deployment", Inputs: []string{"trained_model", "evaluation_report"}, Outputs: []string{"deployed_model"},
			Gate: []string{"evaluation_threshold"}},
	}
}

// minimal is a valid pipeline built in Go: the seed's DAG without checks or
// params, so each test changes only what it is about.
func minimal() *spec.Pipeline {
	st := seedStages()
	st[1].Checks = nil
	st[3].Params = nil
	return &spec.Pipeline{
		Name:                "churn",
		Model:               "churn-classifier",
		Data:                spec.Data{Source: "file:///data/churn.csv", Target: "churned", Positive: "yes"},
		EvaluationThreshold: map[string]float64{"f1": 0.8},
		Stages:              st,
	}
}

// stage builds a stage for DAG tests.
func stage(name string, inputs, outputs []string) spec.Stage {
	return spec.Stage{Name: name, Inputs: inputs, Outputs: outputs}
}

func names(stages []spec.Stage) []string {
	out := make([]string, len(stages))
	for i, st := range stages {
		out[i] = st.Name
	}
	return out
}
