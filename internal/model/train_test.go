package model

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTrainLearnsSeparableProblem(t *testing.T) {
	X, y, trueW := synthetic(3000, 8, 11)
	Xtest, ytest := sample(trueW, 1000, 12) // held out: same problem, new rows
	var losses []float64
	m, err := Train(t.Context(), X, y, 8, Config{Epochs: 10, BatchSize: 64, Seed: 2}, nil,
		func(s EpochStats, c *Checkpoint) error {
			losses = append(losses, s.Loss)
			assert.Equal(t, s.Epoch, c.Epoch)
			return nil
		})
	require.NoError(t, err)
	require.Len(t, losses, 10)
	assert.Less(t, losses[9], losses[0], "loss should fall over training")
	assert.Less(t, losses[0], math.Ln2, "the first epoch already beats the all-zero model's log 2")

	p, err := m.PredictProba(Xtest, 8)
	require.NoError(t, err)
	assert.Greater(t, accuracy(p, ytest), 0.9)
	assert.Equal(t, 10, m.Epoch)
}

// One full-batch SGD step from w = 0, worked by hand:
//
//	X = [[1, 2], [3, −1]], y = [1, 0], σ(0) = 0.5
//	∂/∂w = mean((σ−y)·x) = ((−0.5)·[1,2] + 0.5·[3,−1]) / 2 = [0.5, −0.75]
//	∂/∂b = mean(σ−y)     = (−0.5 + 0.5) / 2           = 0
//	w ← 0 − 0.1·∂w = [−0.05, 0.075],  b stays 0
//	loss before the step = log 2
func TestOneSGDStepMatchesHandComputedGradient(t *testing.T) {
	var stats EpochStats
	m, err := Train(t.Context(), []float64{1, 2, 3, -1}, []float64{1, 0}, 2,
		Config{Epochs: 1, BatchSize: 2, LearningRate: 0.1, Optimizer: "sgd"}, nil,
		func(s EpochStats, _ *Checkpoint) error { stats = s; return nil })
	require.NoError(t, err)
	assert.InDeltaSlice(t, []float64{-0.05, 0.075}, m.Weights(), 1e-15)
	assert.InDelta(t, 0, m.Bias(), 1e-15)
	assert.InDelta(t, math.Ln2, stats.Loss, 1e-15)
}

// referenceSGD is plain-Go mini-batch SGD on the same objective, used to
// check the graph's gradient, the zero-weight padding of the last batch,
// class weights and L2 together.
func referenceSGD(X, y []float64, cols int, cfg Config) []float64 {
	rows := len(y)
	cw := classWeights(y, cfg.ClassWeight)
	w := make([]float64, cols+1) // last entry is the bias
	order := make([]int, rows)
	for epoch := 0; epoch < cfg.Epochs; epoch++ {
		shuffle(order, cfg.Seed, epoch)
		for lo := 0; lo < rows; lo += cfg.BatchSize {
			idx := order[lo:min(lo+cfg.BatchSize, rows)]
			g := make([]float64, cols+1)
			var total float64
			for _, r := range idx {
				z := w[cols]
				for j := 0; j < cols; j++ {
					z += X[r*cols+j] * w[j]
				}
				s := cw[int(y[r])]
				total += s
				d := s * (sigmoid(z) - y[r])
				for j := 0; j < cols; j++ {
					g[j] += d * X[r*cols+j]
				}
				g[cols] += d
			}
			for j := range g {
				g[j] /= total
				if j < cols {
					g[j] += cfg.L2 * w[j]
				}
			}
			for j := range w {
				w[j] -= cfg.LearningRate * g[j]
			}
		}
	}
	return w
}

func TestTrainMatchesReferenceWithPaddingClassWeightsAndL2(t *testing.T) {
	X, y, _ := synthetic(103, 3, 21) // 103 = 4·25 + 3: the last batch is padded
	cfg := Config{Epochs: 4, BatchSize: 25, LearningRate: 0.3, Optimizer: "sgd", L2: 0.05, ClassWeight: "balanced", Seed: 8}
	m, err := Train(t.Context(), X, y, 3, cfg, nil, nil)
	require.NoError(t, err)
	want := referenceSGD(X, y, 3, cfg)
	assert.InDeltaSlice(t, want[:3], m.Weights(), 1e-12)
	assert.InDelta(t, want[3], m.Bias(), 1e-12)
}

func TestClassWeightsBalanced(t *testing.T) {
	// 4 rows, 1 positive: w0 = 4/(2·3) = 2/3, w1 = 4/(2·1) = 2
	w := classWeights([]float64{1, 0, 0, 0}, "balanced")
	assert.InDelta(t, 2.0/3, w[0], 1e-15)
	assert.InDelta(t, 2.0, w[1], 1e-15)
	assert.Equal(t, [2]float64{1, 1}, classWeights([]float64{1, 0, 0, 0}, ""))
}

func TestSameSeedSameWeights(t *testing.T) {
	X, y, _ := synthetic(500, 5, 4)
	cfg := Config{Epochs: 3, BatchSize: 32, Seed: 77}
	a, err := Train(t.Context(), X, y, 5, cfg, nil, nil)
	require.NoError(t, err)
	b, err := Train(t.Context(), X, y, 5, cfg, nil, nil)
	require.NoError(t, err)
	assert.Equal(t, a.Params, b.Params)

	cfg.Seed = 78 // a different shuffle must give a (slightly) different model
	c, err := Train(t.Context(), X, y, 5, cfg, nil, nil)
	require.NoError(t, err)
	assert.NotEqual(t, a.Weights(), c.Weights())
}

func TestResumeFromEpoch3EqualsUninterruptedRun(t *testing.T) {
	X, y, _ := synthetic(700, 6, 13)
	for _, opt := range []string{"sgd", "momentum", "adam"} {
		t.Run(opt, func(t *testing.T) {
			cfg := Config{Epochs: 6, BatchSize: 50, Optimizer: opt, LearningRate: 0.02, L2: 0.01, Seed: 5}
			var saved []byte
			full, err := Train(t.Context(), X, y, 6, cfg, nil, func(s EpochStats, c *Checkpoint) error {
				if s.Epoch == 3 {
					var err error
					saved, err = json.Marshal(c) // as a worker would persist it
					return err
				}
				return nil
			})
			require.NoError(t, err)
			require.NotEmpty(t, saved)

			var ckpt Checkpoint
			require.NoError(t, json.Unmarshal(saved, &ckpt))
			require.Equal(t, 3, ckpt.Epoch)
			var epochs []int
			resumed, err := Train(t.Context(), X, y, 6, cfg, &ckpt, func(s EpochStats, _ *Checkpoint) error {
				epochs = append(epochs, s.Epoch)
				return nil
			})
			require.NoError(t, err)
			assert.Equal(t, []int{4, 5, 6}, epochs)
			assert.Equal(t, full.Params, resumed.Params, "bit-for-bit equal to the uninterrupted run")
			assert.Equal(t, 6, resumed.Epoch)
		})
	}
}

func TestResumeRefusesAMismatchedCheckpoint(t *testing.T) {
	X, y, _ := synthetic(100, 3, 1)
	var ckpt *Checkpoint
	_, err := Train(t.Context(), X, y, 3, Config{Epochs: 2, Seed: 1}, nil, func(_ EpochStats, c *Checkpoint) error { ckpt = c; return nil })
	require.NoError(t, err)

	_, err = Train(t.Context(), X, y, 3, Config{Epochs: 4, Seed: 2}, ckpt, nil)
	assert.ErrorContains(t, err, "seed is 1 but config seed is 2")
	_, err = Train(t.Context(), X, y, 3, Config{Epochs: 4, Seed: 1, Optimizer: "sgd"}, ckpt, nil)
	assert.ErrorContains(t, err, `checkpoint optimizer is "adam" but optimizer is "sgd"`)
	_, err = Train(t.Context(), X[:200], y, 2, Config{Epochs: 4, Seed: 1}, ckpt, nil)
	assert.ErrorContains(t, err, "model has 3 features but the data has 2 columns")

	// A checkpoint at or past the last epoch is already the answer.
	m, err := Train(t.Context(), X, y, 3, Config{Epochs: 2, Seed: 1}, ckpt, nil)
	require.NoError(t, err)
	assert.Equal(t, ckpt.Model.Params, m.Params)
}

func TestHugeLearningRateReportsDivergence(t *testing.T) {
	X := []float64{1e150, -1e150, -1e150, 1e150, 1e150, 1e150}
	y := []float64{1, 0, 1}
	_, err := Train(t.Context(), X, y, 2, Config{Epochs: 5, BatchSize: 1, LearningRate: 1e200, Optimizer: "sgd"}, nil, nil)
	require.ErrorIs(t, err, ErrDiverged)
	assert.ErrorContains(t, err, "training diverged")
	assert.ErrorContains(t, err, "lower learning_rate (now 1e+200)")
}

func TestCancellationStopsBetweenBatches(t *testing.T) {
	X, y, _ := synthetic(400, 3, 2)
	ctx, cancel := context.WithCancel(t.Context())
	calls := 0
	_, err := Train(ctx, X, y, 3, Config{Epochs: 50, BatchSize: 10}, nil, func(EpochStats, *Checkpoint) error {
		calls++
		cancel() // as if the worker were shutting down
		return nil
	})
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 1, calls, "no epoch runs after cancellation")
	assert.ErrorContains(t, err, "training stopped in epoch 2")

	_, err = Train(ctx, X, y, 3, Config{}, nil, nil)
	assert.ErrorIs(t, err, context.Canceled)
}

func TestCallbackErrorStopsTraining(t *testing.T) {
	X, y, _ := synthetic(100, 3, 2)
	stop := errors.New("disk full")
	calls := 0
	_, err := Train(t.Context(), X, y, 3, Config{Epochs: 5}, nil, func(EpochStats, *Checkpoint) error {
		calls++
		if calls == 2 {
			return stop
		}
		return nil
	})
	assert.ErrorIs(t, err, stop)
	assert.Equal(t, 2, calls)
}

func TestTrainRejectsBadInput(t *testing.T) {
	cases := []struct {
		name string
		X, y []float64
		cols int
		want string
	}{
		{"zero rows", nil, nil, 2, "zero rows"},
		{"X too short", []float64{1, 2, 3}, []float64{0, 1}, 2, "X has 3 values but 2 labels × 2 columns = 4"},
		{"bad label", []float64{1, 2, 3, 4}, []float64{0, 2}, 2, "label at row 1 is 2; labels must be 0 or 1"},
		{"NaN feature", []float64{1, 2, 3, math.NaN()}, []float64{0, 1}, 2, "row 1 column 1 is NaN"},
		{"no columns", nil, []float64{0}, 0, "cols is 0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Train(t.Context(), tc.X, tc.y, tc.cols, Config{}, nil, nil)
			assert.ErrorContains(t, err, tc.want)
		})
	}
	_, err := Train(t.Context(), []float64{1}, []float64{1}, 1, Config{Optimizer: "rmsprop"}, nil, nil)
	assert.ErrorContains(t, err, "optimizer")
}
