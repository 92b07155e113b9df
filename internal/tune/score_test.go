package tune

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestScoreHandWorked(t *testing.T) {
	// Predictions at 0.5: [1, 0, 0, 1] → TP 2, FN 1, FP 0, TN 1.
	y := []float64{1, 0, 1, 1}
	p := []float64{0.9, 0.2, 0.4, 0.8}
	want := []struct {
		name string
		v    float64
	}{
		{"accuracy", 0.75},
		{"precision", 1},
		{"recall", 2.0 / 3},
		{"f1", 0.8},
		{"roc_auc", 1}, // every positive outscores the one negative
		// -(ln 0.9 + ln 0.8 + ln 0.4 + ln 0.8) / 4
		{"log_loss", 0.366985},
	}
	for _, w := range want {
		got, err := Score(w.name, y, p)
		require.NoError(t, err, w.name)
		assert.InDelta(t, w.v, got, 1e-6, w.name)
	}
}

func TestScoreDirection(t *testing.T) {
	assert.False(t, GreaterIsBetter("log_loss"))
	assert.True(t, GreaterIsBetter("f1"))
	assert.True(t, GreaterIsBetter("roc_auc"))
}

func TestScoreErrors(t *testing.T) {
	_, err := Score("auc", []float64{1}, []float64{1})
	assert.ErrorContains(t, err, `scoring "auc" is not supported; use one of accuracy, balanced_accuracy, precision, recall, f1,`)
	_, err = Score("roc_auc", []float64{1, 1}, []float64{0.2, 0.7})
	assert.EqualError(t, err, "tune: roc_auc is undefined on this fold (2 rows, 2 positive); it needs both classes present")
	_, err = Score("f1", []float64{1, 0}, []float64{0.2})
	assert.ErrorContains(t, err, "tune: score f1: metrics: 2 labels but 1 predictions")
}

func TestScoreMultiClassHandWorked(t *testing.T) {
	// Three classes, each row predicted as its most probable class:
	// class 0 rows 0 and 5 right; class 1 rows 1 and 4 right, and row 2
	// (a 2) predicted 1; class 2 row 3 right.
	y := []float64{0, 1, 2, 2, 1, 0}
	p := [][]float64{
		{0.7, 0.2, 0.1},
		{0.1, 0.6, 0.3},
		{0.2, 0.5, 0.3},
		{0.1, 0.1, 0.8},
		{0.3, 0.4, 0.3},
		{0.5, 0.1, 0.4},
	}
	// Per class (precision, recall, F1): 0 (1, 1, 1), 1 (2/3, 1, 0.8),
	// 2 (1, 1/2, 2/3); two rows each, so weighted equals macro.
	want := []struct {
		name string
		v    float64
	}{
		{"accuracy", 5.0 / 6},
		{"balanced_accuracy", 2.5 / 3},
		{"precision_macro", (1 + 2.0/3 + 1) / 3},
		{"recall_macro", 2.5 / 3},
		{"f1_macro", (1 + 0.8 + 2.0/3) / 3},
		{"f1_weighted", (1 + 0.8 + 2.0/3) / 3},
		// One-vs-rest AUCs 1, 7/8 and 6/8 (row 2's 0.3 ties two negatives).
		{"roc_auc_ovr", 0.875},
		// -(ln 0.7 + ln 0.6 + ln 0.3 + ln 0.8 + ln 0.4 + ln 0.5) / 6
		{"log_loss", 0.650676},
	}
	for _, w := range want {
		got, err := ScoreMultiClass(w.name, y, p, 3)
		require.NoError(t, err, w.name)
		assert.InDelta(t, w.v, got, 1e-6, w.name)
	}
	assert.False(t, GreaterIsBetter("log_loss"))
	assert.True(t, GreaterIsBetter("f1_macro"))
	assert.True(t, GreaterIsBetter("roc_auc_ovr"))
}

func TestScoreMultiClassErrors(t *testing.T) {
	p := [][]float64{{0.6, 0.3, 0.1}, {0.2, 0.7, 0.1}, {0.1, 0.2, 0.7}}
	_, err := ScoreMultiClass("f1", []float64{0, 1, 2}, p, 3)
	assert.EqualError(t, err, "f1 is a binary metric and this model has 3 classes; use f1_macro (or another of accuracy, balanced_accuracy, precision_macro, recall_macro, f1_macro, precision_weighted, recall_weighted, f1_weighted, roc_auc_ovr, log_loss)")
	_, err = ScoreMultiClass("roc_auc_ovr", []float64{0, 1, 1}, p, 3)
	assert.EqualError(t, err, "tune: roc_auc_ovr is undefined on this fold (3 rows, 2 of 3 classes present); it needs every class present")
	_, err = ScoreMultiClass("f1_macro", []float64{0, 1, 3}, p, 3)
	assert.ErrorContains(t, err, "tune: score f1_macro: metrics: label at row 2 is 3; labels must be class indices 0..2")
}

func TestCheckScoringMatchesTheModel(t *testing.T) {
	for _, name := range []string{"accuracy", "balanced_accuracy", "f1_macro", "f1_weighted", "precision_macro", "recall_macro", "log_loss", "roc_auc_ovr"} {
		assert.NoError(t, CheckScoring(name, 3), name)
		assert.NoError(t, CheckScoring(name, 5), name)
	}
	for name, counterpart := range map[string]string{"f1": "f1_macro", "precision": "precision_macro", "recall": "recall_macro", "roc_auc": "roc_auc_ovr"} {
		assert.ErrorContains(t, CheckScoring(name, 4), name+" is a binary metric and this model has 4 classes; use "+counterpart+" (or another of", name)
		assert.NoError(t, CheckScoring(name, 0), name)
	}
	assert.ErrorContains(t, CheckScoring("brier", 3), "brier is a binary metric with no multi-class counterpart; use one of accuracy,")
	assert.ErrorContains(t, CheckScoring("roc_auc_ovr", 2), "roc_auc_ovr is a multi-class metric and this model is binary; use one of accuracy,")
	assert.ErrorContains(t, CheckScoring("auc", 3), `tune: scoring "auc" is not supported`)

	// A binary fold refuses a multi-class name rather than score it as 0.
	_, err := Score("precision_macro", []float64{1, 0}, []float64{0.9, 0.1})
	assert.ErrorContains(t, err, "precision_macro is a multi-class metric and this model is binary")
}

func TestDefaultScoringByClasses(t *testing.T) {
	assert.Equal(t, "accuracy", DefaultScoring(0))
	assert.Equal(t, "accuracy", DefaultScoring(2))
	assert.Equal(t, "f1_macro", DefaultScoring(3))
}
