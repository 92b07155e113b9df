//go:build cgo && !noxgboost

package gbt_test

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/gbt"
)

// Trainings running at once, as a GPU worker's slots run them, each get
// the model they get alone: XGBoost's random engine, its last error and
// its prediction cache are per thread, and every training has its own.
// Every handle is freed afterwards.
func TestConcurrentTrainingsMatchSequentialOnes(t *testing.T) {
	X, y := synthetic(1500, 6, 2, 0.05, 31)
	_, y3 := synthetic(1500, 6, 3, 0.05, 31)
	var ps []gbt.Params
	for i := range 4 {
		p := params(0)
		p.NEstimators, p.Seed, p.NThread = 15, int64(i), 1+i%2
		p.Subsample, p.ColsampleByTree = 0.7, 0.8
		if i%2 == 1 {
			p.Classes = 3
		}
		if i == 2 {
			p.MaxDepth, p.ValidationFraction, p.EarlyStoppingRounds = nil, 0.2, 3
		}
		ps = append(ps, p)
	}
	labels := func(p gbt.Params) []float64 {
		if p.Classes == 3 {
			return y3
		}
		return y
	}
	want := make([]string, len(ps))
	for i, p := range ps {
		want[i] = string(train(t, X, labels(p), 6, p, gbt.Options{}).Model)
	}
	got := make([]string, 2*len(ps))
	errs := make([]error, len(got))
	var wg sync.WaitGroup
	for i := range got {
		wg.Go(func() {
			p := ps[i%len(ps)]
			res, err := gbt.Train(context.Background(), X, labels(p), nil, 6, p, gbt.Options{Every: 2, OnProgress: func(pr gbt.Progress) error {
				_, err := pr.Checkpoint()
				return err
			}})
			if errs[i] = err; err == nil {
				got[i] = string(res.Model)
				_, errs[i] = gbt.Predict(res.Model, X[:60], 6)
			}
		})
	}
	wg.Wait()
	for i := range got {
		require.NoError(t, errs[i])
		assert.Equal(t, want[i%len(ps)], got[i], "training %d", i)
	}
	assert.Zero(t, gbt.LiveHandles())
}
