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
