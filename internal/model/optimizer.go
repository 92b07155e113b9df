package model

import (
	"fmt"
	"math"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Hyperparameters fixed for now; they match Gorgonia's and Keras' defaults.
const (
	momentumMu = 0.9
	adamBeta1  = 0.9
	adamBeta2  = 0.999
	adamEps    = 1e-8
)

// solver implements gorgonia.Solver. Gorgonia's own solvers keep their
// moments and step count in unexported fields, so a run could not be resumed
// exactly from a checkpoint; this one keeps them in an OptimizerState. It
// also updates in place without allocating.
type solver struct {
	lr    float64
	state *OptimizerState
	// scalar and scalarGrad are scratch space for scalar parameters (the bias).
	scalar, scalarGrad [1]float64
}

var _ gorgonia.Solver = (*solver)(nil)

// newSolver returns a solver for params of the given sizes, starting from
// state (a resumed run) or from zero.
func newSolver(name string, lr float64, sizes []int, state *OptimizerState) (*solver, error) {
	if state == nil {
		st := OptimizerState{Name: name}
		if name == OptimizerMomentum || name == OptimizerAdam {
			st.First = zeros(sizes)
		}
		if name == OptimizerAdam {
			st.Second = zeros(sizes)
		}
		state = &st
	}
	if state.Name != name {
		return nil, fmt.Errorf("checkpoint optimizer is %q but optimizer is %q; resume with the same optimizer", state.Name, name)
	}
	if err := checkSlots("first", state.First, sizes, name != OptimizerSGD); err != nil {
		return nil, err
	}
	if err := checkSlots("second", state.Second, sizes, name == OptimizerAdam); err != nil {
		return nil, err
	}
	return &solver{lr: lr, state: state}, nil
}

func zeros(sizes []int) [][]float64 {
	out := make([][]float64, len(sizes))
	for i, n := range sizes {
		out[i] = make([]float64, n)
	}
	return out
}

func checkSlots(what string, slots [][]float64, sizes []int, want bool) error {
	if !want {
		return nil
	}
	if len(slots) != len(sizes) {
		return fmt.Errorf("checkpoint optimizer %s moment has %d tensors; expected %d", what, len(slots), len(sizes))
	}
	for i, s := range slots {
		if len(s) != sizes[i] {
			return fmt.Errorf("checkpoint optimizer %s moment %d has %d values; expected %d", what, i, len(s), sizes[i])
		}
	}
	return nil
}

// Step applies one update to every parameter, in the order of Model.Params,
// then zeroes the gradients: the TapeMachine adds into them on every run.
func (s *solver) Step(model []gorgonia.ValueGrad) error {
	s.state.Step++
	for i, n := range model {
		g, err := n.Grad()
		if err != nil {
			return fmt.Errorf("gradient of parameter %d: %w", i, err)
		}
		switch v := n.Value().(type) {
		case *tensor.Dense:
			gd, ok := g.(*tensor.Dense)
			if !ok {
				return fmt.Errorf("gradient of parameter %d is %T, not a tensor", i, g)
			}
			gs := gd.Data().([]float64)
			s.update(i, v.Data().([]float64), gs)
			clear(gs)
		case *gorgonia.F64:
			gs, ok := g.(*gorgonia.F64)
			if !ok {
				return fmt.Errorf("gradient of parameter %d is %T, not a scalar", i, g)
			}
			s.scalar[0], s.scalarGrad[0] = float64(*v), float64(*gs)
			s.update(i, s.scalar[:], s.scalarGrad[:])
			*v = gorgonia.F64(s.scalar[0])
			*gs = 0
		default:
			return fmt.Errorf("parameter %d has unsupported value type %T", i, v)
		}
	}
	return nil
}

func (s *solver) update(i int, w, g []float64) {
	switch s.state.Name {
	case OptimizerSGD:
		for j := range w {
			w[j] -= s.lr * g[j]
		}
	case OptimizerMomentum:
		vel := s.state.First[i]
		for j := range w {
			vel[j] = momentumMu*vel[j] - s.lr*g[j]
			w[j] += vel[j]
		}
	case OptimizerAdam:
		m, v := s.state.First[i], s.state.Second[i]
		t := float64(s.state.Step)
		c1 := 1 - math.Pow(adamBeta1, t)
		c2 := 1 - math.Pow(adamBeta2, t)
		for j := range w {
			m[j] = adamBeta1*m[j] + (1-adamBeta1)*g[j]
			v[j] = adamBeta2*v[j] + (1-adamBeta2)*g[j]*g[j]
			w[j] -= s.lr * (m[j] / c1) / (math.Sqrt(v[j]/c2) + adamEps)
		}
	}
}
