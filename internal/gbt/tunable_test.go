package gbt_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/gbt"
)

// The seed's param_distributions, as YAML decodes it, sets every value,
// None (nil) as unlimited depth.
func TestSetTakesTheSeedsSearchSpace(t *testing.T) {
	for _, depth := range []any{5.0, 10, 20, nil} {
		p := gbt.DefaultParams()
		require.NoError(t, p.Set("n_estimators", 500.0))
		require.NoError(t, p.Set("max_depth", depth))
		require.NoError(t, p.Set("learning_rate", 0.05))
		require.NoError(t, p.Validate())
		assert.Equal(t, 500, p.NEstimators)
		assert.Equal(t, 0.05, p.LearningRate)
		if depth == nil {
			assert.Nil(t, p.MaxDepth)
		} else {
			require.NotNil(t, p.MaxDepth)
			assert.EqualValues(t, depth, *p.MaxDepth)
		}
	}
}

func TestSetRefusesUnknownNamesAndWrongTypes(t *testing.T) {
	p := gbt.DefaultParams()
	assert.EqualError(t, p.Set("hidden_units", 32.0), `gradient_boosting has no parameter "hidden_units"; its tunable parameters are `+
		"class_weight, colsample_bytree, early_stopping_rounds, learning_rate, max_bin, max_depth, min_child_weight, n_estimators, reg_alpha, reg_lambda, subsample, validation_fraction")
	assert.EqualError(t, p.Set("n_estimators", 10.5), "gradient_boosting: n_estimators takes a whole number, not 10.5")
	assert.EqualError(t, p.Set("learning_rate", "fast"), `gradient_boosting: learning_rate takes a number, not the string "fast"`)
	assert.EqualError(t, p.Set("class_weight", 1.0), "gradient_boosting: class_weight takes a string, not the number 1")
	assert.EqualError(t, p.Set("subsample", nil), "gradient_boosting: subsample cannot be null; only max_depth can (unlimited depth)")
	assert.EqualError(t, p.Set("max_bin", true), "gradient_boosting: max_bin: value true has type bool; values must be numbers or strings")
	require.NoError(t, p.Set("class_weight", "balanced"))
	assert.Equal(t, gbt.ClassWeightBalanced, p.ClassWeight)
	require.NoError(t, p.Set("max_depth", 0.0))
	assert.ErrorContains(t, p.Validate(), "max_depth is 0", "the range is Validate's to check")
}
