package model

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A batch large enough to be split over two graphs still takes exactly the
// textbook SGD step: padding in the last batch, an empty second part,
// class weights and L2 included.
func TestShardedTrainingMatchesReference(t *testing.T) {
	X, y, _ := synthetic(300, 3, 22) // batches of 130, 130 and 40: the last leaves part 2 empty
	cfg := Config{Epochs: 3, BatchSize: 130, LearningRate: 0.3, Optimizer: "sgd", L2: 0.05, ClassWeight: "balanced", Seed: 8}
	require.Equal(t, 2, shardCount(cfg.BatchSize))
	m, err := Train(t.Context(), X, y, 3, cfg, nil, nil)
	require.NoError(t, err)
	want := referenceSGD(X, y, 3, cfg)
	assert.InDeltaSlice(t, want[:3], m.Weights(), 1e-12)
	assert.InDelta(t, want[3], m.Bias(), 1e-12)
}

// The sharded graph's cost and gradients equal one graph's on the same
// batch, for a binary and a three-class MLP with L2, full and short.
func TestShardedGraphEqualsOneGraph(t *testing.T) {
	X, y, _ := synthetic(150, 4, 5)
	for _, classes := range []int{0, 3} {
		labels := append([]float64{}, y...)
		if classes == 3 {
			for i := range labels {
				labels[i] = float64(i % 3)
			}
		}
		cfg := Config{Kind: KindMLP, Hidden: []int{6}, Classes: classes, L2: 0.1, ClassWeight: "balanced", Seed: 3}.Defaults()
		m := newModel(cfg, 4)
		cw := classWeightsK(labels, seq(150), max(2, classes), cfg.ClassWeight)
		for _, rows := range []int{150, 100} { // 100: the second part gets 25 of its 75 rows
			one, err := newNetTrain(m, 150, cfg.L2, 0, nil)
			require.NoError(t, err)
			sharded, err := newShardedGraph(2, 75, func(rows int, withL2 bool) (trainGraph, error) {
				if withL2 {
					return newNetTrain(m, rows, cfg.L2, 0, nil)
				}
				return newNetTrain(m, rows, 0, 0, nil)
			})
			require.NoError(t, err)
			idx := seq(rows)
			total := batchWeight(labels, idx, cw)
			want := runOnce(t, one, X, labels, idx, cw, total)
			got := runOnce(t, sharded, X, labels, idx, cw, total)
			assert.InDelta(t, want.cost, got.cost, 1e-12, "classes %d, rows %d", classes, rows)
			require.Len(t, got.grads, len(want.grads))
			for i := range want.grads {
				assert.InDeltaSlice(t, want.grads[i], got.grads[i], 1e-12, "classes %d, rows %d, parameter %d", classes, rows, i)
			}
		}
	}
}

// The relu op's gradient is the slope of the cost: a finite-difference
// check of every first-layer weight of a relu MLP.
func TestReLUGradientMatchesFiniteDifferences(t *testing.T) {
	X, y, _ := synthetic(40, 3, 9)
	cfg := Config{Kind: KindMLP, Hidden: []int{5}, Activation: ActivationReLU, Seed: 4}.Defaults()
	m := newModel(cfg, 3)
	cw := []float64{1, 1}
	idx := seq(40)
	cost := func(m *Model) float64 {
		g, err := newNetTrain(m, 40, 0, 0, nil)
		require.NoError(t, err)
		return runOnce(t, g, X, y, idx, cw, 40).cost
	}
	g, err := newNetTrain(m, 40, 0, 0, nil)
	require.NoError(t, err)
	analytic := runOnce(t, g, X, y, idx, cw, 40).grads[0]
	const h = 1e-6
	for j := range m.Params[0].Data {
		plus, minus := m.Clone(), m.Clone()
		plus.Params[0].Data[j] += h
		minus.Params[0].Data[j] -= h
		numeric := (cost(plus) - cost(minus)) / (2 * h)
		assert.InDelta(t, numeric, analytic[j], 1e-6, "weight %d", j)
	}
}

type step struct {
	cost  float64
	grads [][]float64
}

// runOnce fills g with the rows idx, runs it once and returns the cost and
// a copy of every parameter's gradient.
func runOnce(t *testing.T, g trainGraph, X, y []float64, idx []int, cw []float64, total float64) step {
	t.Helper()
	vm, err := g.machine()
	require.NoError(t, err)
	defer vm.Close()
	g.fill(X, y, len(X)/len(y), idx, cw, total, nil)
	require.NoError(t, vm.RunAll())
	s := step{cost: g.cost()}
	for _, n := range g.learnables() {
		gv, err := n.Grad()
		require.NoError(t, err)
		d, err := floats(gv)
		require.NoError(t, err)
		s.grads = append(s.grads, append([]float64{}, d...))
	}
	return s
}
