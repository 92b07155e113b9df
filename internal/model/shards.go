package model

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"unsafe"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// shardMinRows is the smallest part of a mini-batch worth its own graph:
// below it a part's fixed cost per step (a TapeMachine run, a goroutine
// hand-off) outweighs the rows it takes.
const shardMinRows = 64

// maxShards bounds how many graphs share a mini-batch.
const maxShards = 2

// shardCount is how many graphs share a mini-batch of batch rows. It
// depends on the batch size alone, never on the machine, so the same
// configuration and seed give the same model on any worker.
func shardCount(batch int) int { return max(1, min(maxShards, batch/shardMinRows)) }

// shardedGraph splits each mini-batch across copies of one graph that run
// concurrently, each on its share of the rows, and adds their gradients:
// the gradient of a sum is the sum of the gradients, so this is the same
// step as one graph on the whole batch, up to the order of additions,
// which is fixed. The first part holds the parameters the solver updates
// and the L2 penalty; the others take a copy of the parameters before
// every run. It is both the trainGraph and the VM the training loop uses.
type shardedGraph struct {
	parts []trainGraph
	vms   []gorgonia.VM
	// rows is the number of batch rows each part takes; a short last
	// batch leaves the later parts fewer or none.
	rows int
	errs []error
}

var (
	_ trainGraph  = (*shardedGraph)(nil)
	_ gorgonia.VM = (*shardedGraph)(nil)
)

// newShardedGraph builds shards graphs of rows rows each with newPart,
// which is told whether its part carries the L2 penalty.
func newShardedGraph(shards, rows int, newPart func(rows int, withL2 bool) (trainGraph, error)) (*shardedGraph, error) {
	sg := &shardedGraph{rows: rows, errs: make([]error, shards)}
	for i := range shards {
		p, err := newPart(rows, i == 0)
		if err != nil {
			return nil, err
		}
		sg.parts = append(sg.parts, p)
	}
	return sg, nil
}

func (sg *shardedGraph) graph() *gorgonia.ExprGraph { return sg.parts[0].graph() }
func (sg *shardedGraph) learnables() gorgonia.Nodes { return sg.parts[0].learnables() }
func (sg *shardedGraph) store(m *Model)             { sg.parts[0].store(m) }

func (sg *shardedGraph) machine() (gorgonia.VM, error) {
	for _, p := range sg.parts {
		vm, err := p.machine()
		if err != nil {
			sg.Close()
			return nil, err
		}
		sg.vms = append(sg.vms, vm)
	}
	return sg, nil
}

// fill gives part i the rows idx[i·rows:(i+1)·rows]; every part draws its
// dropout masks from r in part order.
func (sg *shardedGraph) fill(X, y []float64, cols int, idx []int, cw []float64, total float64, r *rand.Rand) {
	for i, p := range sg.parts {
		lo, hi := min(len(idx), i*sg.rows), min(len(idx), (i+1)*sg.rows)
		p.fill(X, y, cols, idx[lo:hi], cw, total, r)
	}
}

// cost is the sum of the parts' costs, in part order.
func (sg *shardedGraph) cost() float64 {
	var c float64
	for _, p := range sg.parts {
		c += p.cost()
	}
	return c
}

// RunAll copies the first part's parameters to the others, runs every part
// (the first on this goroutine), then adds the others' gradients into the
// first's in part order and clears them.
func (sg *shardedGraph) RunAll() error {
	first := sg.parts[0].learnables()
	for _, p := range sg.parts[1:] {
		if err := eachParam(p.learnables(), first, copyValue); err != nil {
			return err
		}
	}
	var wg sync.WaitGroup
	for i := 1; i < len(sg.vms); i++ {
		wg.Go(func() { sg.errs[i] = sg.vms[i].RunAll() })
	}
	sg.errs[0] = sg.vms[0].RunAll()
	wg.Wait()
	if err := errors.Join(sg.errs...); err != nil {
		return err
	}
	for _, p := range sg.parts[1:] {
		if err := eachParam(first, p.learnables(), addGrad); err != nil {
			return err
		}
	}
	return nil
}

func (sg *shardedGraph) Reset() {
	for _, vm := range sg.vms {
		vm.Reset()
	}
}

func (sg *shardedGraph) Close() error {
	var errs []error
	for _, vm := range sg.vms {
		errs = append(errs, vm.Close())
	}
	return errors.Join(errs...)
}

// eachParam calls f on the backing values of each pair of parameter nodes
// of dst and src, which are graphs built from one model.
func eachParam(dst, src gorgonia.Nodes, f func(dst, src *gorgonia.Node) error) error {
	if len(dst) != len(src) {
		return fmt.Errorf("sharded graph: %d parameters against %d", len(dst), len(src))
	}
	for i := range dst {
		if err := f(dst[i], src[i]); err != nil {
			return fmt.Errorf("sharded graph: parameter %d: %w", i, err)
		}
	}
	return nil
}

// copyValue sets dst's value to src's.
func copyValue(dst, src *gorgonia.Node) error {
	d, err := floats(dst.Value())
	if err != nil {
		return err
	}
	s, err := floats(src.Value())
	if err != nil {
		return err
	}
	copy(d, s)
	return nil
}

// addGrad adds src's gradient into dst's and clears src's: the TapeMachine
// adds into a gradient on every run.
func addGrad(dst, src *gorgonia.Node) error {
	dv, err := dst.Grad()
	if err != nil {
		return err
	}
	sv, err := src.Grad()
	if err != nil {
		return err
	}
	d, err := floats(dv)
	if err != nil {
		return err
	}
	s, err := floats(sv)
	if err != nil {
		return err
	}
	for j, v := range s {
		d[j] += v
	}
	clear(s)
	return nil
}

// floats is the float64 storage of a parameter or gradient value: a
// tensor's backing slice, or a one-element view of a scalar.
func floats(v gorgonia.Value) ([]float64, error) {
	switch t := v.(type) {
	case *tensor.Dense:
		if d, ok := t.Data().([]float64); ok {
			return d, nil
		}
	case *gorgonia.F64:
		return unsafe.Slice((*float64)(t), 1), nil // a view of the scalar itself
	}
	return nil, fmt.Errorf("value is %T, not float64 values", v)
}
