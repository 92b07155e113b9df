package treeeval_test

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/treeeval"
)

// fullTree is a complete tree of the given depth with random splits on
// features 0..features-1 and random leaves, nodes numbered as XGBoost's
// depthwise growth numbers them.
func fullTree(r *rand.Rand, depth, features int) tree {
	n := 1<<(depth+1) - 1
	tr := tree{Left: make([]int, n), Right: make([]int, n), Feature: make([]int, n), Cond: make([]float32, n),
		DefaultLeft: make([]int, n), SplitType: make([]int, n), BaseWeights: make([]float32, n)}
	for i := range n {
		if i >= n/2 {
			tr.Left[i], tr.Right[i], tr.Cond[i] = -1, -1, float32(r.NormFloat64()*0.1)
			continue
		}
		tr.Left[i], tr.Right[i] = 2*i+1, 2*i+2
		tr.Feature[i], tr.Cond[i], tr.DefaultLeft[i] = r.IntN(features), float32(r.NormFloat64()), r.IntN(2)
	}
	return tr
}

// BenchmarkRowProba is the cost of one row (ns/op) through 100 full trees
// of depth 6 on 20 features, XGBoost's default depth and a typical width.
func BenchmarkRowProba(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	trees := make([]tree, 100)
	info := make([]int, 100)
	for i := range trees {
		trees[i] = fullTree(r, 6, 20)
	}
	m, err := treeeval.Parse(doc(b, treeeval.ObjectiveBinaryLogistic, 0, 20, trees, info, nil))
	require.NoError(b, err)
	X := make([]float64, 1000*20)
	for i := range X {
		X[i] = r.NormFloat64()
	}
	s, out := m.NewScratch(), make([]float64, 2)
	for i := 0; b.Loop(); i++ {
		k := i % 1000
		if err := m.RowProba(X[k*20:(k+1)*20], s, out); err != nil {
			b.Fatal(err)
		}
	}
}
