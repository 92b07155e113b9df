//go:build cgo && !noxgboost

package gbt_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/gbt"
)

var errCrash = errors.New("worker killed")

// checkpointAt trains until round k, keeps that round's checkpoint and
// stops there, as a worker killed after its last checkpoint would.
func checkpointAt(t *testing.T, X, y []float64, cols int, p gbt.Params, k int) []byte {
	t.Helper()
	var ck []byte
	_, err := gbt.Train(context.Background(), X, y, nil, cols, p, gbt.Options{Every: 1, OnProgress: func(pr gbt.Progress) error {
		if pr.Round < k {
			return nil
		}
		var err error
		if ck, err = pr.Checkpoint(); err != nil {
			return err
		}
		return errCrash
	}})
	require.ErrorIs(t, err, errCrash)
	require.NotEmpty(t, ck)
	return ck
}

// A run resumed from a checkpoint ends with the model an uninterrupted run
// trains, tree for tree, with row and column sampling too: the random
// draws of a round depend on (seed, round) alone.
func TestResumeEqualsUninterrupted(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(*gbt.Params)
		cls   int
		at    int
		early bool
	}{
		{"binary", func(p *gbt.Params) {}, 0, 11, false},
		{"binary sampled", func(p *gbt.Params) { p.Subsample, p.ColsampleByTree = 0.7, 0.6 }, 0, 11, false},
		{"three classes sampled", func(p *gbt.Params) { p.Subsample, p.ColsampleByTree = 0.8, 0.5 }, 3, 7, false},
		{"unlimited depth sampled", func(p *gbt.Params) { p.MaxDepth, p.Subsample = nil, 0.6 }, 0, 13, false},
		{"early stopping sampled", func(p *gbt.Params) {
			p.NEstimators, p.LearningRate, p.MaxDepth, p.MinChildWeight = 200, 0.6, nil, 0
			p.ValidationFraction, p.EarlyStoppingRounds, p.Subsample = 0.25, 4, 0.8
		}, 0, 3, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			X, y := synthetic(2000, 6, max(c.cls, 2), 0.05, 21)
			p := params(c.cls)
			p.Seed = 5
			c.edit(&p)
			full := train(t, X, y, 6, p, gbt.Options{})
			ck := checkpointAt(t, X, y, 6, p, c.at)
			resumed := train(t, X, y, 6, p, gbt.Options{Resume: ck})
			assert.Equal(t, c.at, resumed.Resumed)
			assert.Equal(t, full.Rounds, resumed.Rounds)
			assert.Equal(t, full.Trees, resumed.Trees)
			assert.Equal(t, full.ValidationLoss, resumed.ValidationLoss)
			if c.early {
				require.True(t, full.StoppedEarly, "the case must stop early to test resuming it")
				require.Greater(t, full.Trees, c.at, "the checkpoint must come before the best round")
			}
			assert.Equal(t, string(full.Model), string(resumed.Model), "the same trees")
			assert.LessOrEqual(t, maxAbsDiff(t, predict(t, full.Model, X, 6), predict(t, resumed.Model, X, 6)), 1e-12)
		})
	}
}

// Resuming after every single round gives the uninterrupted model too,
// and every round keeps every parameter: no tree is deeper than max_depth,
// though XGBoost rebuilds its tree updater each round when sampling.
func TestResumeAfterEveryRoundEqualsUninterrupted(t *testing.T) {
	X, y := synthetic(1500, 6, 2, 0.05, 22)
	p := params(0)
	p.NEstimators, p.MaxDepth, p.Subsample, p.ColsampleByTree, p.Seed = 8, gbt.Depth(2), 0.7, 0.7, 9
	full := train(t, X, y, 6, p, gbt.Options{})
	var ck []byte
	for n := 1; n <= p.NEstimators; n++ {
		q := p
		q.NEstimators = n
		res, err := gbt.Train(context.Background(), X, y, nil, 6, q, gbt.Options{Resume: ck, Every: 1, OnProgress: func(pr gbt.Progress) error {
			var err error
			ck, err = pr.Checkpoint()
			return err
		}})
		require.NoError(t, err)
		require.Equal(t, n-1, res.Resumed)
		if n == p.NEstimators {
			assert.Equal(t, string(full.Model), string(res.Model))
		}
	}
	assert.LessOrEqual(t, maxDepth(t, full.Model), 2)
	unsampled := p
	unsampled.Subsample, unsampled.ColsampleByTree = 1, 1
	assert.NotEqual(t, string(train(t, X, y, 6, unsampled, gbt.Options{}).Model), string(full.Model), "sampling is in effect")
}

// A checkpoint may train further: n_estimators is not fixed by it.
func TestResumeWithMoreEstimatorsTrainsFurther(t *testing.T) {
	X, y := synthetic(1500, 6, 2, 0.05, 23)
	p := params(0)
	p.Subsample = 0.8
	full := train(t, X, y, 6, p, gbt.Options{})
	short := p
	short.NEstimators = 12
	ck := checkpointAt(t, X, y, 6, short, 12)
	longer := train(t, X, y, 6, p, gbt.Options{Resume: ck})
	assert.Equal(t, 12, longer.Resumed)
	assert.Equal(t, string(full.Model), string(longer.Model))

	// A checkpoint at or past n_estimators ends at once with its trees.
	done := train(t, X, y, 6, short, gbt.Options{Resume: ck})
	assert.Equal(t, 12, done.Rounds)
	assert.Len(t, modelTrees(t, done.Model), 12)
}

func TestResumeRefusesAForeignCheckpoint(t *testing.T) {
	X, y := synthetic(800, 6, 2, 0, 24)
	p := params(0)
	ck := checkpointAt(t, X, y, 6, p, 5)

	other := p
	other.LearningRate, other.MaxDepth = 0.3, nil
	_, err := gbt.Train(context.Background(), X, y, nil, 6, other, gbt.Options{Resume: ck})
	assert.ErrorContains(t, err, "resume: the checkpoint was trained with other parameters (max_depth 6, now null; learning_rate 0.2, now 0.3); start without it")
	assert.ErrorIs(t, err, gbt.ErrCheckpoint)

	fewer := p
	fewer.NEstimators = 4
	_, err = gbt.Train(context.Background(), X, y, nil, 6, fewer, gbt.Options{Resume: ck})
	assert.ErrorContains(t, err, "resume: the checkpoint has 5 rounds, more than n_estimators 4; start without it")
	assert.ErrorIs(t, err, gbt.ErrCheckpoint)

	final := train(t, X, y, 6, p, gbt.Options{})
	_, err = gbt.Train(context.Background(), X, y, nil, 6, p, gbt.Options{Resume: final.Model})
	assert.ErrorContains(t, err, "the checkpoint has no mlpipe_gbt_state attribute")
	assert.ErrorIs(t, err, gbt.ErrCheckpoint)

	_, err = gbt.Train(context.Background(), X, y, nil, 6, p, gbt.Options{Resume: []byte("{truncated")})
	assert.ErrorContains(t, err, "resume: xgboost load model")
	assert.ErrorIs(t, err, gbt.ErrCheckpoint)
	assert.Zero(t, gbt.LiveHandles())
}
