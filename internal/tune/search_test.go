package tune

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSearchDefaultsMatchRandomizedSearchCV(t *testing.T) {
	s := Search{ParamDistributions: mixedSpace}.Defaults()
	assert.Equal(t, Search{Strategy: "random", NIter: 10, CV: 5, Scoring: "accuracy", MaxParallel: 16, ParamDistributions: mixedSpace}, s)
	assert.NoError(t, s.Validate())
}

func TestSearchValidate(t *testing.T) {
	ok := Search{ParamDistributions: Space{{"l2", Uniform(0, 1)}}}.Defaults()
	halving := &Halving{MinEpochs: 1, MaxEpochs: 9, Eta: 3}
	cases := []struct {
		edit func(*Search)
		want string
	}{
		{func(s *Search) { s.Strategy = "grid" }, `tune: search.strategy "grid" is not supported; use "random" or "successive_halving"`},
		{func(s *Search) { s.CV = 1 }, "tune: search.cv is 1; it must be >= 2 folds"},
		{func(s *Search) { s.NIter = -1 }, "tune: search.n_iter is -1; it must be >= 1"},
		{func(s *Search) { s.MaxParallel = -2 }, "tune: search.max_parallel is -2; it must be >= 1"},
		{func(s *Search) { s.Scoring = "auc" }, `search.scoring: tune: scoring "auc" is not supported`},
		{func(s *Search) { s.ParamDistributions = nil }, "search: tune: param_distributions is empty"},
		{func(s *Search) { s.Halving = &Halving{MinEpochs: 1, MaxEpochs: 9} }, "tune: halving.eta is 0"},
		{func(s *Search) { s.Strategy = StrategySuccessiveHalving }, "tune: search.strategy is successive_halving but search.halving is missing"},
		{func(s *Search) {
			s.Strategy, s.Halving = StrategySuccessiveHalving, halving
			s.ParamDistributions = append(s.ParamDistributions, Param{"epochs", IntUniform(1, 9)})
		}, "search.param_distributions.epochs conflicts with successive_halving"},
		{func(s *Search) {
			s.Strategy, s.Halving = StrategySuccessiveHalving, &Halving{MinEpochs: 1, MaxEpochs: 9, Eta: 0}
		}, "tune: halving.eta is 0"},
	}
	for _, c := range cases {
		s := ok
		s.ParamDistributions = append(Space(nil), ok.ParamDistributions...)
		c.edit(&s)
		assert.ErrorContains(t, s.Validate(), c.want)
	}
	s := ok
	s.Strategy, s.Halving = StrategySuccessiveHalving, halving
	require.NoError(t, s.Validate())
}

// The search block as the brief writes it: strategy random with a halving
// block kept for later, epochs searched as an ordinary parameter.
const briefYAML = `
search:
  strategy: random          # or successive_halving (ASHA/Hyperband style)
  n_iter: 20
  cv: 5
  scoring: f1               # f1, accuracy, roc_auc, precision, recall, log_loss
  seed: 42
  max_parallel: 4
  param_distributions:
    learning_rate: {log_uniform: [0.001, 0.3]}
    l2: {uniform: [0, 0.01]}
    batch_size: [64, 128, 256]        # a list, as in the seed
    epochs: {int_uniform: [10, 60]}
    optimizer: [adam, sgd]
  halving: {min_epochs: 5, max_epochs: 60, eta: 3}   # for successive_halving
`

func TestBriefExampleDecodesAndValidates(t *testing.T) {
	s, err := decodeSpec(t, briefYAML)
	require.NoError(t, err)
	require.NoError(t, s.Validate())
	assert.Equal(t, Search{Strategy: "random", NIter: 20, CV: 5, Scoring: "f1", Seed: 42, MaxParallel: 4,
		ParamDistributions: mixedSpace, Halving: &Halving{MinEpochs: 5, MaxEpochs: 60, Eta: 3}}, s)

	s.Strategy = StrategySuccessiveHalving
	assert.ErrorContains(t, s.Validate(), "param_distributions.epochs conflicts with successive_halving")
}

func TestSearchDefaultsForAMultiClassModelScoreMacroF1(t *testing.T) {
	s := Search{ParamDistributions: mixedSpace}
	assert.Equal(t, "f1_macro", s.DefaultsFor(3).Scoring)
	assert.Equal(t, "accuracy", s.DefaultsFor(0).Scoring)
	assert.Equal(t, s.Defaults(), s.DefaultsFor(2))
	s.Scoring = "log_loss"
	assert.Equal(t, "log_loss", s.DefaultsFor(3).Scoring, "a given scoring is kept")

	// The search itself accepts either kind's names; CheckScoring matches
	// them to the model.
	s = s.DefaultsFor(3)
	s.Scoring = "roc_auc_ovr"
	assert.NoError(t, s.Validate())
}
