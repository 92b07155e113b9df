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
		{"kind", func(c *Config) { c.Kind = "mlp" }, []string{"kind", `"mlp"`, "logistic"}},
		{"epochs", func(c *Config) { c.Epochs = -1 }, []string{"epochs", ">= 1"}},
		{"lr zero", func(c *Config) { c.LearningRate = -0.1 }, []string{"learning_rate", "> 0"}},
		{"lr nan", func(c *Config) { c.LearningRate = math.NaN() }, []string{"learning_rate", "finite"}},
		{"batch", func(c *Config) { c.BatchSize = -5 }, []string{"batch_size", ">= 1"}},
		{"l2", func(c *Config) { c.L2 = -1 }, []string{"l2", ">= 0"}},
		{"optimizer", func(c *Config) { c.Optimizer = "rmsprop" }, []string{"optimizer", "sgd", "momentum", "adam"}},
		{"class weight", func(c *Config) { c.ClassWeight = "auto" }, []string{"class_weight", "balanced"}},
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
