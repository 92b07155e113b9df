package model

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// xorish is a problem no line separates: y = 1 when x0·x1 > 0.
func xorish(rows int, seed uint64) (X, y []float64) {
	r := rand.New(rand.NewPCG(seed, 3))
	X, y = make([]float64, rows*2), make([]float64, rows)
	for i := range rows {
		X[2*i], X[2*i+1] = r.NormFloat64(), r.NormFloat64()
		if X[2*i]*X[2*i+1] > 0 {
			y[i] = 1
		}
	}
	return X, y
}

func TestMLPLearnsWhatALineCannot(t *testing.T) {
	X, y := xorish(2000, 1)
	Xt, yt := xorish(1000, 2)
	mlp, err := Train(t.Context(), X, y, 2, Config{Kind: "mlp", Hidden: []int{16}, Epochs: 30, BatchSize: 32, LearningRate: 0.01, Seed: 3}, nil, nil)
	require.NoError(t, err)
	lin, err := Train(t.Context(), X, y, 2, Config{Epochs: 30, BatchSize: 32, Seed: 3}, nil, nil)
	require.NoError(t, err)
	pm, err := mlp.PredictProba(Xt, 2)
	require.NoError(t, err)
	pl, err := lin.PredictProba(Xt, 2)
	require.NoError(t, err)
	assert.Greater(t, accuracy(pm, yt), 0.9)
	assert.Less(t, accuracy(pl, yt), 0.7, "a linear model is near chance on xor")
	assert.Equal(t, []string{"w0", "b0", "w1", "b1"}, paramNames(mlp))
	assert.Equal(t, []int{2, 16}, mlp.Param("w0").Shape)
}

func paramNames(m *Model) []string {
	var ns []string
	for _, p := range m.Params {
		ns = append(ns, p.Name)
	}
	return ns
}

// The plain-Go PredictProba and PredictClassProba must agree with the
// graph that training optimised, for both activations and for softmax.
func TestMLPPredictEqualsGorgoniaForwardPass(t *testing.T) {
	const rows, cols = 40, 5
	X, y, _ := synthetic(rows, cols, 3)
	for _, tc := range []struct {
		act     string
		classes int
	}{{"relu", 0}, {"tanh", 0}, {"relu", 3}} {
		t.Run(tc.act, func(t *testing.T) {
			labels := append([]float64{}, y...)
			if tc.classes == 3 {
				for i := range labels {
					labels[i] = float64(i % 3)
				}
			}
			cfg := Config{Kind: "mlp", Hidden: []int{7, 4}, Activation: tc.act, Classes: tc.classes, Epochs: 3, BatchSize: 8, Seed: 9}.Defaults()
			m, err := Train(t.Context(), X, labels, cols, cfg, nil, nil)
			require.NoError(t, err)
			ng, err := newNetTrain(m, rows, 0, 0, nil)
			require.NoError(t, err)
			ng.fill(X, labels, cols, seq(rows), filled(max(2, tc.classes), 1), float64(rows), nil)
			vm, err := ng.machine()
			require.NoError(t, err)
			defer vm.Close()
			require.NoError(t, vm.RunAll())
			z := ng.logits.Value().Data().([]float64)

			if tc.classes == 0 {
				got, err := m.PredictProba(X, cols)
				require.NoError(t, err)
				for i := range got {
					assert.InDelta(t, sigmoid(z[i]), got[i], 1e-12)
				}
				return
			}
			got, err := m.PredictClassProba(X, cols)
			require.NoError(t, err)
			for i := range got {
				want := append([]float64{}, z[i*3:(i+1)*3]...)
				softmaxInPlace(want)
				assert.InDeltaSlice(t, want, got[i], 1e-12)
			}
			_, err = m.PredictProba(X, cols)
			assert.ErrorContains(t, err, "use PredictClassProba")
		})
	}
}

func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// With dropout, validation and patience all on, resuming from a JSON
// checkpoint still reproduces the uninterrupted run bit for bit.
func TestMLPSameSeedAndResumeAreExact(t *testing.T) {
	X, y, _ := synthetic(600, 4, 13)
	cfg := Config{Kind: "mlp", Hidden: []int{8, 6}, Activation: "tanh", Dropout: 0.2, L2: 0.001, Epochs: 6, BatchSize: 64,
		LearningRate: 0.01, ValidationFraction: 0.2, Patience: 10, ClassWeight: "balanced", Seed: 5}
	var saved []byte
	var valLosses []float64
	full, err := Train(t.Context(), X, y, 4, cfg, nil, func(s EpochStats, c *Checkpoint) error {
		valLosses = append(valLosses, s.ValidationLoss)
		if s.Epoch == 2 {
			var err error
			saved, err = json.Marshal(c)
			return err
		}
		return nil
	})
	require.NoError(t, err)
	require.Len(t, valLosses, 6)
	assert.Greater(t, valLosses[0], 0.0, "validation loss is reported")

	again, err := Train(t.Context(), X, y, 4, cfg, nil, nil)
	require.NoError(t, err)
	assert.Equal(t, full.Params, again.Params, "same seed, same model")

	var ckpt Checkpoint
	require.NoError(t, json.Unmarshal(saved, &ckpt))
	require.NotNil(t, ckpt.EarlyStopping)
	resumed, err := Train(t.Context(), X, y, 4, cfg, &ckpt, nil)
	require.NoError(t, err)
	assert.Equal(t, full.Params, resumed.Params)
	assert.Equal(t, full.Epoch, resumed.Epoch)

	cfg.Seed = 6
	other, err := Train(t.Context(), X, y, 4, cfg, nil, nil)
	require.NoError(t, err)
	assert.NotEqual(t, full.Params, other.Params)
}

func TestEarlyStoppingRestoresTheBestEpoch(t *testing.T) {
	// Few noisy rows and a big network: validation loss soon rises.
	X, y := xorish(120, 7)
	r := rand.New(rand.NewPCG(1, 1))
	for i := range y {
		if r.Float64() < 0.3 {
			y[i] = 1 - y[i]
		}
	}
	cfg := Config{Kind: "mlp", Hidden: []int{64, 64}, Epochs: 300, BatchSize: 8, LearningRate: 0.02,
		ValidationFraction: 0.25, Patience: 5, Seed: 2}
	var losses []float64
	params := map[int][]Param{}
	m, err := Train(t.Context(), X, y, 2, cfg, nil, func(s EpochStats, c *Checkpoint) error {
		losses = append(losses, s.ValidationLoss)
		params[s.Epoch] = c.Model.Params
		return nil
	})
	require.NoError(t, err)
	bestEpoch := 1
	for i, l := range losses {
		if l < losses[bestEpoch-1] {
			bestEpoch = i + 1
		}
	}
	require.Less(t, len(losses), 300, "training stopped early")
	assert.Equal(t, bestEpoch+5, len(losses), "stops after patience epochs without improvement")
	assert.Equal(t, bestEpoch, m.Epoch)
	assert.Equal(t, params[bestEpoch], m.Params, "the best epoch's weights are returned")
}

// One full-batch SGD step of multinomial logistic regression from zero,
// worked by hand: X = [[1], [2]], y = [0, 2], k = 3, every p = 1/3.
//
//	P−Y: row 0 [−2/3, 1/3, 1/3], row 1 [1/3, 1/3, −2/3]
//	∂W = (1·row0 + 2·row1)/2 = [0, 1/2, −1/2];  ∂b = (row0 + row1)/2 = [−1/6, 1/3, −1/6]
//	lr 1: W = [0, −1/2, 1/2], b = [1/6, −1/3, 1/6]; loss before = ln 3
func TestSoftmaxSGDStepMatchesHandComputedGradient(t *testing.T) {
	var stats EpochStats
	m, err := Train(t.Context(), []float64{1, 2}, []float64{0, 2}, 1,
		Config{Classes: 3, Epochs: 1, BatchSize: 2, LearningRate: 1, Optimizer: "sgd"}, nil,
		func(s EpochStats, _ *Checkpoint) error { stats = s; return nil })
	require.NoError(t, err)
	assert.InDeltaSlice(t, []float64{0, -0.5, 0.5}, m.Weights(), 1e-15)
	assert.InDeltaSlice(t, []float64{1.0 / 6, -1.0 / 3, 1.0 / 6}, m.Param(ParamBias).Data, 1e-15)
	assert.InDelta(t, math.Log(3), stats.Loss, 1e-15)
	assert.Equal(t, 3, m.Classes)
}

func TestSoftmaxLearnsThreeClasses(t *testing.T) {
	// Class = which of three centres a point is drawn around.
	r := rand.New(rand.NewPCG(4, 4))
	centres := [][2]float64{{0, 3}, {3, -2}, {-3, -2}}
	draw := func(n int) (X, y []float64) {
		for i := range n {
			c := i % 3
			X = append(X, centres[c][0]+r.NormFloat64(), centres[c][1]+r.NormFloat64())
			y = append(y, float64(c))
		}
		return X, y
	}
	X, y := draw(900)
	Xt, yt := draw(300)
	for _, kind := range []string{"logistic", "mlp"} {
		m, err := Train(t.Context(), X, y, 2, Config{Kind: kind, Classes: 3, Epochs: 10, BatchSize: 32, Seed: 1, ClassWeight: "balanced"}, nil, nil)
		require.NoError(t, err, kind)
		p, err := m.PredictClassProba(Xt, 2)
		require.NoError(t, err)
		ok := 0
		for i, row := range p {
			assert.InDelta(t, 1, row[0]+row[1]+row[2], 1e-12)
			best := 0
			for c := range row {
				if row[c] > row[best] {
					best = c
				}
			}
			if float64(best) == yt[i] {
				ok++
			}
		}
		assert.Greater(t, float64(ok)/300, 0.95, kind)
	}
	_, err := Train(t.Context(), X, y, 2, Config{Epochs: 1}, nil, nil)
	assert.ErrorContains(t, err, "label at row 2 is 2; labels must be 0 or 1")
	_, err = Train(t.Context(), X, y, 2, Config{Epochs: 1, Classes: 3, ClassWeight: "balanced"}, nil, nil)
	assert.NoError(t, err)
	y[5] = 3
	_, err = Train(t.Context(), X, y, 2, Config{Epochs: 1, Classes: 3}, nil, nil)
	assert.ErrorContains(t, err, "label at row 5 is 3; labels must be class indices 0..2")
}

func TestBalancedWeightsForThreeClasses(t *testing.T) {
	// n = 6, counts 3, 1, 2: n/(3·n_c) = 2/3, 2, 1
	w := classWeightsK([]float64{0, 0, 0, 1, 2, 2}, seq(6), 3, "balanced")
	assert.InDeltaSlice(t, []float64{2.0 / 3, 2, 1}, w, 1e-15)
}

func TestValidationSplitIsStratified(t *testing.T) {
	y := make([]float64, 40)
	for i := 30; i < 40; i++ {
		y[i] = 1 // 30 zeros, 10 ones
	}
	train, val, err := splitValidation(y, 40, Config{ValidationFraction: 0.2, Seed: 1})
	require.NoError(t, err)
	var ones int
	for _, i := range val {
		ones += int(y[i])
	}
	assert.Len(t, val, 8)
	assert.Equal(t, 2, ones, "20% of each class: 6 zeros and 2 ones")
	assert.Len(t, train, 32)

	_, _, err = splitValidation(y[:3], 3, Config{ValidationFraction: 0.1})
	assert.ErrorContains(t, err, "leaves 0 validation")
}
