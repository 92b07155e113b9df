//go:build cgo && !noxgboost

package gbt_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/gbt"
)

func TestBinaryLearnsWithMissingValues(t *testing.T) {
	X, y := synthetic(4000, 6, 2, 0.1, 1)
	trX, trY, teX, teY := split(X, y, 6)
	res := train(t, trX, trY, 6, params(0), gbt.Options{})
	assert.Equal(t, 30, res.Rounds)
	assert.Equal(t, 30, res.Trees)
	assert.Equal(t, 2, res.Classes)
	assert.Equal(t, 6, res.Features)
	assert.Len(t, modelTrees(t, res.Model), 30)
	p := predict(t, res.Model, teX, 6)
	require.Len(t, p, len(teY))
	assert.Greater(t, accuracy(p, teY), majority(teY)+0.15, "well above always predicting the commonest class")
}

func TestMultiClassGrowsATreePerClassPerRound(t *testing.T) {
	X, y := synthetic(4000, 6, 3, 0.05, 2)
	trX, trY, teX, teY := split(X, y, 6)
	res := train(t, trX, trY, 6, params(3), gbt.Options{})
	assert.Equal(t, 3, res.Classes)
	assert.Len(t, modelTrees(t, res.Model), 90)
	p := predict(t, res.Model, teX, 6)
	require.Len(t, p, 3*len(teY))
	for i := range teY {
		assert.InDelta(t, 1, p[3*i]+p[3*i+1]+p[3*i+2], 1e-5)
	}
	assert.Greater(t, accuracy(p, teY), majority(teY)+0.15, "well above always predicting the commonest class")
}

func TestTrainRefusesBadData(t *testing.T) {
	X, y := synthetic(20, 2, 2, 0, 3)
	inf := append([]float64(nil), X...)
	inf[2*5+1] = math.Inf(1)
	X = X[:40]
	cases := []struct {
		name    string
		X, y, w []float64
		classes int
		want    string
	}{
		{"binary label 2", X, append(append([]float64(nil), y[:19]...), 2), nil, 0, "label at row 19 is 2; labels must be 0 or 1"},
		{"class index out of range", X, append(append([]float64(nil), y[:19]...), 3), nil, 3, "label at row 19 is 3; labels must be class indices 0..2 (classes is 3)"},
		{"fractional label", X, append([]float64{0.5}, y[1:]...), nil, 3, "label at row 0 is 0.5"},
		{"infinite feature", inf, y, nil, 0, "feature at row 5 column 1 is +Inf; clip or drop infinite values (NaN counts as missing)"},
		{"short X", X[:39], y, nil, 0, "X has 39 values but 20 labels × 2 columns = 40 are needed"},
		{"no rows", nil, nil, nil, 0, "training data has zero rows"},
		{"negative weight", X, y, append(make([]float64, 19), -1), 0, "sample weight at row 19 is -1; weights must be finite and >= 0"},
		{"weights per row", X, y, make([]float64, 3), 0, "3 sample weights for 20 rows"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := params(c.classes)
			_, err := gbt.Train(context.Background(), c.X, c.y, c.w, 2, p, gbt.Options{})
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
			assert.ErrorIs(t, err, gbt.ErrInvalidInput)
		})
	}
}

func TestValidationSplitTooSmallIsRefused(t *testing.T) {
	X, y := synthetic(10, 2, 2, 0, 4)
	p := params(0)
	p.ValidationFraction = 0.01
	_, err := gbt.Train(context.Background(), X, y, nil, 2, p, gbt.Options{})
	assert.ErrorContains(t, err, "validation_fraction 0.01 of 10 rows leaves 0 validation")
	assert.ErrorIs(t, err, gbt.ErrInvalidInput)
}

// max_depth null grows trees as deep as the data supports; a number caps
// them.
func TestUnlimitedDepth(t *testing.T) {
	X, y := synthetic(3000, 6, 2, 0.05, 5)
	p := params(0)
	p.NEstimators = 5
	p.MinChildWeight = 0
	p.MaxDepth = gbt.Depth(3)
	capped := train(t, X, y, 6, p, gbt.Options{})
	assert.LessOrEqual(t, maxDepth(t, capped.Model), 3)
	p.MaxDepth = nil
	deep := train(t, X, y, 6, p, gbt.Options{})
	assert.Greater(t, maxDepth(t, deep.Model), gbt.DefaultMaxDepth, "unlimited depth grows past XGBoost's default of 6")
}

// Early stopping keeps the trees of the round with the lowest validation
// log-loss.
func TestEarlyStoppingKeepsTheBestRound(t *testing.T) {
	X, y := synthetic(2000, 6, 2, 0.05, 6)
	p := params(0)
	p.NEstimators = 300
	p.LearningRate = 0.5
	p.MaxDepth = nil // overfits fast
	p.MinChildWeight = 0
	p.ValidationFraction = 0.2
	p.EarlyStoppingRounds = 5
	var last gbt.Progress
	res := train(t, X, y, 6, p, gbt.Options{Every: 1, OnProgress: func(pr gbt.Progress) error { last = pr; return nil }})
	require.True(t, res.StoppedEarly)
	assert.Less(t, res.Rounds, 300)
	assert.Equal(t, last.BestRound, res.Trees)
	assert.Equal(t, res.Rounds-5, res.Trees)
	assert.Equal(t, last.BestLoss, res.ValidationLoss)
	assert.Greater(t, res.ValidationLoss, 0.0)
	assert.Len(t, modelTrees(t, res.Model), res.Trees)
}

// class_weight balanced is sample weights n / (k·n_c): the same model.
func TestBalancedClassWeightIsSampleWeights(t *testing.T) {
	X, y := synthetic(1500, 4, 3, 0, 7)
	p := params(3)
	p.NEstimators = 5
	p.ClassWeight = gbt.ClassWeightBalanced
	balanced := train(t, X, y, 4, p, gbt.Options{})

	counts := map[float64]float64{}
	for _, v := range y {
		counts[v]++
	}
	require.Len(t, counts, 3)
	require.NotEqual(t, counts[0], counts[1], "the classes must be unbalanced for the test to mean anything")
	w := make([]float64, len(y))
	for i, v := range y {
		w[i] = float64(len(y)) / (3 * counts[v])
	}
	p.ClassWeight = ""
	weighted, err := gbt.Train(context.Background(), X, y, w, 4, p, gbt.Options{})
	require.NoError(t, err)
	assert.Equal(t, string(weighted.Model), string(balanced.Model))
	unweighted := train(t, X, y, 4, p, gbt.Options{})
	assert.NotEqual(t, string(unweighted.Model), string(balanced.Model))
}

// float32 and float64 input holding the same values train the same model.
func TestFloat32AndFloat64InputAgree(t *testing.T) {
	X, y := synthetic(1000, 4, 2, 0.1, 8)
	X32 := make([]float32, len(X))
	for i, v := range X {
		X32[i] = float32(v)
		X[i] = float64(X32[i])
	}
	p := params(0)
	p.NEstimators = 5
	a := train(t, X, y, 4, p, gbt.Options{})
	b, err := gbt.Train(context.Background(), X32, y, nil, 4, p, gbt.Options{})
	require.NoError(t, err)
	assert.Equal(t, string(a.Model), string(b.Model))
}

func TestProgressEveryKRoundsAndAtTheEnd(t *testing.T) {
	X, y := synthetic(500, 4, 2, 0, 9)
	p := params(0)
	p.NEstimators = 25
	var rounds []int
	train(t, X, y, 4, p, gbt.Options{Every: 10, OnProgress: func(pr gbt.Progress) error {
		assert.Equal(t, 25, pr.Rounds)
		rounds = append(rounds, pr.Round)
		return nil
	}})
	assert.Equal(t, []int{10, 20, 25}, rounds)
}

func TestProgressErrorAndCancelStopTraining(t *testing.T) {
	X, y := synthetic(500, 4, 2, 0, 10)
	p := params(0)
	boom := errors.New("heartbeat failed")
	_, err := gbt.Train(context.Background(), X, y, nil, 4, p, gbt.Options{Every: 5, OnProgress: func(pr gbt.Progress) error { return boom }})
	require.ErrorIs(t, err, boom)
	assert.NotErrorIs(t, err, gbt.ErrInvalidInput)
	assert.ErrorContains(t, err, "after round 5")

	ctx, cancel := context.WithCancel(context.Background())
	_, err = gbt.Train(ctx, X, y, nil, 4, p, gbt.Options{Every: 5, OnProgress: func(pr gbt.Progress) error {
		if pr.Round == 10 {
			cancel()
		}
		return nil
	}})
	require.ErrorIs(t, err, context.Canceled)
	assert.ErrorContains(t, err, "stopped after 10 of 30 rounds")
	assert.Zero(t, gbt.LiveHandles(), "every XGBoost handle is freed, on errors too")
}

func TestCheckpointOutsideProgressIsAnError(t *testing.T) {
	_, err := gbt.Progress{}.Checkpoint()
	assert.ErrorContains(t, err, "outside OnProgress")

	X, y := synthetic(300, 4, 2, 0, 13)
	p := params(0)
	p.NEstimators = 3
	var kept gbt.Progress
	train(t, X, y, 4, p, gbt.Options{Every: 1, OnProgress: func(pr gbt.Progress) error { kept = pr; return nil }})
	_, err = kept.Checkpoint()
	assert.ErrorContains(t, err, "Checkpoint called after OnProgress returned")
}

func TestPredictRefusesBadInput(t *testing.T) {
	X, y := synthetic(200, 4, 2, 0, 11)
	p := params(0)
	p.NEstimators = 2
	res := train(t, X, y, 4, p, gbt.Options{})
	_, err := gbt.Predict(res.Model, X[:7], 4)
	assert.ErrorContains(t, err, "7 values are not rows of 4 columns")
	_, err = gbt.Predict(res.Model, X[:6], 3)
	assert.ErrorContains(t, err, "xgboost")
	_, err = gbt.Predict([]byte(`{"not": "a model"}`), X[:4], 4)
	assert.ErrorContains(t, err, "load model")
	assert.Zero(t, gbt.LiveHandles())
}

// XGBoost's log lines reach slog, not the process's stderr; the notice it
// gives when the updater is set on purpose (sampling) is only debug.
func TestXGBoostLogGoesThroughSlog(t *testing.T) {
	var buf bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	defer slog.SetDefault(prev)
	X, y := synthetic(300, 4, 2, 0, 12)
	p := params(0)
	p.NEstimators, p.Subsample = 2, 0.5
	train(t, X, y, 4, p, gbt.Options{})
	assert.Contains(t, buf.String(), "level=DEBUG msg=xgboost")
	assert.Contains(t, buf.String(), "manually specified `updater`")
}
