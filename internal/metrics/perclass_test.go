package metrics

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPerClassHandWorked(t *testing.T) {
	// y = [0, 0, 1, 1], p = [0.1, 0.4, 0.35, 0.8], threshold 0.5
	// → TN 2, FP 0, FN 1, TP 1
	// class 0 ("stayed"): precision TN/(TN+FN) = 2/3, recall TN/(TN+FP) = 1,
	//   F1 = 4/(4+1+0) = 4/5, support 2
	// class 1 ("churned"): precision 1/1, recall ½, F1 2/3, support 2
	got := PerClass([]float64{0, 0, 1, 1}, []float64{0.1, 0.4, 0.35, 0.8}, 0.5, [2]string{"stayed", "churned"})
	require.Len(t, got, 2)
	assert.Equal(t, 0, got[0].Class)
	assert.Equal(t, "stayed", got[0].Label)
	assert.InDelta(t, 2.0/3, got[0].Precision, 1e-15)
	assert.Equal(t, 1.0, got[0].Recall)
	assert.InDelta(t, 0.8, got[0].F1, 1e-15)
	assert.Equal(t, 2, got[0].Support)
	assert.Equal(t, ClassRow{Class: 1, Label: "churned", Precision: 1, Recall: 0.5, F1: 2.0 / 3, Support: 2}, got[1])

	// The rows agree with the report's macro F1 and balanced accuracy.
	r, err := Binary([]float64{0, 0, 1, 1}, []float64{0.1, 0.4, 0.35, 0.8}, 0.5)
	require.NoError(t, err)
	assert.InDelta(t, r.F1Macro, (got[0].F1+got[1].F1)/2, 1e-15)
	assert.InDelta(t, r.BalancedAccuracy, (got[0].Recall+got[1].Recall)/2, 1e-15)
}

func TestPerClassZeroDenominatorsAndBadInput(t *testing.T) {
	// y = [1, 1], nothing predicted positive: every ratio with a zero
	// denominator is 0 rather than NaN; class-1 recall is 0/2 = 0.
	got := PerClass([]float64{1, 1}, []float64{0.1, 0.2}, 0.5, [2]string{"no", "yes"})
	require.Len(t, got, 2)
	// TN 0, FN 2: class-0 precision 0/2 = 0, recall 0/0 → 0.
	assert.Equal(t, ClassRow{Class: 0, Label: "no", Support: 0}, got[0])
	assert.Equal(t, ClassRow{Class: 1, Label: "yes", Support: 2}, got[1])

	assert.Nil(t, PerClass([]float64{0, 3}, []float64{0.1, 0.2}, 0.5, [2]string{}))
}
