package metrics

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestThresholdSweepHandWorked(t *testing.T) {
	// y = [0, 0, 1, 1], p = [0.1, 0.4, 0.35, 0.8]
	// t 0.3: predicted [0, 1, 1, 1] → TP 2 FP 1 FN 0 TN 1:
	//   precision 2/3, recall 1, F1 4/(4+1) = 4/5, accuracy 3/4, rate 3/4
	// t 0.5: predicted [0, 0, 0, 1] → TP 1 FP 0 FN 1 TN 2:
	//   precision 1, recall ½, F1 2/3, accuracy 3/4, rate ¼
	// t 0.8: nothing above 0.8 (strict) → precision 0 (0/0), recall 0,
	//   accuracy ½, rate 0
	got := ThresholdSweep([]float64{0, 0, 1, 1}, []float64{0.1, 0.4, 0.35, 0.8}, []float64{0.3, 0.5, 0.8})
	require.Len(t, got, 3)
	assert.InDelta(t, 2.0/3, got[0].Precision, 1e-15)
	assert.Equal(t, SweepRow{Threshold: 0.3, Precision: got[0].Precision, Recall: 1, F1: 0.8, Accuracy: 0.75, PositiveRate: 0.75}, got[0])
	assert.Equal(t, SweepRow{Threshold: 0.5, Precision: 1, Recall: 0.5, F1: 2.0 / 3, Accuracy: 0.75, PositiveRate: 0.25}, got[1])
	assert.Equal(t, SweepRow{Threshold: 0.8, Accuracy: 0.5}, got[2])
}

func TestThresholdSweepDefaults(t *testing.T) {
	got := ThresholdSweep([]float64{0, 1}, []float64{0.3, 0.7}, nil)
	require.Len(t, got, 19)
	assert.Equal(t, 0.05, got[0].Threshold)
	assert.Equal(t, 0.5, got[9].Threshold)
	assert.Equal(t, 0.95, got[18].Threshold)
	assert.Equal(t, 0.15, got[2].Threshold, "k/20, not 0.05+0.05+0.05 = 0.15000000000000002")
	// 0.3 < t < 0.7 separates the classes perfectly.
	assert.Equal(t, 1.0, got[9].Accuracy)

	assert.Nil(t, ThresholdSweep([]float64{0, 1}, []float64{0.3, 0.7}, []float64{0.5, 2}))
	assert.Nil(t, ThresholdSweep(nil, nil, nil))
}
