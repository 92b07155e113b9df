package model

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

func TestDefaultsFillOnlyZeroFields(t *testing.T) {
	got := Config{Epochs: 3}.Defaults()
	assert.Equal(t, Config{Kind: "logistic", Epochs: 3, LearningRate: 0.05, BatchSize: 256, Optimizer: "adam"}, got)
	assert.NoError(t, got.Validate())
}

func TestValidateNamesTheBadField(t *testing.T) {
	good := Config{}.Defaults()
	cases := []struct {
		name   string
		mutate func(*Config)
		want   []string
	}{
		{"kind", func(c *Config) { c.Kind = "svm" }, []string{"kind", `"svm"`, "logistic", "mlp"}},
		{"epochs", func(c *Config) { c.Epochs = -1 }, []string{"epochs", ">= 1"}},
		{"lr zero", func(c *Config) { c.LearningRate = -0.1 }, []string{"learning_rate", "> 0"}},
		{"lr nan", func(c *Config) { c.LearningRate = math.NaN() }, []string{"learning_rate", "finite"}},
		{"batch", func(c *Config) { c.BatchSize = -5 }, []string{"batch_size", ">= 1"}},
		{"l2", func(c *Config) { c.L2 = -1 }, []string{"l2", ">= 0"}},
		{"optimizer", func(c *Config) { c.Optimizer = "rmsprop" }, []string{"optimizer", "sgd", "momentum", "adam", "lbfgs"}},
		{"tol negative", func(c *Config) { c.Optimizer, c.Tol = "lbfgs", -1e-4 }, []string{"tol is -0.0001", ">= 0"}},
		{"tol without lbfgs", func(c *Config) { c.Tol = 1e-6 }, []string{"tol is set but optimizer is \"adam\"", "optimizer: lbfgs only"}},
		{"dropout with lbfgs", func(c *Config) {
			c.Kind, c.Hidden, c.Activation, c.Dropout, c.Optimizer = "mlp", []int{8}, "relu", 0.2, "lbfgs"
		}, []string{"dropout is 0.2 but optimizer is lbfgs", "set dropout: 0"}},
		{"class weight", func(c *Config) { c.ClassWeight = "auto" }, []string{"class_weight", "balanced"}},
		{"classes", func(c *Config) { c.Classes = 1 }, []string{"classes is 1", ">= 3"}},
		{"validation", func(c *Config) { c.ValidationFraction = 1 }, []string{"validation_fraction", "< 1"}},
		{"patience alone", func(c *Config) { c.Patience = 3 }, []string{"patience is 3", "set validation_fraction"}},
		{"hidden on logistic", func(c *Config) { c.Hidden = []int{4} }, []string{"hidden", "kind: mlp"}},
		{"hidden width", func(c *Config) { c.Kind, c.Hidden, c.Activation = "mlp", []int{8, 0}, "relu" }, []string{"hidden[1] is 0"}},
		{"activation", func(c *Config) { c.Kind, c.Hidden, c.Activation = "mlp", []int{8}, "gelu" }, []string{"activation", "relu", "tanh"}},
		{"dropout", func(c *Config) { c.Kind, c.Hidden, c.Activation, c.Dropout = "mlp", []int{8}, "relu", 1 }, []string{"dropout", "< 1"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := good
			tc.mutate(&c)
			err := c.Validate()
			require.Error(t, err)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestLBFGSDefaultsAndYAML(t *testing.T) {
	got := Config{Optimizer: "lbfgs"}.Defaults()
	assert.Equal(t, 100, got.Epochs, "scikit-learn's max_iter")
	assert.Equal(t, 1e-4, got.Tol, "scikit-learn's tol")
	assert.Equal(t, 256, got.BatchSize, "filled in, and ignored")
	require.NoError(t, got.Validate())
	assert.Equal(t, 7, Config{Optimizer: "lbfgs", Epochs: 7, Tol: 1e-8}.Defaults().Epochs)
	assert.Equal(t, 1e-8, Config{Optimizer: "lbfgs", Epochs: 7, Tol: 1e-8}.Defaults().Tol)
	assert.Zero(t, Config{}.Defaults().Tol, "other optimizers have no tol")

	var c Config
	require.NoError(t, yaml.Unmarshal([]byte("optimizer: lbfgs\ntol: 1e-6\nepochs: 50\n"), &c))
	assert.Equal(t, Config{Optimizer: "lbfgs", Tol: 1e-6, Epochs: 50}, c)
	require.NoError(t, c.Defaults().Validate())
	mlp := Config{Kind: "mlp", Optimizer: "lbfgs"}.Defaults()
	assert.NoError(t, mlp.Validate(), "an mlp trains with lbfgs too")
}

func TestConfigSnakeCaseInYAMLAndJSON(t *testing.T) {
	src := "kind: logistic\nepochs: 7\nlearning_rate: 0.01\nbatch_size: 64\nl2: 0.001\noptimizer: momentum\nseed: 42\nclass_weight: balanced\n"
	want := Config{Kind: "logistic", Epochs: 7, LearningRate: 0.01, BatchSize: 64, L2: 0.001, Optimizer: "momentum", Seed: 42, ClassWeight: "balanced"}
	var fromYAML Config
	require.NoError(t, yaml.Unmarshal([]byte(src), &fromYAML))
	assert.Equal(t, want, fromYAML)

	b, err := json.Marshal(want)
	require.NoError(t, err)
	assert.JSONEq(t, `{"kind":"logistic","epochs":7,"learning_rate":0.01,"batch_size":64,"l2":0.001,"optimizer":"momentum","seed":42,"class_weight":"balanced"}`, string(b))
}

func TestMLPDefaultsAndYAML(t *testing.T) {
	got := Config{Kind: "mlp"}.Defaults()
	assert.Equal(t, []int{32}, got.Hidden)
	assert.Equal(t, "relu", got.Activation)
	require.NoError(t, got.Validate())

	var c Config
	require.NoError(t, yaml.Unmarshal([]byte("kind: mlp\nhidden: [64, 32]\nactivation: tanh\ndropout: 0.1\nclasses: 4\nvalidation_fraction: 0.1\npatience: 3\n"), &c))
	assert.Equal(t, Config{Kind: "mlp", Hidden: []int{64, 32}, Activation: "tanh", Dropout: 0.1, Classes: 4, ValidationFraction: 0.1, Patience: 3}, c)
}
