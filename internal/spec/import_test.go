package spec_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/spec"
)

const trainingStage = `  model_training:
    inputs: [feature_store]
    outputs: [trained_model]
    params: [hyperparameters.yaml]
`

// A training stage that imports a registered version loads, and its JSON
// carries the import to the workflow.
func TestImportOnTheTrainingStageLoads(t *testing.T) {
	file := copyExample(t, trainingStage, trainingStage+"    import: {version: 7}\n")
	p, err := spec.Load(file)
	require.NoError(t, err)
	st, ok := p.ImportStage()
	require.True(t, ok)
	assert.Equal(t, "model_training", st.Name)
	assert.Equal(t, &spec.Import{Version: 7}, st.Import)

	b, err := json.Marshal(p)
	require.NoError(t, err)
	var back spec.Pipeline
	require.NoError(t, json.Unmarshal(b, &back))
	require.NoError(t, back.Validate())
	st, ok = back.ImportStage()
	require.True(t, ok)
	assert.Equal(t, 7, st.Import.Version)

	require.NotNil(t, p.Search, "the example's params file carries a search, which an import leaves unused")
	_, ok = mustLoad(t, copyExample(t)).ImportStage()
	assert.False(t, ok, "the example trains")
}

func mustLoad(t *testing.T, file string) *spec.Pipeline {
	t.Helper()
	p, err := spec.Load(file)
	require.NoError(t, err)
	return p
}

// Each bad import is refused at load time, naming the setting and what to
// write instead.
func TestImportBadInputIsRefused(t *testing.T) {
	cases := []struct {
		name, old, new, want string
	}{
		{"version 0", trainingStage, trainingStage + "    import: {version: 0}\n",
			"stages.model_training.import.version 0: give the registry version of churn-classifier to evaluate, 1 or more (mlpipe models ls churn-classifier lists them)"},
		{"no version", trainingStage, trainingStage + "    import: {}\n",
			"stages.model_training.import.version 0: give the registry version"},
		{"misspelt key", trainingStage, trainingStage + "    import: {verison: 7}\n",
			`unknown key "stages.model_training.import.verison" (did you mean "version"?)`},
		{"not a number", trainingStage, trainingStage + "    import: {version: latest}\n",
			"latest"},
		{"on another stage", "    gate: [evaluation_threshold]\n", "    gate: [evaluation_threshold]\n    import: {version: 7}\n",
			"stages.model_deployment.import: only a model_training stage takes import (this stage is model_deployment); move it to the training stage"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := spec.Load(copyExample(t, c.old, c.new))
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
		})
	}
}

// A JSON workflow input with a misspelt import key is refused, not run as
// a training.
func TestImportUnknownJSONKeyIsRefused(t *testing.T) {
	p := mustLoad(t, copyExample(t))
	b, err := json.Marshal(p)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	stages := m["stages"].([]any)
	for _, s := range stages {
		if st := s.(map[string]any); st["name"] == "model_training" {
			st["import"] = map[string]any{"versoin": 7}
		}
	}
	b, err = json.Marshal(m)
	require.NoError(t, err)
	var back spec.Pipeline
	require.NoError(t, json.Unmarshal(b, &back))
	err = back.Validate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), `unknown key "stages[3].import.versoin" (did you mean "version"?)`)
}
