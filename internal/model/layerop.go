package model

import (
	"fmt"
	"hash"
	"math"

	"github.com/chewxy/hm"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Activations of biasActOp.
const (
	actIdentity = iota
	actReLU
	actTanh
)

// biasActOp is a layer's bias and activation as one Gorgonia op:
//
//	biasAct(z, b) = act(z + 1·b)    z batch×units, b 1×units
//
// Built from Gorgonia's own ops this is a matrix product of a ones column
// with b, an add and the activation, each a TapeMachine instruction with a
// fresh value per step, and as many again backward; the TapeMachine's cost
// per instruction, not the arithmetic, was most of an MLP step. Fused, it is
// one instruction forward and two backward (actGradOp, colSumOp), all
// writing into preallocated values.
type biasActOp struct {
	act int
	out *outBuf
}

var _ gorgonia.SDOp = biasActOp{}

func (biasActOp) Arity() int { return 2 }

func (biasActOp) Type() hm.Type {
	m := gorgonia.TensorType{Dims: 2, Of: hm.TypeVariable('a')}
	return hm.NewFnType(m, m, m)
}

func (biasActOp) InferShape(in ...gorgonia.DimSizer) (tensor.Shape, error) { return sameShape(in[0]) }

func (op biasActOp) Do(inputs ...gorgonia.Value) (gorgonia.Value, error) {
	return op.UsePreallocDo(op.out.like(inputs[0]), inputs...)
}

func (op biasActOp) UsePreallocDo(prealloc gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	if len(inputs) != 2 {
		return nil, fmt.Errorf("%v: %d inputs, expected 2", op, len(inputs))
	}
	vs, out, err := elementwise(op, prealloc, inputs[:1], 1)
	if err != nil {
		return nil, err
	}
	z := vs[0]
	b, ok := inputs[1].Data().([]float64)
	if !ok || len(b) == 0 || len(z)%len(b) != 0 {
		return nil, fmt.Errorf("%v: bias of %T does not divide %d values", op, inputs[1].Data(), len(z))
	}
	units := len(b)
	for i := 0; i < len(z); i += units {
		zr, or := z[i:i+units], out[i:i+units]
		switch op.act {
		case actReLU:
			for j, v := range zr {
				or[j] = max(v+b[j], 0) // NaN stays NaN, so divergence is still seen
			}
		case actTanh:
			for j, v := range zr {
				or[j] = math.Tanh(v + b[j])
			}
		default:
			for j, v := range zr {
				or[j] = v + b[j]
			}
		}
	}
	return prealloc, nil
}

func (biasActOp) DiffWRT(int) []bool { return []bool{true, true} }

// SymDiff: with y = act(z + 1·b) and upstream gradient g, the gradient for
// z is δ = g ⊙ act′, read off y, and for b the column sums of δ.
func (op biasActOp) SymDiff(inputs gorgonia.Nodes, output, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	delta := grad
	if op.act != actIdentity {
		var err error
		if delta, err = gorgonia.ApplyOp(actGradOp{act: op.act, out: &outBuf{}}, output, grad); err != nil {
			return nil, fmt.Errorf("%v gradient: %w", op, err)
		}
	}
	db, err := gorgonia.ApplyOp(colSumOp{out: &outBuf{}}, delta)
	if err != nil {
		return nil, fmt.Errorf("%v bias gradient: %w", op, err)
	}
	return gorgonia.Nodes{delta, db}, nil
}

func (biasActOp) ReturnsPtr() bool         { return false }
func (biasActOp) CallsExtern() bool        { return false }
func (biasActOp) OverwritesInput() int     { return -1 }
func (op biasActOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op biasActOp) Hashcode() uint32      { return opHash(op) }
func (op biasActOp) String() string        { return fmt.Sprintf("mlpipeBiasAct%d", op.act) }

// actGradOp is g ⊙ act′ for an activation's output y and upstream gradient
// g: relu′ is 1 where y > 0 (y > 0 exactly where its input was), tanh′ is
// 1 − y².
type actGradOp struct {
	act int
	out *outBuf
}

var _ gorgonia.Op = actGradOp{}

func (actGradOp) Arity() int { return 2 }

func (actGradOp) Type() hm.Type {
	m := gorgonia.TensorType{Dims: 2, Of: hm.TypeVariable('a')}
	return hm.NewFnType(m, m, m)
}

func (actGradOp) InferShape(in ...gorgonia.DimSizer) (tensor.Shape, error) { return sameShape(in[0]) }

func (op actGradOp) Do(inputs ...gorgonia.Value) (gorgonia.Value, error) {
	return op.UsePreallocDo(op.out.like(inputs[0]), inputs...)
}

func (op actGradOp) UsePreallocDo(prealloc gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	vs, out, err := elementwise(op, prealloc, inputs, 2)
	if err != nil {
		return nil, err
	}
	y, g := vs[0], vs[1][:len(vs[0])]
	out = out[:len(y)]
	if op.act == actTanh {
		for i, v := range y {
			out[i] = g[i] * (1 - v*v)
		}
		return prealloc, nil
	}
	for i, v := range y {
		// Branch-free, since signs are random: keep is all ones when v's
		// bits, read as an int64, are positive (v > 0) and zero otherwise.
		b := int64(math.Float64bits(v))
		keep := uint64((-b >> 63) & ^(b >> 63))
		out[i] = math.Float64frombits(math.Float64bits(g[i]) & keep)
	}
	return prealloc, nil
}

func (actGradOp) ReturnsPtr() bool         { return false }
func (actGradOp) CallsExtern() bool        { return false }
func (actGradOp) OverwritesInput() int     { return -1 }
func (op actGradOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op actGradOp) Hashcode() uint32      { return opHash(op) }
func (op actGradOp) String() string        { return fmt.Sprintf("mlpipeActGrad%d", op.act) }

// colSumOp sums a batch×units matrix over its rows into 1×units, row after
// row: the bias gradient.
type colSumOp struct{ out *outBuf }

var _ gorgonia.Op = colSumOp{}

func (colSumOp) Arity() int { return 1 }

func (colSumOp) Type() hm.Type {
	m := gorgonia.TensorType{Dims: 2, Of: hm.TypeVariable('a')}
	return hm.NewFnType(m, m)
}

func (colSumOp) InferShape(in ...gorgonia.DimSizer) (tensor.Shape, error) {
	s, err := sameShape(in[0])
	if err != nil || len(s) != 2 {
		return nil, fmt.Errorf("column sum of shape %v: %v", s, err)
	}
	return tensor.Shape{1, s[1]}, nil
}

func (op colSumOp) Do(inputs ...gorgonia.Value) (gorgonia.Value, error) {
	if len(inputs) != 1 {
		return nil, fmt.Errorf("%v: %d inputs, expected 1", op, len(inputs))
	}
	s := inputs[0].Shape()
	return op.UsePreallocDo(op.out.get(1, s[len(s)-1]), inputs...)
}

func (op colSumOp) UsePreallocDo(prealloc gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	if len(inputs) != 1 {
		return nil, fmt.Errorf("%v: %d inputs, expected 1", op, len(inputs))
	}
	x, ok := inputs[0].Data().([]float64)
	out, ok2 := prealloc.Data().([]float64)
	if !ok || !ok2 || len(out) == 0 || len(x)%len(out) != 0 {
		return nil, fmt.Errorf("%v: %T into %T", op, inputs[0].Data(), prealloc.Data())
	}
	clear(out)
	for i := 0; i < len(x); i += len(out) {
		for j, v := range x[i : i+len(out)] {
			out[j] += v
		}
	}
	return prealloc, nil
}

func (colSumOp) ReturnsPtr() bool         { return false }
func (colSumOp) CallsExtern() bool        { return false }
func (colSumOp) OverwritesInput() int     { return -1 }
func (op colSumOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op colSumOp) Hashcode() uint32      { return opHash(op) }
func (colSumOp) String() string           { return "mlpipeColSum" }

// outBuf is an op's output value, kept from one run of the graph to the
// next. The TapeMachine forgets every value when it is reset for the next
// mini-batch and then calls Do, not UsePreallocDo; an op that allocated its
// output there would allocate it on every step. One outBuf belongs to one
// node of one graph, whose sizes never change. Its shape can: Gorgonia
// compiles a Reshape of the value (the logits to a vector) to run in
// place, turning an n×1 buffer into n and back. The two are the same
// values in the same order, so get reuses a buffer of the right size as
// it is rather than reshaping it on every step.
type outBuf struct{ t *tensor.Dense }

// get returns the buffer, allocating it on first use or when its size
// differs from shape's. A nil outBuf allocates every time.
func (b *outBuf) get(shape ...int) *tensor.Dense {
	if b == nil {
		return tensor.New(tensor.WithShape(shape...), tensor.Of(tensor.Float64))
	}
	if b.t == nil || b.t.Size() != tensor.Shape(shape).TotalSize() {
		b.t = tensor.New(tensor.WithShape(shape...), tensor.Of(tensor.Float64))
	}
	return b.t
}

// like is get with v's shape.
func (b *outBuf) like(v gorgonia.Value) *tensor.Dense { return b.get(v.Shape()...) }

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
