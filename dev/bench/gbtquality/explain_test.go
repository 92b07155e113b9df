package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/metrics"
)

// A probability of exactly 0.5 is negative at threshold 0.5, as package
// metrics (and scikit-learn's predict) count it; the interval and the
// tuned threshold must count it the same way, or the interval misses the
// point figure it is printed beside (a step logit puts many rows there).
func TestGbsIntervalAndThresholdCountTiesAsMetricsDoes(t *testing.T) {
	var y, p []float64
	for range 100 {
		y, p = append(y, 0), append(p, 0.5)
	}
	for range 50 {
		y, p = append(y, 1, 0), append(p, 0.9, 0.1)
	}
	rep, err := metrics.Binary(y, p, 0.5)
	require.NoError(t, err)
	require.Equal(t, 1.0, rep.F1)

	lo, hi := f1Interval(y, p, 7)
	assert.LessOrEqual(t, lo, rep.F1)
	assert.GreaterOrEqual(t, hi, rep.F1)
	assert.Equal(t, 0.5, bestThreshold(y, p))
}

func TestGbsBestThresholdFindsTheF1Peak(t *testing.T) {
	// Positives at 0.3 and above, negatives at 0.2 and below: any
	// threshold in [0.2, 0.3) separates them (positive is above it); the
	// lowest step is 0.2.
	y := []float64{0, 0, 0, 1, 1, 1}
	p := []float64{0.05, 0.1, 0.2, 0.3, 0.6, 0.9}
	assert.Equal(t, 0.2, bestThreshold(y, p))
}
