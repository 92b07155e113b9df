//go:build cgo && !noxgboost

package gbt_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/gbt"
)

// Asked to grow trees on a GPU, Train passes gpu_hist to XGBoost; this
// machine's libxgboost (Debian's) has no CUDA, so the answer is ErrNoCUDA
// saying what to do, not XGBoost's own error or a CPU training in disguise.
func TestADeviceOfCudaReachesXGBoost(t *testing.T) {
	X, y := synthetic(500, 4, 2, 0, 1)
	_, err := gbt.Train(context.Background(), X, y, nil, 4, params(2), gbt.Options{Device: "cuda"})
	require.Error(t, err)
	assert.ErrorIs(t, err, gbt.ErrNoCUDA)
	assert.Contains(t, err.Error(), "no CUDA support")

	// The CPU, named or not, trains.
	for _, d := range []string{"", "cpu"} {
		_, err := gbt.Train(context.Background(), X, y, nil, 4, params(2), gbt.Options{Device: d})
		require.NoError(t, err, "device %q", d)
	}
}

func TestParseDevice(t *testing.T) {
	for d, want := range map[string]int{"": -1, "cpu": -1, "cuda": 0, "cuda:0": 0, "cuda:3": 3} {
		got, err := gbt.ParseDevice(d)
		require.NoError(t, err, d)
		assert.Equal(t, want, got, d)
	}
	for _, d := range []string{"gpu", "cuda:", "cuda:-1", "cuda:x", "CUDA"} {
		_, err := gbt.ParseDevice(d)
		assert.ErrorContains(t, err, "use cpu, cuda or cuda:N", d)
		_, err = gbt.Train(context.Background(), []float64{1, 2}, []float64{0, 1}, nil, 1, params(2), gbt.Options{Device: d})
		assert.ErrorIs(t, err, gbt.ErrInvalidInput, d)
	}
}
