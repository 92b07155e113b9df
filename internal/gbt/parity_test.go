//go:build cgo && !noxgboost

package gbt_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/gbt"
	"github.com/mlpipe/mlpipe/internal/treeeval"
)

// Package treeeval, which the gateway uses, gives XGBoost's own
// probabilities on the test split within 1e-6, missing values included.
func TestTreeevalMatchesXGBoostOnTheTestSplit(t *testing.T) {
	cases := []struct {
		name    string
		classes int
		edit    func(*gbt.Params)
	}{
		{"binary", 0, func(p *gbt.Params) {}},
		{"binary unlimited depth", 0, func(p *gbt.Params) { p.MaxDepth, p.MinChildWeight = nil, 0 }},
		{"binary sampled, regularised, balanced", 0, func(p *gbt.Params) {
			p.Subsample, p.ColsampleByTree, p.RegAlpha, p.RegLambda, p.ClassWeight, p.MaxBin = 0.8, 0.7, 0.5, 3, gbt.ClassWeightBalanced, 32
		}},
		{"binary early stopping", 0, func(p *gbt.Params) {
			p.NEstimators, p.LearningRate, p.ValidationFraction, p.EarlyStoppingRounds = 300, 0.5, 0.2, 5
		}},
		{"three classes", 3, func(p *gbt.Params) {}},
		{"three classes unlimited depth", 3, func(p *gbt.Params) { p.MaxDepth, p.NEstimators = nil, 15 }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			X, y := synthetic(3000, 8, max(c.classes, 2), 0.15, 41)
			trX, trY, teX, teY := split(X, y, 8)
			p := params(c.classes)
			p.NEstimators = 60
			c.edit(&p)
			res := train(t, trX, trY, 8, p, gbt.Options{})
			want := predict(t, res.Model, teX, 8)

			m, err := treeeval.Parse(res.Model)
			require.NoError(t, err)
			assert.Equal(t, max(c.classes, 2), m.Classes())
			assert.Equal(t, 8, m.Features())
			var got []float64
			if c.classes < 3 {
				assert.Equal(t, res.Trees, m.Trees())
				got, err = m.PredictProba(teX, 8)
				require.NoError(t, err)
			} else {
				assert.Equal(t, res.Trees*c.classes, m.Trees())
				rows, err := m.PredictClassProba(teX, 8)
				require.NoError(t, err)
				for _, r := range rows {
					got = append(got, r...)
				}
			}
			require.Len(t, got, len(want))
			require.Len(t, got, len(teY)*max(1, c.classes))
			assert.LessOrEqual(t, maxAbsDiff(t, got, want), 1e-6)
		})
	}
}

// benchModel is 100 trees of depth 6 on 20 features, the size the
// benchmark table reports, and rows to predict.
func benchModel(b *testing.B) ([]byte, []float64) {
	X, y := synthetic(20000, 20, 2, 0.02, 51)
	p := gbt.DefaultParams()
	p.NThread = 1
	res, err := gbt.Train(b.Context(), X, y, nil, 20, p, gbt.Options{})
	require.NoError(b, err)
	return res.Model, X[:1000*20]
}

// BenchmarkTreeevalPredictRow is the gateway's cost per row (ns/op is per
// row): 100 trees of depth 6, 20 features, one goroutine.
func BenchmarkTreeevalPredictRow(b *testing.B) {
	model, X := benchModel(b)
	m, err := treeeval.Parse(model)
	require.NoError(b, err)
	s, out := m.NewScratch(), make([]float64, 2)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		k := i % 1000
		if err := m.RowProba(X[k*20:(k+1)*20], s, out); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkXGBoostPredictRow is XGBoost's own CPU predictor through the C
// API on one thread, the model loaded once, 1000 rows a call; ns/row is
// comparable with BenchmarkTreeevalPredictRow's ns/op.
func BenchmarkXGBoostPredictRow(b *testing.B) {
	model, X := benchModel(b)
	b.ResetTimer()
	require.NoError(b, gbt.PredictTimes(model, X, 20, b.N))
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(1000*b.N), "ns/row")
}
