package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/model"
	"github.com/mlpipe/mlpipe/internal/tune"
)

func gbsBase() model.Config {
	return model.Config{Kind: model.KindGradientBoosting, NEstimators: 100, MaxDepth: 6, LearningRate: 0.1, Seed: 7}.Defaults()
}

// The seed's space, as search_gbt.yaml decodes it: None is a string.
func gbsSeedSpace() tune.Space {
	return tune.Space{
		{Name: "n_estimators", Dist: tune.Choice(100, 200, 500)},
		{Name: "max_depth", Dist: tune.Choice(5, 10, 20, "None")},
		{Name: "learning_rate", Dist: tune.Choice(0.01, 0.05, 0.1)},
	}
}

func TestGbsSeedSpaceReachesPythonWithNoneAsNull(t *testing.T) {
	space, ok := wireSpace(gbsSeedSpace())
	require.True(t, ok)
	assert.Equal(t, "max_depth", space[1][0])
	// A "None" string would reach XGBClassifier as a depth and fail every
	// fit of an unlimited-depth trial.
	assert.Equal(t, []any{5.0, 10.0, 20.0, nil}, space[1][1])

	trials, err := tune.Sample(gbsSeedSpace(), 36, 42)
	require.NoError(t, err)
	points, err := wirePoints(gbsBase(), trials)
	require.NoError(t, err)
	unlimited := 0
	for _, p := range points {
		if p["max_depth"] == nil {
			unlimited++
		}
	}
	assert.Equal(t, 9, unlimited, "a quarter of the 36-point grid is max_depth None")
}

func TestGbsRefusesASearchScikitLearnWouldRunDifferently(t *testing.T) {
	random := tune.Search{Strategy: tune.StrategyRandom, NIter: 20, CV: 5, Scoring: "f1", ParamDistributions: gbsSeedSpace()}
	require.NoError(t, comparable(gbsBase(), random))

	mlp := gbsBase()
	mlp.Kind = model.KindMLP
	early := gbsBase()
	early.ValidationFraction, early.EarlyStoppingRounds = 0.1, 10
	balanced := gbsBase()
	balanced.ClassWeight = "balanced"
	multi := gbsBase()
	multi.Classes = 3
	halving := random
	halving.Strategy = tune.StrategySuccessiveHalving
	byWeight := random
	byWeight.ParamDistributions = tune.Space{{Name: "class_weight", Dist: tune.Choice("balanced")}}
	for name, c := range map[string]struct {
		base model.Config
		s    tune.Search
		want string
	}{
		"another kind":           {mlp, random, `hyperparameters.kind is "mlp"`},
		"halving":                {gbsBase(), halving, "search.strategy"},
		"early stopping":         {early, random, "early stopping"},
		"class weights":          {balanced, random, "class_weight"},
		"three classes":          {multi, random, "hyperparameters.classes is 3"},
		"searching class_weight": {gbsBase(), byWeight, "search.param_distributions.class_weight"},
	} {
		t.Run(name, func(t *testing.T) {
			err := comparable(c.base, c.s)
			require.Error(t, err)
			assert.True(t, strings.Contains(err.Error(), c.want), "%q should name %q", err, c.want)
		})
	}
}
