package tune

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/model"
)

func TestApplySetsEachNamedField(t *testing.T) {
	base := model.Config{Kind: model.KindLogistic, Epochs: 30, LearningRate: 0.05, BatchSize: 256, Optimizer: model.OptimizerAdam, Seed: 9, ClassWeight: "balanced"}
	trial := Trial{ID: 3, Params: []ParamValue{
		{"learning_rate", 0.0123},
		{"l2", 0.004},
		{"batch_size", 64.0},
		{"epochs", 12.0},
		{"optimizer", "sgd"},
		{"class_weight", nil}, // null keeps the base value
	}}
	got, err := Apply(base, trial)
	require.NoError(t, err)
	assert.Equal(t, model.Config{Kind: model.KindLogistic, Epochs: 12, LearningRate: 0.0123, BatchSize: 64, L2: 0.004, Optimizer: "sgd", Seed: 9, ClassWeight: "balanced"}, got)
	assert.Equal(t, 30, base.Epochs, "base must not change")
}

func TestApplyErrors(t *testing.T) {
	cases := []struct {
		p    ParamValue
		want string
	}{
		{ParamValue{"momentum", 0.9}, `apply trial 7: tune: unknown parameter "momentum"; tunable parameters are activation, batch_size, class_weight, colsample_bytree, dropout, early_stopping_rounds, epochs, hidden_units, kind, l2, learning_rate, max_bin, max_depth, min_child_weight, n_estimators, optimizer, patience, reg_alpha, reg_lambda, subsample, tol, validation_fraction`},
		{ParamValue{"batch_size", 64.5}, "apply trial 7: batch_size takes a whole number, not 64.5"},
		{ParamValue{"batch_size", "64"}, `apply trial 7: batch_size takes a number, not the string "64"`},
		{ParamValue{"optimizer", 1.0}, "apply trial 7: optimizer takes a string, not the number 1 (quote it if you meant the text)"},
		{ParamValue{"l2", true}, "apply trial 7: l2: value true has type bool; values must be strings or numbers"},
	}
	for _, c := range cases {
		_, err := Apply(model.Config{}, Trial{ID: 7, Params: []ParamValue{c.p}})
		assert.EqualError(t, err, c.want)
	}
}

func TestApplyAcceptsGoIntegers(t *testing.T) {
	got, err := Apply(model.Config{}, Trial{Params: []ParamValue{{"epochs", 5}}})
	require.NoError(t, err)
	assert.Equal(t, 5, got.Epochs)
}

func TestEveryTunableNameIsSettable(t *testing.T) {
	// A typo in the field table would set the wrong field; each name must
	// change exactly the config field spelled that way in YAML.
	want := map[string]model.Config{
		"activation":            {Activation: "x"},
		"dropout":               {Dropout: 2},
		"hidden_units":          {Hidden: []int{2}},
		"patience":              {Patience: 2},
		"validation_fraction":   {ValidationFraction: 2},
		"batch_size":            {BatchSize: 2},
		"class_weight":          {ClassWeight: "x"},
		"epochs":                {Epochs: 2},
		"kind":                  {Kind: "x"},
		"l2":                    {L2: 2},
		"learning_rate":         {LearningRate: 2},
		"optimizer":             {Optimizer: "x"},
		"tol":                   {Tol: 2},
		"n_estimators":          {NEstimators: 2},
		"max_depth":             {MaxDepth: 2},
		"min_child_weight":      {MinChildWeight: ptr(2.0)},
		"subsample":             {Subsample: 2},
		"colsample_bytree":      {ColsampleByTree: 2},
		"reg_alpha":             {RegAlpha: 2},
		"reg_lambda":            {RegLambda: ptr(2.0)},
		"max_bin":               {MaxBin: 2},
		"early_stopping_rounds": {EarlyStoppingRounds: 2},
	}
	require.Len(t, Tunable(), len(want))
	for _, name := range Tunable() {
		f, err := lookup(name)
		require.NoError(t, err)
		v := any(2.0)
		if f.kind == kindString {
			v = "x"
		}
		got, err := Apply(model.Config{}, Trial{Params: []ParamValue{{name, v}}})
		require.NoError(t, err)
		assert.Equal(t, want[name], got, name)
	}
	assert.IsIncreasing(t, Tunable())
}

func TestHiddenUnitsDoesNotTouchTheBase(t *testing.T) {
	base := model.Config{Kind: model.KindMLP, Hidden: []int{32, 16}}
	got, err := Apply(base, Trial{Params: []ParamValue{{"hidden_units", 64.0}}})
	require.NoError(t, err)
	assert.Equal(t, []int{64, 16}, got.Hidden)
	assert.Equal(t, []int{32, 16}, base.Hidden, "trials share the base config")
}

func TestTolIsSearchableForLBFGS(t *testing.T) {
	base := model.Config{Kind: model.KindLogistic, Optimizer: model.OptimizerLBFGS}
	got, err := Apply(base, Trial{Params: []ParamValue{{"tol", 1e-6}}})
	require.NoError(t, err)
	assert.Equal(t, 1e-6, got.Tol)
	require.NoError(t, got.Defaults().Validate())
	assert.NoError(t, Space{{"tol", LogUniform(1e-6, 1e-3)}}.Validate())
}

func ptr[T any](v T) *T { return &v }

// The seed's max_depth: [5, 10, 20, None] pasted from Python: None, and
// YAML's null, are unlimited depth rather than the base's depth.
func TestApplyMaxDepthNoneIsUnlimited(t *testing.T) {
	base := model.Config{Kind: model.KindGradientBoosting, MaxDepth: 6}
	for _, v := range []any{nil, "None"} {
		c, err := Apply(base, Trial{ID: 1, Params: []ParamValue{{"max_depth", v}}})
		require.NoError(t, err)
		require.Equal(t, model.DepthUnlimited, c.MaxDepth, "value %v", v)
		require.Nil(t, c.Defaults().GBT().MaxDepth)
	}
	c, err := Apply(base, Trial{ID: 1, Params: []ParamValue{{"max_depth", 10.0}}})
	require.NoError(t, err)
	require.Equal(t, model.Depth(10), c.MaxDepth)
	_, err = Apply(base, Trial{ID: 1, Params: []ParamValue{{"max_depth", "deep"}}})
	require.ErrorContains(t, err, `max_depth takes a number, not the string "deep"`)
}
