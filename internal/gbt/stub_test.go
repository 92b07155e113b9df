//go:build !cgo || noxgboost

package gbt_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/mlpipe/mlpipe/internal/gbt"
)

// Without XGBoost, training says how to get it, after the same checks.
func TestWithoutXGBoostTrainSaysWhatIsMissing(t *testing.T) {
	assert.False(t, gbt.Available)
	_, err := gbt.Train(context.Background(), []float64{0, 1}, []float64{0, 1}, nil, 1, gbt.DefaultParams(), gbt.Options{})
	assert.ErrorIs(t, err, gbt.ErrUnavailable)
	_, err = gbt.Train(context.Background(), []float64{0, 1}, []float64{0, 2}, nil, 1, gbt.DefaultParams(), gbt.Options{})
	assert.ErrorContains(t, err, "label at row 1 is 2")
	_, err = gbt.Predict([]byte("{}"), []float64{0}, 1)
	assert.ErrorIs(t, err, gbt.ErrUnavailable)
}
