package model

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// l2PenaltyOp is the L2 penalty of a model's weights as one Gorgonia op:
//
//	l2Penalty(W₁, …, Wₙ) = l2/2 · Σᵢ ‖Wᵢ‖²
//
// From Gorgonia's own ops it is a square, a sum and an add per weight
// tensor and a scale, each allocating its value on every step, and as many
// again for the gradient; that made a trial with l2 set a third slower.
// Its gradient for Wᵢ is l2·Wᵢ (l2GradOp), into a buffer kept between runs.
type l2PenaltyOp struct {
	l2   float64
	dims []int // each input's number of dimensions (1 for a vector, 2 for a matrix)
}

var _ gorgonia.SDOp = l2PenaltyOp{}

// l2Penalty applies l2PenaltyOp to ws.
func l2Penalty(l2 float64, ws ...*gorgonia.Node) (*gorgonia.Node, error) {
	op := l2PenaltyOp{l2: l2}
	for _, w := range ws {
		op.dims = append(op.dims, w.Dims())
	}
	return gorgonia.ApplyOp(op, ws...)
}

func (op l2PenaltyOp) Arity() int { return len(op.dims) }

func (op l2PenaltyOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	ts := make([]hm.Type, 0, len(op.dims)+1)
	for _, d := range op.dims {
		ts = append(ts, gorgonia.TensorType{Dims: d, Of: a})
	}
	return hm.NewFnType(append(ts, a)...)
}

func (l2PenaltyOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	return tensor.ScalarShape(), nil
}

func (op l2PenaltyOp) Do(inputs ...gorgonia.Value) (gorgonia.Value, error) {
	return op.UsePreallocDo(gorgonia.NewF64(0), inputs...)
}

func (op l2PenaltyOp) UsePreallocDo(prealloc gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	out, ok := prealloc.(*gorgonia.F64)
	if !ok || len(inputs) != len(op.dims) {
		return nil, fmt.Errorf("%v: %d inputs into %T", op, len(inputs), prealloc)
	}
	var ss float64
	for i, in := range inputs {
		w, ok := in.Data().([]float64)
		if !ok {
			return nil, fmt.Errorf("%v: input %d holds %T, not float64 values", op, i, in.Data())
		}
		for _, v := range w {
			ss += v * v
		}
	}
	*out = gorgonia.F64(op.l2 / 2 * ss)
	return out, nil
}

func (op l2PenaltyOp) DiffWRT(int) []bool {
	d := make([]bool, len(op.dims))
	for i := range d {
		d[i] = true
	}
	return d
}

// SymDiff: ∂/∂Wᵢ = g·l2·Wᵢ for the scalar upstream gradient g.
func (op l2PenaltyOp) SymDiff(inputs gorgonia.Nodes, _, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	out := make(gorgonia.Nodes, len(inputs))
	for i, w := range inputs {
		d, err := gorgonia.ApplyOp(l2GradOp{l2: op.l2, dims: op.dims[i], out: &outBuf{}}, w, grad)
		if err != nil {
			return nil, fmt.Errorf("%v gradient %d: %w", op, i, err)
		}
		out[i] = d
	}
	return out, nil
}

func (l2PenaltyOp) ReturnsPtr() bool         { return false }
func (l2PenaltyOp) CallsExtern() bool        { return false }
func (l2PenaltyOp) OverwritesInput() int     { return -1 }
func (op l2PenaltyOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op l2PenaltyOp) Hashcode() uint32      { return opHash(op) }
func (op l2PenaltyOp) String() string        { return fmt.Sprintf("mlpipeL2(%v,%v)", op.l2, op.dims) }

// l2GradOp is g·l2·W for a weight tensor W and the scalar upstream
// gradient g.
type l2GradOp struct {
	l2   float64
	dims int
	out  *outBuf
}

var _ gorgonia.Op = l2GradOp{}

func (l2GradOp) Arity() int { return 2 }

func (op l2GradOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	t := gorgonia.TensorType{Dims: op.dims, Of: a}
	return hm.NewFnType(t, a, t)
}

func (l2GradOp) InferShape(in ...gorgonia.DimSizer) (tensor.Shape, error) { return sameShape(in[0]) }

func (op l2GradOp) Do(inputs ...gorgonia.Value) (gorgonia.Value, error) {
	return op.UsePreallocDo(op.out.like(inputs[0]), inputs...)
}

func (op l2GradOp) UsePreallocDo(prealloc gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	if len(inputs) != 2 {
		return nil, fmt.Errorf("%v: %d inputs, expected 2", op, len(inputs))
	}
	vs, out, err := elementwise(op, prealloc, inputs[:1], 1)
	if err != nil {
		return nil, err
	}
	g, err := scalarOf(inputs[1])
	if err != nil {
		return nil, fmt.Errorf("%v: upstream gradient: %w", op, err)
	}
	k := g * op.l2
	for i, v := range vs[0] {
		out[i] = k * v
	}
	return prealloc, nil
}

func (l2GradOp) ReturnsPtr() bool         { return false }
func (l2GradOp) CallsExtern() bool        { return false }
func (l2GradOp) OverwritesInput() int     { return -1 }
func (op l2GradOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op l2GradOp) Hashcode() uint32      { return opHash(op) }
func (op l2GradOp) String() string        { return fmt.Sprintf("mlpipeL2Grad(%v)", op.l2) }
