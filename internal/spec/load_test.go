package spec_test

import (
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/model"
	"github.com/mlpipe/mlpipe/internal/spec"
)

func TestLoadExample(t *testing.T) {
	path := copyExample(t)
	p, err := spec.Load(path)
	require.NoError(t, err)

	assert.Equal(t, "churn", p.Name)
	assert.Equal(t, "churn-classifier", p.Model)
	assert.Equal(t, seedStages(), p.Stages, "the stages block is the seed's DAG, in order")

	// data.source is relative in the YAML: resolved against the spec's folder.
	assert.Equal(t, "file://"+filepath.Join(filepath.Dir(path), "data", "churn.csv"), p.Data.Source)
	assert.True(t, filepath.IsAbs(p.Data.Source[len("file://"):]))

	// model_training's params: [hyperparameters.yaml] is inlined.
	assert.Equal(t, model.Config{
		Kind: "logistic", Optimizer: "adam", Epochs: 40, LearningRate: 0.05,
		BatchSize: 128, L2: 0.0001, Seed: 7,
	}, p.Hyperparameters)

	assert.Equal(t, map[string]float64{"f1": 0.80, "log_loss": 0.35}, p.EvaluationThreshold)
	assert.Equal(t, map[string]float64{"f1": 0.01}, p.ChampionThreshold)
	require.NotNil(t, p.Search, "the search comes from hyperparameters.yaml")
	assert.Equal(t, 6, p.Search.NIter)
	assert.Equal(t, 3, p.Search.CV)
	assert.Equal(t, []string{"learning_rate", "l2", "batch_size"}, []string{
		p.Search.ParamDistributions[0].Name, p.Search.ParamDistributions[1].Name, p.Search.ParamDistributions[2].Name})
	assert.Equal(t, spec.Evaluation{
		Slices:    []spec.Slice{{Column: "status"}, {Column: "plan"}, {Column: "age", Buckets: []float64{0, 30, 50, 70, 150}}},
		Bootstrap: 1000, GateOn: spec.GateOnPoint, Threshold: 0.5,
	}, p.Evaluation)
	assert.Equal(t, []string{"alice", "bob", "demo"}, p.Approval.Approvers)
	assert.Equal(t, 72*time.Hour, p.Approval.Timeout.D())
	assert.True(t, p.Approval.IsRequired())
	assert.Equal(t, "canary", p.Deployment.Strategy)
	// Validate copies the label into the feature spec.
	assert.Equal(t, "churned", p.Features.Target)
	assert.Equal(t, "yes", p.Features.Positive)
	assert.Len(t, p.Expectations, 6)
}

func TestExampleJSONRoundTrip(t *testing.T) {
	p, err := spec.Load(copyExample(t))
	require.NoError(t, err)

	b, err := json.Marshal(p)
	require.NoError(t, err)
	back, err := spec.DecodeJSON(b)
	require.NoError(t, err)
	assert.Equal(t, p, back)

	require.NoError(t, back.Validate(), "the workflow validates its JSON input again")
	assert.Equal(t, p, back, "validating a resolved spec changes nothing")
	// The duration travels as text, so the JSON stays readable.
	assert.Contains(t, string(b), `"timeout":"72h0m0s"`)
}

func TestDecodeJSONRejectsUnknownField(t *testing.T) {
	_, err := spec.DecodeJSON([]byte(`{"name":"churn","modle":"x"}`))
	require.Error(t, err)
	assert.Equal(t, `invalid pipeline spec: unknown key "modle" (did you mean "model"?)`, err.Error())
}
