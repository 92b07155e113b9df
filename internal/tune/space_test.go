package tune

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

const specYAML = `
search:
  strategy: successive_halving
  n_iter: 20
  cv: 5
  scoring: f1
  seed: 42
  max_parallel: 4
  param_distributions:
    optimizer: [adam, sgd]
    learning_rate: {log_uniform: [0.001, 0.3]}
    l2: {uniform: [0, 0.01]}
    batch_size: [64, 128, 256]
    class_weight: [null, balanced]
  halving: {min_epochs: 5, max_epochs: 60, eta: 3}
`

func decodeSpec(t *testing.T, src string) (Search, error) {
	t.Helper()
	var doc struct {
		Search Search `yaml:"search"`
	}
	err := yaml.Unmarshal([]byte(src), &doc)
	return doc.Search, err
}

func TestSpaceYAMLKeepsOrderAndTypes(t *testing.T) {
	s, err := decodeSpec(t, specYAML)
	require.NoError(t, err)
	require.NoError(t, s.Validate())

	want := Space{
		{"optimizer", Choice("adam", "sgd")},
		{"learning_rate", LogUniform(0.001, 0.3)},
		{"l2", Uniform(0, 0.01)},
		{"batch_size", Choice(64, 128, 256)},
		{"class_weight", Choice(nil, "balanced")},
	}
	assert.Equal(t, want, s.ParamDistributions)
	assert.Equal(t, &Halving{MinEpochs: 5, MaxEpochs: 60, Eta: 3}, s.Halving)
	assert.Equal(t, int64(42), s.Seed)
}

func TestSearchJSONRoundTripsExactly(t *testing.T) {
	s, err := decodeSpec(t, specYAML)
	require.NoError(t, err)

	b, err := json.Marshal(s)
	require.NoError(t, err)
	// The space is an object in the spec's order, not sorted.
	assert.Contains(t, string(b), `"param_distributions":{"optimizer":["adam","sgd"],"learning_rate":{"log_uniform":[0.001,0.3]},"l2":{"uniform":[0,0.01]},"batch_size":[64,128,256],"class_weight":[null,"balanced"]}`)

	var back Search
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, s, back)

	again, err := json.Marshal(back)
	require.NoError(t, err)
	assert.Equal(t, string(b), string(again))
}

func TestSpaceYAMLRoundTrip(t *testing.T) {
	s, err := decodeSpec(t, specYAML)
	require.NoError(t, err)
	out, err := yaml.Marshal(s.ParamDistributions)
	require.NoError(t, err)
	var back Space
	require.NoError(t, yaml.Unmarshal(out, &back))
	assert.Equal(t, s.ParamDistributions, back)
}

func TestSpaceDecodeErrorsNameParamAndLine(t *testing.T) {
	cases := []struct {
		name, body, want string
	}{
		{"log of zero", "learning_rate: {log_uniform: [0, 0.3]}",
			"param_distributions.learning_rate (line 1): log_uniform: [0, 0.3]: low must be > 0"},
		{"reversed", "l2: {uniform: [0.1, 0.01]}",
			"param_distributions.l2 (line 1): uniform: [0.1, 0.01]: low must be less than high"},
		{"fractional int bound", "epochs: {int_uniform: [1.5, 10]}",
			"param_distributions.epochs (line 1): int_uniform: [1.5, 10]: bounds must be whole numbers"},
		{"unknown kind", "l2: {normal: [0, 1]}",
			`param_distributions.l2 (line 1): distribution "normal" is not supported`},
		{"one bound", "l2: {uniform: [0]}",
			"param_distributions.l2 (line 1): uniform needs two bounds"},
		{"scalar", "optimizer: adam",
			"param_distributions.optimizer (line 1): want a list of values"},
		{"bool", "optimizer: [adam, true]",
			"param_distributions.optimizer (line 1): value 2: true is a !!bool"},
		{"empty", "optimizer: []",
			"param_distributions.optimizer (line 1): the list of values is empty"},
		{"unknown name", "x: [1]\nmomentum: [0.9, 0.99]",
			"param_distributions.x (line 1): unknown parameter; tunable parameters are activation, batch_size, class_weight, colsample_bytree, dropout, early_stopping_rounds, epochs, hidden_units, kind, l2, learning_rate, max_bin, max_depth, min_child_weight, n_estimators, optimizer, patience, reg_alpha, reg_lambda, subsample, tol, validation_fraction"},
		{"hidden layer lists", "hidden: [[16], [32]]",
			"param_distributions.hidden (line 1): hidden (the list of layer widths) cannot be searched; search hidden_units, the width of the mlp's hidden layer, e.g. hidden_units: [16, 32, 64] with hyperparameters.kind: mlp"},
		{"duplicate", "l2: [0]\nl2: [1]",
			"param_distributions.l2 (line 2) appears twice"},
		{"float for int", "batch_size: {uniform: [16, 64]}",
			"param_distributions.batch_size (line 1): batch_size takes a whole number; use int_uniform"},
		{"number for string", "optimizer: [adam, 3]",
			"param_distributions.optimizer (line 1): value 2: optimizer takes a string, not the number 3"},
		{"fraction in int list", "batch_size: [64, 96.5]",
			"param_distributions.batch_size (line 1): value 2: batch_size takes a whole number, not 96.5"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var s Space
			err := yaml.Unmarshal([]byte(c.body), &s)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
		})
	}
}

func TestSpaceJSONDecodeErrors(t *testing.T) {
	cases := []struct{ body, want string }{
		{`{"learning_rate":{"log_uniform":[-1,1]}}`, "param_distributions.learning_rate: log_uniform: [-1, 1]: low must be > 0"},
		{`{"l2":{"uniform":[0,1],"log_uniform":[1,2]}}`, "param_distributions.l2: give exactly one of uniform, log_uniform, int_uniform"},
		{`{"l2":{"gauss":[0,1]}}`, "param_distributions.l2: want one of"},
		{`{"l2":{"uniform":[0,1,2]}}`, "param_distributions.l2: uniform needs exactly two bounds"},
		{`{"optimizer":["adam",{"x":1}]}`, "param_distributions.optimizer: value 2 is map[x:1]"},
		{`{"l2":[0],"l2":[1]}`, "param_distributions.l2 appears twice"},
		{`["l2"]`, "param_distributions must be an object"},
		{`{"nope":[1]}`, `param_distributions.nope: unknown parameter`},
		{`{"hidden":[[16],[32]]}`, `param_distributions.hidden: hidden (the list of layer widths) cannot be searched; search hidden_units`},
		{`{"epochs":{"int_uniform":[10,60]},"kind":"logistic"}`, "param_distributions.kind: want a list of values"},
	}
	for _, c := range cases {
		var s Space
		err := json.Unmarshal([]byte(c.body), &s)
		require.Error(t, err, c.body)
		assert.Contains(t, err.Error(), c.want, c.body)
	}
}

func TestSpaceValidateCatchesSpacesBuiltInCode(t *testing.T) {
	assert.ErrorContains(t, Space{}.Validate(), "param_distributions is empty")
	assert.ErrorContains(t, Space{{"epochs", IntUniform(60, 10)}}.Validate(),
		"param_distributions.epochs: int_uniform: [60, 10]: low must not exceed high")
	assert.ErrorContains(t, Space{{"optimizer", Choice(true)}}.Validate(),
		"param_distributions.optimizer: value 1 is true (bool); values must be strings, numbers or null")
	assert.ErrorContains(t, Space{{"optimizer", IntUniform(1, 3)}}.Validate(),
		"optimizer takes a string; give a list of values instead of int_uniform")
	assert.NoError(t, Space{{"learning_rate", IntUniform(1, 3)}, {"epochs", IntUniform(5, 5)}}.Validate())
}

func TestSpaceStringNamesEveryParameter(t *testing.T) {
	s := Space{{Name: "batch_size", Dist: Choice(64, 128)}, {Name: "learning_rate", Dist: LogUniform(0.001, 0.1)}}
	assert.Equal(t, "batch_size [64 128], learning_rate log_uniform [0.001, 0.1]", s.String())
}
