package model

import (
	"errors"
	"fmt"
	"time"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// fullBatch trains with L-BFGS. The graph's batch is every training row,
// filled once (the caller's X itself when no rows are held out for
// validation); each evaluation of the objective sets the parameters, runs
// the graph forward and backward, and reads the cost and the gradients.
// One iteration, line search included, is one epoch.
func (r *run) fullBatch(start int, st *OptimizerState) error {
	var xData []float64
	if len(r.trainIdx) == len(r.y) {
		xData = r.X // every row trains, in order: the graph can read X in place
	}
	tg, err := r.newGraph(len(r.trainIdx), xData, r.cfg.L2)
	if err != nil {
		return err
	}
	vm, err := tg.machine()
	if err != nil {
		return err
	}
	defer vm.Close()
	tg.fill(r.X, r.y, r.cols, r.trainIdx, r.cw, batchWeight(r.y, r.trainIdx, r.cw), nil)

	n := 0
	for _, size := range paramSizes(r.m) {
		n += size
	}
	if st == nil {
		st = &OptimizerState{Name: OptimizerLBFGS}
	}
	if st.Name != OptimizerLBFGS {
		return fmt.Errorf("checkpoint optimizer is %q but optimizer is %q; resume with the same optimizer", st.Name, OptimizerLBFGS)
	}
	if st.LBFGS != nil {
		if err := checkLBFGS(st.LBFGS, n); err != nil {
			return err
		}
	}
	ev := &evaluator{vm: vm, tg: tg, nodes: tg.learnables()}
	x := flatten(r.m, n)
	fresh := st.LBFGS == nil
	if fresh {
		st.LBFGS = &LBFGSState{}
	}
	opt := newLBFGS(st.LBFGS, n, r.cfg.Tol, ev.eval)
	if fresh {
		began := time.Now()
		if err := r.ctx.Err(); err != nil {
			return fmt.Errorf("training stopped in epoch %d: %w", start+1, err)
		}
		if err := opt.start(x); err != nil {
			return r.lbfgsErr(start, st.LBFGS.Loss, err)
		}
		if st.LBFGS.Converged != "" {
			// The starting point already meets tol: report it as an
			// iteration that took no step, so callers see its loss.
			_, err := r.endEpoch(start, st.LBFGS.Loss, began, st)
			return err
		}
	}
	for epoch := start; epoch < r.cfg.Epochs; epoch++ {
		began := time.Now()
		if err := opt.iterate(r.ctx, x); err != nil {
			return r.lbfgsErr(epoch, st.LBFGS.Loss, err)
		}
		st.Step++
		unflatten(x, r.m)
		if !finite(r.m) {
			return r.lbfgsErr(epoch, st.LBFGS.Loss, errNoFiniteStep)
		}
		stop, err := r.endEpoch(epoch, st.LBFGS.Loss, began, st)
		if err != nil || stop || st.LBFGS.Converged != "" {
			return err
		}
	}
	return nil
}

// lbfgsErr words an error of iteration epoch (zero-based) for the caller.
func (r *run) lbfgsErr(epoch int, loss float64, err error) error {
	switch {
	case errors.Is(err, errNoFiniteStep):
		return fmt.Errorf("%w in epoch %d (loss %v): %v; scale the features, or raise l2", ErrDiverged, epoch+1, loss, err)
	case r.ctx.Err() != nil && errors.Is(err, r.ctx.Err()):
		return fmt.Errorf("training stopped in epoch %d: %w", epoch+1, err)
	}
	return fmt.Errorf("epoch %d: %w", epoch+1, err)
}

// converged reports whether a checkpoint's lbfgs state had already stopped.
func converged(st *OptimizerState) bool {
	return st != nil && st.LBFGS != nil && st.LBFGS.Converged != ""
}

// evaluator computes the objective and its gradient with the graph.
type evaluator struct {
	vm    gorgonia.VM
	tg    trainGraph
	nodes gorgonia.Nodes
}

// eval sets the graph's parameters to x, runs it, and copies the gradient
// into g. Gradients are cleared after reading: the TapeMachine adds into them.
func (e *evaluator) eval(x, g []float64) (float64, error) {
	off := 0
	for i, n := range e.nodes {
		switch v := n.Value().(type) {
		case *tensor.Dense:
			off += copy(v.Data().([]float64), x[off:])
		case *gorgonia.F64:
			*v = gorgonia.F64(x[off])
			off++
		default:
			return 0, fmt.Errorf("parameter %d has unsupported value type %T", i, v)
		}
	}
	if err := e.vm.RunAll(); err != nil {
		return 0, fmt.Errorf("run graph: %w", err)
	}
	defer e.vm.Reset()
	off = 0
	for i, n := range e.nodes {
		gv, err := n.Grad()
		if err != nil {
			return 0, fmt.Errorf("gradient of parameter %d: %w", i, err)
		}
		switch v := gv.(type) {
		case *tensor.Dense:
			d := v.Data().([]float64)
			off += copy(g[off:], d)
			clear(d)
		case *gorgonia.F64:
			g[off] = float64(*v)
			*v = 0
			off++
		default:
			return 0, fmt.Errorf("gradient of parameter %d has unsupported type %T", i, v)
		}
	}
	return e.tg.cost(), nil
}

// flatten concatenates m's parameters (n values in all) in order.
func flatten(m *Model, n int) []float64 {
	x := make([]float64, 0, n)
	for _, p := range m.Params {
		x = append(x, p.Data...)
	}
	return x
}

// unflatten copies x back into m's parameters.
func unflatten(x []float64, m *Model) {
	off := 0
	for _, p := range m.Params {
		off += copy(p.Data, x[off:])
	}
}
