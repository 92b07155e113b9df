package gbt_test

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/gbt"
)

func TestDefaultParamsAreXGBoostsAndValid(t *testing.T) {
	p := gbt.DefaultParams()
	require.NoError(t, p.Validate())
	require.NotNil(t, p.MaxDepth)
	assert.Equal(t, 6, *p.MaxDepth)
	assert.Equal(t, 100, p.NEstimators)
	assert.Equal(t, 0.3, p.LearningRate)
	assert.Equal(t, 1.0, p.RegLambda)
	assert.Equal(t, 256, p.MaxBin)
}

// A spec's values decode over the defaults: a key left out keeps its
// default, max_depth: null means unlimited, and an explicit zero is kept
// for Validate to refuse rather than replaced by a default.
func TestParamsDecodeOverDefaults(t *testing.T) {
	decode := func(doc string) gbt.Params {
		p := gbt.DefaultParams()
		require.NoError(t, json.Unmarshal([]byte(doc), &p))
		return p
	}
	p := decode(`{"n_estimators": 200}`)
	assert.Equal(t, 200, p.NEstimators)
	require.NotNil(t, p.MaxDepth)
	assert.Equal(t, 6, *p.MaxDepth)

	p = decode(`{"max_depth": null}`)
	assert.Nil(t, p.MaxDepth, "null is unlimited depth")
	require.NoError(t, p.Validate())

	p = decode(`{"max_depth": 0}`)
	assert.ErrorContains(t, p.Validate(), "max_depth is 0")

	p = decode(`{"learning_rate": 0}`)
	assert.ErrorContains(t, p.Validate(), "learning_rate is 0")
}

func TestValidateNamesTheParameterAndTheRange(t *testing.T) {
	cases := []struct {
		name string
		edit func(*gbt.Params)
		want string
	}{
		{"max_depth 0", func(p *gbt.Params) { p.MaxDepth = gbt.Depth(0) }, "max_depth is 0; it must be an integer >= 1, or null for unlimited depth"},
		{"max_depth -3", func(p *gbt.Params) { p.MaxDepth = gbt.Depth(-3) }, "max_depth is -3"},
		{"learning_rate 0", func(p *gbt.Params) { p.LearningRate = 0 }, "learning_rate is 0; it must be > 0 and <= 1"},
		{"learning_rate negative", func(p *gbt.Params) { p.LearningRate = -0.1 }, "learning_rate is -0.1"},
		{"learning_rate above 1", func(p *gbt.Params) { p.LearningRate = 1.5 }, "learning_rate is 1.5; it must be > 0 and <= 1"},
		{"learning_rate NaN", func(p *gbt.Params) { p.LearningRate = math.NaN() }, "learning_rate is NaN"},
		{"n_estimators 0", func(p *gbt.Params) { p.NEstimators = 0 }, "n_estimators is 0; it must be an integer >= 1"},
		{"n_estimators negative", func(p *gbt.Params) { p.NEstimators = -5 }, "n_estimators is -5"},
		{"min_child_weight negative", func(p *gbt.Params) { p.MinChildWeight = -1 }, "min_child_weight is -1"},
		{"subsample 0", func(p *gbt.Params) { p.Subsample = 0 }, "subsample is 0; it must be > 0 and <= 1"},
		{"subsample above 1", func(p *gbt.Params) { p.Subsample = 1.2 }, "subsample is 1.2"},
		{"colsample_bytree 0", func(p *gbt.Params) { p.ColsampleByTree = 0 }, "colsample_bytree is 0; it must be > 0 and <= 1"},
		{"reg_alpha negative", func(p *gbt.Params) { p.RegAlpha = -0.5 }, "reg_alpha is -0.5; it must be a finite number >= 0"},
		{"reg_lambda infinite", func(p *gbt.Params) { p.RegLambda = math.Inf(1) }, "reg_lambda is +Inf"},
		{"max_bin 1", func(p *gbt.Params) { p.MaxBin = 1 }, "max_bin is 1; it must be an integer from 2 to 65536"},
		{"validation_fraction 1", func(p *gbt.Params) { p.ValidationFraction = 1 }, "validation_fraction is 1; it must be >= 0 and < 1"},
		{"early stopping without validation", func(p *gbt.Params) { p.EarlyStoppingRounds = 5 }, "early_stopping_rounds is 5 but validation_fraction is 0"},
		{"early_stopping_rounds negative", func(p *gbt.Params) { p.EarlyStoppingRounds = -1 }, "early_stopping_rounds is -1"},
		{"class_weight unknown", func(p *gbt.Params) { p.ClassWeight = "auto" }, `class_weight "auto" is not supported; use "balanced"`},
		{"classes 1", func(p *gbt.Params) { p.Classes = 1 }, "classes is 1"},
		{"nthread negative", func(p *gbt.Params) { p.NThread = -2 }, "nthread is -2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := gbt.DefaultParams()
			c.edit(&p)
			err := p.Validate()
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
			assert.True(t, strings.HasPrefix(err.Error(), "gradient_boosting: "), "names the kind: %v", err)
			// Train refuses the same before touching XGBoost.
			_, terr := gbt.Train(context.Background(), []float64{0, 1}, []float64{0, 1}, nil, 1, p, gbt.Options{})
			assert.EqualError(t, terr, err.Error())
			assert.ErrorIs(t, terr, gbt.ErrInvalidInput, "a retry cannot fix it")
		})
	}
}
