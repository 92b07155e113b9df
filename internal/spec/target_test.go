package spec_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/gen"
	"github.com/mlpipe/mlpipe/internal/spec"
	"github.com/mlpipe/mlpipe/internal/tune"
)

// multiClass is minimal() turned into a 3-class plan-choice pipeline.
func multiClass() *spec.Pipeline {
	p := minimal()
	p.Data = spec.Data{Source: "file:///data/plans.csv", Target: "plan", Classes: []string{"basic", "plus", "premium"}}
	p.EvaluationThreshold = map[string]float64{"f1_macro": 0.6, "log_loss": 0.9}
	return p
}

func TestListedClassesMakeAMultiClassModel(t *testing.T) {
	p := multiClass()
	require.NoError(t, p.Validate())
	assert.True(t, p.MultiClass())
	assert.Equal(t, 3, p.Hyperparameters.Classes, "the softmax gets one output per listed class")
	assert.Equal(t, []string{"basic", "plus", "premium"}, p.Features.Classes, "the feature stage encodes labels in the listed order")
	assert.Empty(t, p.Features.Positive)

	// The workflow validates its JSON input again and must reach the same spec.
	b, err := json.Marshal(p)
	require.NoError(t, err)
	again, err := spec.DecodeJSON(b)
	require.NoError(t, err)
	require.NoError(t, again.Validate())
	assert.Equal(t, p, again)
}

func TestClassCountAloneTakesTheClassesFromTheData(t *testing.T) {
	p := multiClass()
	p.Data.Classes = nil
	p.Hyperparameters.Classes = 3
	require.NoError(t, p.Validate())
	assert.True(t, p.MultiClass())
	assert.Equal(t, 3, p.Features.NumClasses, "the feature stage checks the data has exactly 3")
	assert.Empty(t, p.Features.Classes)
}

func TestTwoListedClassesAreNegativeThenPositive(t *testing.T) {
	p := minimal()
	p.Data.Positive = ""
	p.Data.Classes = []string{"no", "yes"}
	require.NoError(t, p.Validate())
	assert.False(t, p.MultiClass())
	assert.Equal(t, "yes", p.Data.Positive)
	assert.Equal(t, "yes", p.Features.Positive)
}

func TestTargetMistakesAreRefusedBeforeAnyWork(t *testing.T) {
	for name, tc := range map[string]struct {
		edit func(*spec.Pipeline)
		want string
	}{
		"positive on a 3-class target": {func(p *spec.Pipeline) { p.Data.Positive = "premium" },
			`data.positive "premium" applies to a binary target; data.classes lists 3 classes and every one is scored, so remove positive`},
		"positive with a class count": {func(p *spec.Pipeline) { p.Data.Classes, p.Data.Positive, p.Hyperparameters.Classes = nil, "premium", 3 },
			`data.positive "premium" applies to a binary target; hyperparameters.classes is 3`},
		"one class": {func(p *spec.Pipeline) { p.Data.Classes = []string{"basic"} },
			"data.classes lists one class (basic); a classifier needs at least 2"},
		"a class twice": {func(p *spec.Pipeline) { p.Data.Classes = []string{"basic", "plus", "basic"} },
			`data.classes lists "basic" twice`},
		"an empty class": {func(p *spec.Pipeline) { p.Data.Classes = []string{"basic", " ", "plus"} },
			"data.classes[1] is empty"},
		"counts disagree": {func(p *spec.Pipeline) { p.Hyperparameters.Classes = 4 },
			"hyperparameters.classes is 4 but data.classes lists 3; remove hyperparameters.classes or make them agree"},
		"binary f1 on a 3-class model": {func(p *spec.Pipeline) { p.EvaluationThreshold = map[string]float64{"f1": 0.8} },
			"evaluation_threshold.f1: f1 is a binary metric and this model has 3 classes; use f1_macro"},
		"binary roc_auc in the champion rule": {func(p *spec.Pipeline) { p.ChampionThreshold = map[string]float64{"roc_auc": 0.01} },
			"champion_threshold.roc_auc: roc_auc is a binary metric and this model has 3 classes; use roc_auc_ovr"},
		"brier has no counterpart": {func(p *spec.Pipeline) { p.EvaluationThreshold = map[string]float64{"brier": 0.2} },
			"evaluation_threshold.brier: brier is a binary metric with no multi-class counterpart; use one of accuracy, balanced_accuracy, precision_macro"},
		"a threshold": {func(p *spec.Pipeline) { p.Evaluation.Threshold = 0.3 },
			"evaluation.threshold 0.3 applies to a binary model"},
		"binary f1 as the search's scoring": {func(p *spec.Pipeline) { p.Search = learningRateSearch("f1") },
			"search.scoring: f1 is a binary metric and this model has 3 classes; use f1_macro (or another of accuracy, balanced_accuracy, precision_macro"},
		"binary roc_auc as the search's scoring": {func(p *spec.Pipeline) { p.Search = learningRateSearch("roc_auc") },
			"search.scoring: roc_auc is a binary metric and this model has 3 classes; use roc_auc_ovr"},
		"pr_auc as the search's scoring": {func(p *spec.Pipeline) { p.Search = learningRateSearch("pr_auc") },
			"search.scoring: pr_auc is a binary metric with no multi-class counterpart; use one of accuracy"},
	} {
		t.Run(name, func(t *testing.T) {
			p := multiClass()
			tc.edit(p)
			assert.ErrorContains(t, p.Validate(), tc.want)
		})
	}
}

// learningRateSearch is a small search over the learning rate.
func learningRateSearch(scoring string) *tune.Search {
	return &tune.Search{NIter: 3, CV: 3, Scoring: scoring,
		ParamDistributions: tune.Space{{Name: "learning_rate", Dist: tune.LogUniform(0.01, 0.2)}}}
}

func TestMultiClassSearchScoresMacroF1ByDefault(t *testing.T) {
	p := multiClass()
	p.Search = learningRateSearch("")
	require.NoError(t, p.Validate())
	assert.Equal(t, "f1_macro", p.Search.Scoring)

	for _, scoring := range []string{"accuracy", "balanced_accuracy", "f1_macro", "f1_weighted", "precision_macro", "recall_macro", "log_loss", "roc_auc_ovr"} {
		p := multiClass()
		p.Search = learningRateSearch(scoring)
		assert.NoError(t, p.Validate(), scoring)
	}

	// A binary model keeps RandomizedSearchCV's accuracy and is refused
	// the multi-class names.
	p = minimal()
	p.Search = learningRateSearch("")
	require.NoError(t, p.Validate())
	assert.Equal(t, "accuracy", p.Search.Scoring)
	p = minimal()
	p.Search = learningRateSearch("roc_auc_ovr")
	assert.ErrorContains(t, p.Validate(), "search.scoring: roc_auc_ovr is a multi-class metric and this model is binary; use one of accuracy")
}

func TestBinarySpecWithoutPositiveSaysHowToGoMultiClass(t *testing.T) {
	p := minimal()
	p.Data.Positive = ""
	err := p.Validate()
	assert.ErrorContains(t, err, `data.positive: name the label value of the positive class (e.g. "yes"); for a target of three or more classes, list data.classes`)

	// Multi-class metric names are not offered for a binary model.
	p = minimal()
	p.EvaluationThreshold = map[string]float64{"roc_auc_ovr": 0.8}
	assert.ErrorContains(t, p.Validate(), `evaluation_threshold: unknown metric "roc_auc_ovr"`)
}

func TestMultiClassGateReadsMultiClassMetrics(t *testing.T) {
	p := multiClass()
	p.ChampionThreshold = map[string]float64{"accuracy": 0.01}
	require.NoError(t, p.Validate())
	rules := p.CheckGate(spec.Scores{Point: map[string]float64{"f1_macro": 0.7, "log_loss": 1.2, "accuracy": 0.8}},
		&spec.Scores{Point: map[string]float64{"accuracy": 0.85}})
	require.Len(t, rules, 3)
	assert.Equal(t, "f1_macro >= 0.6", rules[0].Rule)
	assert.True(t, rules[0].Passed)
	assert.Equal(t, "log_loss <= 0.9", rules[1].Rule)
	assert.False(t, rules[1].Passed, "the multinomial log-loss is a loss: lower is better")
	assert.False(t, rules[2].Passed, "accuracy fell 0.05 against the champion, more than the 0.01 allowed")
}

// copyPlansExample copies the plans example beside small generated data,
// applying each old→new replacement to pipeline.yaml.
func copyPlansExample(t *testing.T, replacements ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"pipeline.yaml", "hyperparameters.yaml"} {
		b, err := os.ReadFile(filepath.Join("../../dev/examples/plans", name))
		require.NoError(t, err)
		text := string(b)
		if name == "pipeline.yaml" {
			for i := 0; i+1 < len(replacements); i += 2 {
				require.Contains(t, text, replacements[i])
				text = strings.Replace(text, replacements[i], replacements[i+1], 1)
			}
		}
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644))
	}
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "data"), 0o755))
	f, err := os.Create(filepath.Join(dir, "data", "plans.csv"))
	require.NoError(t, err)
	require.NoError(t, gen.Plans(f, 20, 1))
	require.NoError(t, f.Close())
	return filepath.Join(dir, "pipeline.yaml")
}

func TestPlansExampleLoadsAsAThreeClassPipeline(t *testing.T) {
	p, err := spec.Load(copyPlansExample(t))
	require.NoError(t, err)
	assert.True(t, p.MultiClass())
	assert.Equal(t, 3, p.Hyperparameters.Classes)
	assert.Equal(t, "balanced", p.Hyperparameters.ClassWeight)

	_, err = spec.Load(copyPlansExample(t, "  classes: [basic, plus, premium]", "  classes: [basic, plus, premium]\n  positive: premium"))
	assert.ErrorContains(t, err, `data.positive "premium" applies to a binary target`)
	_, err = spec.Load(copyPlansExample(t, "  f1_macro: 0.60", "  f1: 0.60"))
	assert.ErrorContains(t, err, "evaluation_threshold.f1: f1 is a binary metric and this model has 3 classes; use f1_macro")
	_, err = spec.Load(copyPlansExample(t, "  classes: [basic, plus, premium]", "  classes: [premium]"))
	assert.ErrorContains(t, err, "data.classes lists one class (premium)")
}

// The plans example runs without a search; search.yaml beside it adds a
// small one, as its pipeline.yaml says.
func TestPlansExampleTakesTheSearchFile(t *testing.T) {
	p, err := spec.Load(copyPlansExample(t))
	require.NoError(t, err)
	assert.Nil(t, p.Search, "the default run stays fast")

	path := copyPlansExample(t)
	b, err := os.ReadFile("../../dev/examples/plans/search.yaml")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(filepath.Dir(path), "search.yaml"), b, 0o644))
	p, err = spec.Load(path, spec.Override{Path: "stages.model_training.params", Value: "[hyperparameters.yaml, search.yaml]"})
	require.NoError(t, err)
	require.NotNil(t, p.Search)
	assert.Equal(t, "f1_macro", p.Search.Scoring)
	assert.Equal(t, 40, p.Hyperparameters.Epochs, "search.yaml leaves the hyperparameters to hyperparameters.yaml")
	assert.LessOrEqual(t, p.Search.NIter*p.Search.CV, 12, "a small search")
	trials, err := tune.Sample(p.Search.ParamDistributions, p.Search.NIter, p.Search.Seed)
	require.NoError(t, err)
	for _, tr := range trials {
		cfg, err := tune.Apply(p.Hyperparameters, tr)
		require.NoError(t, err)
		assert.NoError(t, cfg.Defaults().Validate(), "trial %d", tr.ID)
	}
}
