//go:build cgo && !noxgboost

package gbt_test

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/gbt"
)

// synthetic draws rows × cols standard-normal features, a share of them
// missing (NaN), and labels 0..classes-1 from a nonlinear rule with noise.
func synthetic(rows, cols, classes int, missing float64, seed uint64) (X, y []float64) {
	r := rand.New(rand.NewPCG(seed, 3))
	X = make([]float64, rows*cols)
	y = make([]float64, rows)
	for i := range rows {
		row := X[i*cols : (i+1)*cols]
		for j := range row {
			row[j] = r.NormFloat64()
		}
		z := row[0] + 0.8*math.Abs(row[1%cols]) - row[2%cols]*row[3%cols] + 0.5*r.NormFloat64()
		for j := range row {
			if r.Float64() < missing {
				row[j] = math.NaN()
			}
		}
		if math.IsNaN(z) {
			z = 0
		}
		if classes <= 2 {
			if z > 0.3 {
				y[i] = 1
			}
			continue
		}
		y[i] = float64(min(classes-1, max(0, int(math.Floor(z+float64(classes)/2)))))
	}
	return X, y
}

// split cuts rows into a training and a test part (every fourth row tests).
func split(X, y []float64, cols int) (trX, trY, teX, teY []float64) {
	for i := range y {
		if i%4 == 3 {
			teX, teY = append(teX, X[i*cols:(i+1)*cols]...), append(teY, y[i])
		} else {
			trX, trY = append(trX, X[i*cols:(i+1)*cols]...), append(trY, y[i])
		}
	}
	return trX, trY, teX, teY
}

// accuracy scores probabilities (one per row for binary, k per row
// otherwise) against labels.
func accuracy(p, y []float64) float64 {
	k := len(p) / len(y)
	right := 0
	for i, label := range y {
		pred := 0
		if k == 1 {
			if p[i] > 0.5 {
				pred = 1
			}
		} else {
			for c := range k {
				if p[i*k+c] > p[i*k+pred] {
					pred = c
				}
			}
		}
		if float64(pred) == label {
			right++
		}
	}
	return float64(right) / float64(len(y))
}

// modelTrees reads the trees of an XGBoost JSON model.
type jsonTree struct {
	Left  []int `json:"left_children"`
	Right []int `json:"right_children"`
}

func modelTrees(t *testing.T, model []byte) []jsonTree {
	t.Helper()
	var m struct {
		Learner struct {
			Booster struct {
				Model struct {
					Trees []jsonTree `json:"trees"`
				} `json:"model"`
			} `json:"gradient_booster"`
		} `json:"learner"`
	}
	require.NoError(t, json.Unmarshal(model, &m))
	return m.Learner.Booster.Model.Trees
}

// depth is a tree's depth: 0 for a lone leaf.
func (tr jsonTree) depth(i int) int {
	if tr.Left[i] == -1 {
		return 0
	}
	return 1 + max(tr.depth(tr.Left[i]), tr.depth(tr.Right[i]))
}

// maxDepth is the deepest tree's depth.
func maxDepth(t *testing.T, model []byte) int {
	d := 0
	for _, tr := range modelTrees(t, model) {
		d = max(d, tr.depth(0))
	}
	return d
}

// maxAbsDiff is the largest |a[i]-b[i]|.
func maxAbsDiff(t *testing.T, a, b []float64) float64 {
	t.Helper()
	require.Equal(t, len(a), len(b))
	d := 0.0
	for i := range a {
		d = max(d, math.Abs(a[i]-b[i]))
	}
	return d
}

// params are small, quick settings for the tests.
func params(classes int) gbt.Params {
	p := gbt.DefaultParams()
	p.Classes = classes
	p.NEstimators = 30
	p.LearningRate = 0.2
	// One thread: OpenMP's spinning threads crawl on a machine whose cores
	// are all busy, and the model does not depend on it.
	p.NThread = 1
	return p
}

func train(t *testing.T, X, y []float64, cols int, p gbt.Params, o gbt.Options) *gbt.Result {
	t.Helper()
	res, err := gbt.Train(context.Background(), X, y, nil, cols, p, o)
	require.NoError(t, err)
	return res
}

func predict(t *testing.T, model []byte, X []float64, cols int) []float64 {
	t.Helper()
	p, err := gbt.Predict(model, X, cols)
	require.NoError(t, err)
	return p
}

// majority is the accuracy of always predicting the commonest label.
func majority(y []float64) float64 {
	counts := map[float64]int{}
	best := 0
	for _, v := range y {
		counts[v]++
		best = max(best, counts[v])
	}
	return float64(best) / float64(len(y))
}
