package model

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// max_depth crosses Temporal as JSON: null is unlimited depth, a number a
// limit, and left out the default; None (pasted from Python) reads as null.
func TestGBTDepthRoundTrips(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Depth
	}{{`{"kind":"gradient_boosting","max_depth":null}`, DepthUnlimited}, {`{"kind":"gradient_boosting","max_depth":"None"}`, DepthUnlimited},
		{`{"kind":"gradient_boosting","max_depth":7}`, 7}, {`{"kind":"gradient_boosting"}`, 0}} {
		var cfg Config
		require.NoError(t, json.Unmarshal([]byte(c.in), &cfg), c.in)
		require.Equal(t, c.want, cfg.MaxDepth, c.in)
		b, err := json.Marshal(cfg)
		require.NoError(t, err)
		var back Config
		require.NoError(t, json.Unmarshal(b, &back))
		require.Equal(t, c.want, back.MaxDepth, "%s → %s", c.in, b)
	}
	var cfg Config
	require.NoError(t, yaml.Unmarshal([]byte("kind: gradient_boosting\nmax_depth: None\n"), &cfg))
	require.Equal(t, DepthUnlimited, cfg.MaxDepth)
	require.Nil(t, cfg.Defaults().GBT().MaxDepth)
	require.Equal(t, 6, *Config{Kind: KindGradientBoosting}.Defaults().GBT().MaxDepth)
	require.ErrorContains(t, json.Unmarshal([]byte(`{"max_depth":2.5}`), &cfg), "max_depth 2.5: give a whole number >= 1, or null for unlimited depth")
}

// Defaults fill XGBoost's values and only those; an explicit 0 of a
// parameter whose 0 is valid (reg_lambda) stays 0.
func TestGBTDefaultsAndValidate(t *testing.T) {
	zero := 0.0
	c := Config{Kind: KindGradientBoosting, RegLambda: &zero}.Defaults()
	require.NoError(t, c.Validate())
	p := c.GBT()
	require.Equal(t, 100, p.NEstimators)
	require.Equal(t, 0.3, p.LearningRate)
	require.Equal(t, 0.0, p.RegLambda)
	require.Equal(t, 1.0, p.MinChildWeight)
	require.Zero(t, c.Epochs, "no epochs for a tree model")

	bad := Config{Kind: KindGradientBoosting, Epochs: 10}.Defaults()
	require.EqualError(t, bad.Validate(), "model config: epochs is not a parameter of kind gradient_boosting (its nearest is n_estimators); remove it, or set kind: mlp (or logistic)")
	bad = Config{Kind: KindLogistic, MaxBin: 64}.Defaults()
	require.EqualError(t, bad.Validate(), "model config: max_bin is a parameter of kind gradient_boosting, not of kind logistic; remove it, or set kind: gradient_boosting")
	require.Equal(t, 90, Config{Kind: KindGradientBoosting}.WithBudget(90).NEstimators)
	require.Equal(t, 90, Config{Kind: KindMLP}.WithBudget(90).Epochs)
}
