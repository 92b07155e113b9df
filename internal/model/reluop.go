package model

import (
	"fmt"
	"hash"
	"math"

	"github.com/chewxy/hm"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// reluOp is max(x, 0) as one Gorgonia op that writes into its
// preallocated output. Gorgonia's Rectify is x ⊙ (x ≥ 0), whose comparison
// allocates a fresh batch×units tensor on every step; that allocation and
// the collections it caused were a fifth of an MLP step. reluGradOp is its
// derivative, likewise in place.
type reluOp struct{}

var _ gorgonia.SDOp = reluOp{}

func (reluOp) Arity() int { return 1 }

func (reluOp) Type() hm.Type {
	m := gorgonia.TensorType{Dims: 2, Of: hm.TypeVariable('a')}
	return hm.NewFnType(m, m)
}

func (reluOp) InferShape(in ...gorgonia.DimSizer) (tensor.Shape, error) { return sameShape(in[0]) }

func (op reluOp) Do(inputs ...gorgonia.Value) (gorgonia.Value, error) {
	return op.UsePreallocDo(tensor.New(tensor.WithShape(inputs[0].Shape().Clone()...), tensor.Of(tensor.Float64)), inputs...)
}

func (op reluOp) UsePreallocDo(prealloc gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	vs, out, err := elementwise(op, prealloc, inputs, 1)
	if err != nil {
		return nil, err
	}
	for i, v := range vs[0] {
		out[i] = max(v, 0) // NaN stays NaN, so divergence is still seen
	}
	return prealloc, nil
}

func (reluOp) DiffWRT(int) []bool { return []bool{true} }

func (reluOp) SymDiff(inputs gorgonia.Nodes, _, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	dx, err := gorgonia.ApplyOp(reluGradOp{}, inputs[0], grad)
	if err != nil {
		return nil, fmt.Errorf("relu gradient: %w", err)
	}
	return gorgonia.Nodes{dx}, nil
}

func (reluOp) ReturnsPtr() bool         { return false }
func (reluOp) CallsExtern() bool        { return false }
func (reluOp) OverwritesInput() int     { return -1 }
func (op reluOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op reluOp) Hashcode() uint32      { return opHash(op) }
func (reluOp) String() string           { return "mlpipeReLU" }

// reluGradOp is g ⊙ (x > 0) for the relu input x and upstream gradient g.
type reluGradOp struct{}

var _ gorgonia.Op = reluGradOp{}

func (reluGradOp) Arity() int { return 2 }

func (reluGradOp) Type() hm.Type {
	m := gorgonia.TensorType{Dims: 2, Of: hm.TypeVariable('a')}
	return hm.NewFnType(m, m, m)
}

func (reluGradOp) InferShape(in ...gorgonia.DimSizer) (tensor.Shape, error) { return sameShape(in[0]) }

func (op reluGradOp) Do(inputs ...gorgonia.Value) (gorgonia.Value, error) {
	return op.UsePreallocDo(tensor.New(tensor.WithShape(inputs[0].Shape().Clone()...), tensor.Of(tensor.Float64)), inputs...)
}

func (op reluGradOp) UsePreallocDo(prealloc gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	vs, out, err := elementwise(op, prealloc, inputs, 2)
	if err != nil {
		return nil, err
	}
	x, g := vs[0], vs[1]
	g = g[:len(x)]
	out = out[:len(x)]
	for i, v := range x {
		// Branch-free, since signs are random: keep is all ones when v's
		// bits, read as an int64, are positive (v > 0, or a NaN that
		// passes its gradient on) and zero otherwise, -0 included.
		b := int64(math.Float64bits(v))
		keep := uint64((-b >> 63) & ^(b >> 63))
		out[i] = math.Float64frombits(math.Float64bits(g[i]) & keep)
	}
	return prealloc, nil
}

func (reluGradOp) ReturnsPtr() bool         { return false }
func (reluGradOp) CallsExtern() bool        { return false }
func (reluGradOp) OverwritesInput() int     { return -1 }
func (op reluGradOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op reluGradOp) Hashcode() uint32      { return opHash(op) }
func (reluGradOp) String() string           { return "mlpipeReLUGrad" }

func sameShape(d gorgonia.DimSizer) (tensor.Shape, error) {
	s, ok := d.(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("input shape is %T", d)
	}
	return s.Clone(), nil
}

// elementwise checks that inputs are n float64 tensors of one size and
// prealloc a float64 tensor of that size, and returns their values.
func elementwise(op fmt.Stringer, prealloc gorgonia.Value, inputs []gorgonia.Value, n int) ([][]float64, []float64, error) {
	if len(inputs) != n {
		return nil, nil, fmt.Errorf("%v: %d inputs, expected %d", op, len(inputs), n)
	}
	vs := make([][]float64, n)
	for i, in := range inputs {
		d, ok := in.Data().([]float64)
		if !ok {
			return nil, nil, fmt.Errorf("%v: input %d holds %T, not float64 values", op, i, in.Data())
		}
		if i > 0 && len(d) != len(vs[0]) {
			return nil, nil, fmt.Errorf("%v: input %d has %d values; expected %d", op, i, len(d), len(vs[0]))
		}
		vs[i] = d
	}
	out, ok := prealloc.Data().([]float64)
	if !ok || len(out) != len(vs[0]) {
		return nil, nil, fmt.Errorf("%v: output is %T, not %d float64 values", op, prealloc, len(vs[0]))
	}
	return vs, out, nil
}
