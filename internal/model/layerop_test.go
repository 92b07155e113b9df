package model

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// The fused layer ops (matMulOp, biasActOp and their gradients) give the
// slope of the cost: a finite-difference check of every parameter of a
// two-hidden-layer MLP, relu and tanh, binary and three classes, with L2.
func TestMLPGradientsMatchFiniteDifferences(t *testing.T) {
	X, y, _ := synthetic(40, 3, 9)
	for _, act := range []string{ActivationReLU, ActivationTanh} {
		for _, classes := range []int{0, 3} {
			labels := append([]float64{}, y...)
			if classes == 3 {
				for i := range labels {
					labels[i] = float64(i % 3)
				}
			}
			cfg := Config{Kind: KindMLP, Hidden: []int{5, 4}, Activation: act, Classes: classes, Seed: 4}.Defaults()
			m := newModel(cfg, 3)
			cw := []float64{1, 2, 0.5}
			idx := seq(40)
			total := batchWeight(labels, idx, cw)
			run := func(m *Model) step {
				g, err := newNetTrain(m, 40, 0.01, 0, nil)
				require.NoError(t, err)
				return runOnce(t, g, X, labels, idx, cw, total)
			}
			checkGradients(t, m, run, fmt.Sprintf("%s, %d classes", act, classes))
		}
	}
}

// With dropout the gradients are still the slope of the cost for the
// masks drawn: the same check with masks from one seed on every run, and
// biases started away from zero so no unit sits at relu's kink.
func TestDropoutGradientsMatchFiniteDifferences(t *testing.T) {
	X, y, _ := synthetic(30, 3, 11)
	cfg := Config{Kind: KindMLP, Hidden: []int{6}, Dropout: 0.3, Seed: 2}.Defaults()
	m := newModel(cfg, 3)
	r := rand.New(rand.NewPCG(8, 9))
	for pi, p := range m.Params {
		if p.Name[0] == 'b' {
			for j := range p.Data {
				m.Params[pi].Data[j] = 0.1 + 0.2*r.Float64()
			}
		}
	}
	cw := []float64{1, 1}
	idx := seq(30)
	run := func(m *Model) step {
		g, err := newNetTrain(m, 30, 0, cfg.Dropout, nil)
		require.NoError(t, err)
		return runOnceWith(t, g, X, y, idx, cw, 30, rand.New(rand.NewPCG(3, 4)))
	}
	checkGradients(t, m, run, "dropout 0.3")
}

// checkGradients compares the gradient run computes for m with central
// finite differences of its cost, parameter by parameter.
func checkGradients(t *testing.T, m *Model, run func(*Model) step, what string) {
	t.Helper()
	analytic := run(m).grads
	const h = 1e-6
	for pi, p := range m.Params {
		for j := range p.Data {
			plus, minus := m.Clone(), m.Clone()
			plus.Params[pi].Data[j] += h
			minus.Params[pi].Data[j] -= h
			numeric := (run(plus).cost - run(minus).cost) / (2 * h)
			assert.InDelta(t, numeric, analytic[pi][j], 1e-6, "%s: %s[%d]", what, p.Name, j)
		}
	}
}

// matMulOp and its gradients agree with Gorgonia's own Mul on every
// combination of transposes.
func TestMatMulOpMatchesGorgoniaMul(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	mat := func(rows, cols int) *tensor.Dense {
		d := make([]float64, rows*cols)
		for i := range d {
			d[i] = r.NormFloat64()
		}
		return tensor.New(tensor.WithShape(rows, cols), tensor.WithBacking(d))
	}
	for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
		aShape, bShape := [2]int{5, 3}, [2]int{3, 9} // op(A) 5×3, op(B) 3×9
		if tr[0] {
			aShape = [2]int{3, 5}
		}
		if tr[1] {
			bShape = [2]int{9, 3}
		}
		aT, bT, wT := mat(aShape[0], aShape[1]), mat(bShape[0], bShape[1]), mat(5, 9)
		// cost = Σ (op(A)·op(B)) ⊙ W, whose gradients exercise SymDiff.
		results := make([][3][]float64, 2)
		for k, ours := range []bool{true, false} {
			g := gorgonia.NewGraph()
			a := gorgonia.NewMatrix(g, tensor.Float64, gorgonia.WithShape(aShape[0], aShape[1]), gorgonia.WithName("a"), gorgonia.WithValue(aT.Clone()))
			b := gorgonia.NewMatrix(g, tensor.Float64, gorgonia.WithShape(bShape[0], bShape[1]), gorgonia.WithName("b"), gorgonia.WithValue(bT.Clone()))
			w := gorgonia.NewMatrix(g, tensor.Float64, gorgonia.WithShape(5, 9), gorgonia.WithName("w"), gorgonia.WithValue(wT.Clone()))
			var c *gorgonia.Node
			var err error
			if ours {
				c, err = gorgonia.ApplyOp(matMulOp{transA: tr[0], transB: tr[1], out: &outBuf{}}, a, b)
			} else {
				opA, opB := a, b
				if tr[0] {
					opA = gorgonia.Must(gorgonia.Transpose(a))
				}
				if tr[1] {
					opB = gorgonia.Must(gorgonia.Transpose(b))
				}
				c, err = gorgonia.Mul(opA, opB)
			}
			require.NoError(t, err)
			cost := gorgonia.Must(gorgonia.Sum(gorgonia.Must(gorgonia.HadamardProd(c, w))))
			_, err = gorgonia.Grad(cost, a, b)
			require.NoError(t, err)
			vm := gorgonia.NewTapeMachine(g, gorgonia.BindDualValues(a, b))
			require.NoError(t, vm.RunAll())
			ga, err := a.Grad()
			require.NoError(t, err)
			gb, err := b.Grad()
			require.NoError(t, err)
			results[k] = [3][]float64{append([]float64{}, c.Value().Data().([]float64)...),
				append([]float64{}, ga.Data().([]float64)...), append([]float64{}, gb.Data().([]float64)...)}
			require.NoError(t, vm.Close())
		}
		for i, what := range []string{"product", "gradient for A", "gradient for B"} {
			assert.InDeltaSlice(t, results[1][i], results[0][i], 1e-12, "transposes %v: %s", tr, what)
		}
	}
}

type step struct {
	cost  float64
	grads [][]float64
}

// runOnce fills g with the rows idx, runs it once and returns the cost and
// a copy of every parameter's gradient.
func runOnce(t *testing.T, g trainGraph, X, y []float64, idx []int, cw []float64, total float64) step {
	return runOnceWith(t, g, X, y, idx, cw, total, nil)
}

// runOnceWith is runOnce drawing dropout masks from r.
func runOnceWith(t *testing.T, g trainGraph, X, y []float64, idx []int, cw []float64, total float64, r *rand.Rand) step {
	t.Helper()
	vm, err := g.machine()
	require.NoError(t, err)
	defer vm.Close()
	g.fill(X, y, len(X)/len(y), idx, cw, total, r)
	require.NoError(t, vm.RunAll())
	s := step{cost: g.cost()}
	for _, n := range g.learnables() {
		gv, err := n.Grad()
		require.NoError(t, err)
		d, ok := gv.Data().([]float64)
		require.True(t, ok, "gradient of %v holds %T", n, gv.Data())
		s.grads = append(s.grads, append([]float64{}, d...))
	}
	return s
}
