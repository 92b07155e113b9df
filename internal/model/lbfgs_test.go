package model

import (
	"context"
	"encoding/json"
	"math"
	"runtime"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// objectiveRef is the training objective in plain Go, the class-weighted
// mean log-loss plus l2/2·‖w‖², and its gradient (the weights, then the
// bias), written independently of the graph.
func objectiveRef(m *Model, X, y []float64, cols int, l2 float64, mode string) (float64, []float64) {
	cw := classWeights(y, mode)
	w, b := m.Weights(), m.Bias()
	g := make([]float64, cols+1)
	var f, total float64
	for i := range y {
		z := b
		for j := range cols {
			z += X[i*cols+j] * w[j]
		}
		s := cw[int(y[i])]
		total += s
		f += s * (softplus(z) - y[i]*z)
		d := s * (sigmoid(z) - y[i])
		for j := range cols {
			g[j] += d * X[i*cols+j]
		}
		g[cols] += d
	}
	f /= total
	for j := range g {
		g[j] /= total
	}
	for j, v := range w {
		f += l2 / 2 * v * v
		g[j] += l2 * v
	}
	return f, g
}

// The graph's full-batch objective and gradient, which L-BFGS relies on,
// equal the plain-Go ones at an arbitrary point, with class weights and L2.
func TestFullBatchObjectiveMatchesReference(t *testing.T) {
	const rows = 2*lossChunk + 300 // the fused loss runs in three chunks
	X, y, _ := synthetic(rows, 4, 31)
	m := &Model{Kind: KindLogistic, NumFeatures: 4, Params: []Param{
		{Name: ParamWeights, Shape: []int{4}, Data: []float64{0.3, -1.2, 0.7, 2}},
		{Name: ParamBias, Shape: []int{}, Data: []float64{-0.4}},
	}}
	const l2 = 0.03
	lg, err := newLogisticTrain(m, rows, 4, l2, X)
	require.NoError(t, err)
	vm, err := lg.machine()
	require.NoError(t, err)
	defer vm.Close()
	cw := classWeightsK(y, seq(rows), 2, ClassWeightBalanced)
	lg.fill(X, y, 4, seq(rows), cw, batchWeight(y, seq(rows), cw), nil)
	ev := &evaluator{vm: vm, tg: lg, nodes: lg.learnables()}

	x := flatten(m, 5)
	g := make([]float64, 5)
	for range 2 { // a second evaluation must not see the first one's gradient
		f, err := ev.eval(x, g)
		require.NoError(t, err)
		wantF, wantG := objectiveRef(m, X, y, 4, l2, ClassWeightBalanced)
		assert.InDelta(t, wantF, f, 1e-12)
		assert.InDeltaSlice(t, wantG, g, 1e-12)
	}
}

// On a problem with L2 the optimum is unique: lbfgs must stop there on its
// own, with the gradient (computed independently) at the tolerance, and no
// worse than a long Adam run.
func TestLBFGSReachesTheOptimum(t *testing.T) {
	X, y, _ := synthetic(2000, 5, 17)
	const l2 = 0.01
	var stats []EpochStats
	var last *Checkpoint
	m, err := Train(t.Context(), X, y, 5, Config{Optimizer: "lbfgs", L2: l2, ClassWeight: "balanced"}, nil,
		func(s EpochStats, c *Checkpoint) error {
			stats, last = append(stats, s), c
			return nil
		})
	require.NoError(t, err)
	require.NotEmpty(t, stats)
	assert.Less(t, m.Epoch, 100, "stops on convergence, before the 100-iteration cap")
	assert.Len(t, stats, m.Epoch)
	assert.Contains(t, last.Optimizer.LBFGS.Converged, "max |gradient|")
	for i := 1; i < len(stats); i++ {
		assert.LessOrEqual(t, stats[i].Loss, stats[i-1].Loss, "every line search lowers the objective")
	}

	f, g := objectiveRef(m, X, y, 5, l2, "balanced")
	assert.InDelta(t, f, stats[len(stats)-1].Loss, 1e-12, "EpochStats.Loss is the objective at the iterate")
	assert.Less(t, maxAbs(g), DefaultTol, "the gradient is ~0: this is the optimum")

	adam, err := Train(t.Context(), X, y, 5, Config{Optimizer: "adam", LearningRate: 0.01, BatchSize: 100, Epochs: 300, L2: l2, ClassWeight: "balanced", Seed: 1}, nil, nil)
	require.NoError(t, err)
	fAdam, _ := objectiveRef(adam, X, y, 5, l2, "balanced")
	assert.LessOrEqual(t, f, fAdam+1e-9, "no worse than 300 epochs of Adam")
	assert.InDelta(t, fAdam, f, 1e-3, "and both found the same minimum")
}

func TestLBFGSNeedsFarFewerIterationsThanAdamEpochs(t *testing.T) {
	X, y, _ := synthetic(3000, 8, 5)
	const l2 = 1e-3
	lb, err := Train(t.Context(), X, y, 8, Config{Optimizer: "lbfgs", L2: l2, Tol: 1e-6}, nil, nil)
	require.NoError(t, err)
	fLB, _ := objectiveRef(lb, X, y, 8, l2, "")
	require.Less(t, lb.Epoch, 40)

	// Ten times as many Adam epochs (each many steps) are still short of it.
	adam, err := Train(t.Context(), X, y, 8, Config{Optimizer: "adam", Epochs: 10 * lb.Epoch, L2: l2, Seed: 3}, nil, nil)
	require.NoError(t, err)
	fAdam, _ := objectiveRef(adam, X, y, 8, l2, "")
	assert.Greater(t, fAdam, fLB+1e-6)
}

func TestLBFGSResumeEqualsUninterruptedRun(t *testing.T) {
	X, y, _ := synthetic(700, 6, 13)
	xorX, xorY := xorish(600, 5)
	softY := make([]float64, len(y))
	for i := range softY {
		softY[i] = float64(i % 3)
		if X[i*6] > 0.5 {
			softY[i] = 2
		}
	}
	cases := []struct {
		name string
		X, y []float64
		cols int
		cfg  Config
	}{
		{"logistic", X, y, 6, Config{Optimizer: "lbfgs", L2: 0.01, Tol: 1e-9}},
		{"logistic validation", X, y, 6, Config{Optimizer: "lbfgs", L2: 0.01, Tol: 1e-9, ValidationFraction: 0.2, Patience: 50, Seed: 4}},
		{"softmax", X, softY, 6, Config{Optimizer: "lbfgs", Classes: 3, L2: 0.001, Tol: 1e-9}},
		{"mlp", xorX, xorY, 2, Config{Kind: "mlp", Hidden: []int{8}, Activation: "tanh", Optimizer: "lbfgs", Epochs: 25, Seed: 2}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var saved [][]byte
			full, err := Train(t.Context(), tc.X, tc.y, tc.cols, tc.cfg, nil, func(s EpochStats, c *Checkpoint) error {
				b, err := json.Marshal(c) // as a worker would persist it
				saved = append(saved, b)
				return err
			})
			require.NoError(t, err)
			require.Greater(t, len(saved), 4)

			var ckpt Checkpoint
			require.NoError(t, json.Unmarshal(saved[2], &ckpt))
			require.Equal(t, 3, ckpt.Epoch)
			require.NotNil(t, ckpt.Optimizer.LBFGS)
			require.Len(t, ckpt.Optimizer.LBFGS.S, 3, "the history travels in the checkpoint")
			var epochs []int
			var lastState *OptimizerState
			resumed, err := Train(t.Context(), tc.X, tc.y, tc.cols, tc.cfg, &ckpt, func(s EpochStats, c *Checkpoint) error {
				epochs, lastState = append(epochs, s.Epoch), &c.Optimizer
				return nil
			})
			require.NoError(t, err)
			assert.Equal(t, full.Params, resumed.Params, "bit-for-bit equal to the uninterrupted run")
			assert.Equal(t, full.Epoch, resumed.Epoch)
			require.NotEmpty(t, epochs)
			assert.Equal(t, 4, epochs[0])
			assert.Equal(t, len(saved), epochs[len(epochs)-1], "stops at the same iteration")
			var fullLast Checkpoint
			require.NoError(t, json.Unmarshal(saved[len(saved)-1], &fullLast))
			assert.Equal(t, fullLast.Optimizer.LBFGS.Converged, lastState.LBFGS.Converged)
			assert.Equal(t, fullLast.Optimizer.LBFGS.Evaluations, lastState.LBFGS.Evaluations)
		})
	}
}

// A checkpoint written at the iteration that converged is the answer: a
// retried activity must not take another step.
func TestLBFGSResumeAfterConvergenceTakesNoStep(t *testing.T) {
	X, y, _ := synthetic(500, 4, 2)
	cfg := Config{Optimizer: "lbfgs", L2: 0.01}
	var last *Checkpoint
	m, err := Train(t.Context(), X, y, 4, cfg, nil, func(_ EpochStats, c *Checkpoint) error { last = c; return nil })
	require.NoError(t, err)
	require.NotEmpty(t, last.Optimizer.LBFGS.Converged)
	require.Less(t, last.Epoch, 100)

	calls := 0
	again, err := Train(t.Context(), X, y, 4, cfg, last, func(EpochStats, *Checkpoint) error { calls++; return nil })
	require.NoError(t, err)
	assert.Zero(t, calls)
	assert.Equal(t, m.Params, again.Params)
}

func TestLBFGSRefusesAnotherOptimizersCheckpoint(t *testing.T) {
	X, y, _ := synthetic(100, 3, 1)
	var ckpt *Checkpoint
	_, err := Train(t.Context(), X, y, 3, Config{Epochs: 2}, nil, func(_ EpochStats, c *Checkpoint) error { ckpt = c; return nil })
	require.NoError(t, err)
	_, err = Train(t.Context(), X, y, 3, Config{Epochs: 4, Optimizer: "lbfgs"}, ckpt, nil)
	assert.ErrorContains(t, err, `checkpoint optimizer is "adam" but optimizer is "lbfgs"`)

	_, err = Train(t.Context(), X, y, 3, Config{Epochs: 2, Optimizer: "lbfgs"}, nil, func(_ EpochStats, c *Checkpoint) error { ckpt = c; return nil })
	require.NoError(t, err)
	ckpt.Optimizer.LBFGS.Grad = ckpt.Optimizer.LBFGS.Grad[:2]
	_, err = Train(t.Context(), X, y, 3, Config{Epochs: 4, Optimizer: "lbfgs"}, ckpt, nil)
	assert.ErrorContains(t, err, "checkpoint lbfgs gradient has 2 values; expected 4")
}

// The fused loss sums fixed chunks in order, so the model does not depend
// on how many cores ran them: a checkpoint resumes exactly on any worker.
func TestLBFGSSameModelOnAnyNumberOfCores(t *testing.T) {
	X, y, _ := synthetic(3*lossChunk, 3, 9)
	cfg := Config{Optimizer: "lbfgs", L2: 1e-4, Epochs: 8}
	var models []*Model
	for _, procs := range []int{1, 3} {
		prev := runtime.GOMAXPROCS(procs)
		m, err := Train(t.Context(), X, y, 3, cfg, nil, nil)
		runtime.GOMAXPROCS(prev)
		require.NoError(t, err)
		models = append(models, m)
	}
	assert.Equal(t, models[0].Params, models[1].Params)
}

func TestLBFGSLeavesTheCallersRowsAlone(t *testing.T) {
	X, y, _ := synthetic(400, 3, 8)
	before := slices.Clone(X)
	_, err := Train(t.Context(), X, y, 3, Config{Optimizer: "lbfgs"}, nil, nil)
	require.NoError(t, err)
	assert.Equal(t, before, X, "the graph reads X in place and must not write to it")
}

func TestLBFGSTrainsAnMLP(t *testing.T) {
	X, y := xorish(2000, 1)
	Xt, yt := xorish(1000, 2)
	m, err := Train(t.Context(), X, y, 2, Config{Kind: "mlp", Hidden: []int{16}, Optimizer: "lbfgs", Epochs: 150, Seed: 3}, nil, nil)
	require.NoError(t, err)
	p, err := m.PredictProba(Xt, 2)
	require.NoError(t, err)
	assert.Greater(t, accuracy(p, yt), 0.9)
}

// A point where the logits overflow has no finite objective: that is
// divergence, reported as with the other optimizers.
func TestLBFGSNonFiniteObjectiveReportsDivergence(t *testing.T) {
	X := []float64{10, 10, -10, 10, 10, -10}
	y := []float64{0, 1, 0}
	m := newLogistic(2)
	copy(m.Weights(), []float64{1e308, 1e308})
	_, err := Train(t.Context(), X, y, 2, Config{Optimizer: "lbfgs"},
		&Checkpoint{Model: *m, Optimizer: OptimizerState{Name: "lbfgs"}}, nil)
	require.ErrorIs(t, err, ErrDiverged)
	assert.ErrorContains(t, err, "not finite")
	assert.ErrorContains(t, err, "scale the features")
}

func TestLineSearchWithNoFiniteStepFails(t *testing.T) {
	// f is finite only at x = 0: every trial step overflows.
	eval := func(x, g []float64) (float64, error) {
		if x[0] != 0 {
			return math.NaN(), nil
		}
		g[0] = -1
		return 1, nil
	}
	o := newLBFGS(&LBFGSState{}, 1, DefaultTol, eval)
	x := []float64{0}
	require.NoError(t, o.start(x))
	err := o.iterate(t.Context(), x)
	assert.ErrorIs(t, err, errNoFiniteStep)
	assert.Equal(t, 1+lbfgsMaxLineSearch, o.st.Evaluations)
}

// The line search accepts only steps that satisfy the strong Wolfe
// conditions, on a quadratic.
func TestLineSearchMeetsStrongWolfe(t *testing.T) {
	// f(x) = (x−3)²: from 0, the direction is +6 and the minimum is at α = 0.5.
	eval := func(x, g []float64) (float64, error) {
		g[0] = 2 * (x[0] - 3)
		return (x[0] - 3) * (x[0] - 3), nil
	}
	for _, a0 := range []float64{1e-3, 0.2, 1, 40} {
		o := newLBFGS(&LBFGSState{}, 1, DefaultTol, eval)
		o.d[0] = 6
		f, ok, err := o.lineSearch(t.Context(), []float64{0}, 9, -36, a0)
		require.NoError(t, err)
		require.True(t, ok, "a0 %v", a0)
		a := o.xt[0] / 6
		assert.LessOrEqual(t, f, 9+wolfeC1*a*-36, "sufficient decrease, a0 %v", a0)
		assert.LessOrEqual(t, math.Abs(o.gt[0]*6), wolfeC2*36, "curvature, a0 %v", a0)
		fx, err := eval([]float64{o.xt[0]}, []float64{0})
		require.NoError(t, err)
		assert.Equal(t, fx, f, "f is the objective at the accepted point")
	}
}

func TestLBFGSStopsWhenCancelled(t *testing.T) {
	X, y, _ := synthetic(400, 3, 2)
	ctx, cancel := context.WithCancel(t.Context())
	calls := 0
	_, err := Train(ctx, X, y, 3, Config{Optimizer: "lbfgs", Tol: 1e-12}, nil, func(EpochStats, *Checkpoint) error {
		calls++
		cancel()
		return nil
	})
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 1, calls)
	assert.ErrorContains(t, err, "training stopped in epoch 2")
}

// A starting point that already meets tol still reports its loss: the
// bundle and the search's trial records read it from the last epoch.
func TestLBFGSConvergedAtTheStartReportsItsLoss(t *testing.T) {
	X := make([]float64, 40*3) // no signal: w = 0, b = 0 is the optimum
	y := make([]float64, 40)
	for i := range y {
		y[i] = float64(i % 2)
	}
	var stats []EpochStats
	m, err := Train(t.Context(), X, y, 3, Config{Optimizer: OptimizerLBFGS}, nil, func(s EpochStats, _ *Checkpoint) error {
		stats = append(stats, s)
		return nil
	})
	require.NoError(t, err)
	require.Len(t, stats, 1)
	assert.InDelta(t, math.Log(2), stats[0].Loss, 1e-12)
	assert.Equal(t, 1, m.Epoch)
}
