package model

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	"gonum.org/v1/gonum/blas"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// matMulOp is op(A)·op(B) for matrices, op being the identity or the
// transpose, as a Gorgonia op that keeps its output between runs (outBuf)
// and calls the installed BLAS (simdblas) directly. Gorgonia's Mul computes
// the same through the same Dgemm, but its TapeMachine allocates a fresh
// output for it on every step: on an MLP that was nine tenths of the bytes
// allocated and, through the collections, a quarter of the time. Its
// gradients are matMulOps too.
type matMulOp struct {
	transA, transB bool
	out            *outBuf
}

var _ gorgonia.SDOp = matMulOp{}

func (matMulOp) Arity() int { return 2 }

func (matMulOp) Type() hm.Type {
	m := gorgonia.TensorType{Dims: 2, Of: hm.TypeVariable('a')}
	return hm.NewFnType(m, m, m)
}

// dims returns m, n and k of op(A)·op(B) for A and B of shapes a and b.
func (op matMulOp) dims(a, b tensor.Shape) (m, n, k int, err error) {
	if len(a) != 2 || len(b) != 2 {
		return 0, 0, 0, fmt.Errorf("%v: shapes %v and %v are not matrices", op, a, b)
	}
	m, k = a[0], a[1]
	if op.transA {
		m, k = k, m
	}
	kb, n := b[0], b[1]
	if op.transB {
		kb, n = n, kb
	}
	if k != kb {
		return 0, 0, 0, fmt.Errorf("%v: inner dimensions of %v and %v differ", op, a, b)
	}
	return m, n, k, nil
}

func (op matMulOp) InferShape(in ...gorgonia.DimSizer) (tensor.Shape, error) {
	if len(in) != 2 {
		return nil, fmt.Errorf("%v: %d inputs, expected 2", op, len(in))
	}
	a, errA := sameShape(in[0])
	b, errB := sameShape(in[1])
	if errA != nil || errB != nil {
		return nil, fmt.Errorf("%v: input shapes: %v, %v", op, errA, errB)
	}
	m, n, _, err := op.dims(a, b)
	if err != nil {
		return nil, err
	}
	return tensor.Shape{m, n}, nil
}

func (op matMulOp) Do(inputs ...gorgonia.Value) (gorgonia.Value, error) {
	if len(inputs) != 2 {
		return nil, fmt.Errorf("%v: %d inputs, expected 2", op, len(inputs))
	}
	m, n, _, err := op.dims(inputs[0].Shape(), inputs[1].Shape())
	if err != nil {
		return nil, err
	}
	return op.UsePreallocDo(op.out.get(m, n), inputs...)
}

func (op matMulOp) UsePreallocDo(prealloc gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	if len(inputs) != 2 {
		return nil, fmt.Errorf("%v: %d inputs, expected 2", op, len(inputs))
	}
	sa, sb := inputs[0].Shape(), inputs[1].Shape()
	m, n, k, err := op.dims(sa, sb)
	if err != nil {
		return nil, err
	}
	a, okA := inputs[0].Data().([]float64)
	b, okB := inputs[1].Data().([]float64)
	c, okC := prealloc.Data().([]float64)
	if !okA || !okB || !okC || len(c) != m*n {
		return nil, fmt.Errorf("%v: %T·%T into %T: not float64 matrices of %d×%d", op, inputs[0].Data(), inputs[1].Data(), prealloc.Data(), m, n)
	}
	tA, tB := blas.NoTrans, blas.NoTrans
	if op.transA {
		tA = blas.Trans
	}
	if op.transB {
		tB = blas.Trans
	}
	gorgonia.WhichBLAS().Dgemm(tA, tB, m, n, k, 1, a, sa[1], b, sb[1], 0, c, n)
	return prealloc, nil
}

func (matMulOp) DiffWRT(int) []bool { return []bool{true, true} }

// SymDiff: for C = op(A)·op(B) and upstream gradient G,
// ∂A = G·op(B)ᵀ (or its transpose when A is stored transposed) and
// ∂B = op(A)ᵀ·G (likewise), each one more matMulOp.
func (op matMulOp) SymDiff(inputs gorgonia.Nodes, _, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	a, b := inputs[0], inputs[1]
	var dA, dB *gorgonia.Node
	var err error
	if op.transA {
		dA, err = gorgonia.ApplyOp(matMulOp{transA: op.transB, transB: true, out: &outBuf{}}, b, grad)
	} else {
		dA, err = gorgonia.ApplyOp(matMulOp{transB: !op.transB, out: &outBuf{}}, grad, b)
	}
	if err != nil {
		return nil, fmt.Errorf("%v gradient for A: %w", op, err)
	}
	if op.transB {
		dB, err = gorgonia.ApplyOp(matMulOp{transA: true, transB: op.transA, out: &outBuf{}}, grad, a)
	} else {
		dB, err = gorgonia.ApplyOp(matMulOp{transA: !op.transA, out: &outBuf{}}, a, grad)
	}
	if err != nil {
		return nil, fmt.Errorf("%v gradient for B: %w", op, err)
	}
	return gorgonia.Nodes{dA, dB}, nil
}

func (matMulOp) ReturnsPtr() bool         { return false }
func (matMulOp) CallsExtern() bool        { return false }
func (matMulOp) OverwritesInput() int     { return -1 }
func (op matMulOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op matMulOp) Hashcode() uint32      { return opHash(op) }
func (op matMulOp) String() string        { return fmt.Sprintf("mlpipeMatMul(%t,%t)", op.transA, op.transB) }
