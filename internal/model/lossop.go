package model

import (
	"fmt"
	"hash"
	"hash/fnv"
	"math"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/chewxy/hm"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// logLossOp is the weighted binary log-loss of logits as one Gorgonia op:
//
//	logLoss(z, y, sw) = Σᵢ swᵢ·(softplus(zᵢ) − yᵢ·zᵢ)
//
// Built from Gorgonia's elementwise ops the loss takes five passes over the
// rows forward and more backward, each with its own temporary vector; as
// one op it takes one pass, and its gradient (logLossGradOp) one more. On a
// full batch of 100,000 rows that halves an evaluation. softplus(z) − y·z
// is computed as log1p(e^−|z|) + max(z, 0) − y·z, exact in the last two
// terms for 0/1 labels, so it neither overflows nor cancels. The forward
// op splits the rows into fixed chunks spread over GOMAXPROCS goroutines
// and leaves each row's gradient in d; the gradient op only scales it.
type logLossOp struct {
	// d holds swᵢ·(σ(zᵢ) − yᵢ) from the last forward run, which the
	// gradient op scales instead of recomputing: e^−|z| is then taken
	// once per row and evaluation, not twice.
	d *outBuf
}

// newLogLossOp is a logLossOp with its own cache for the gradient.
func newLogLossOp() logLossOp { return logLossOp{d: &outBuf{}} }

var _ gorgonia.SDOp = logLossOp{}

func (logLossOp) Arity() int { return 3 }

func (logLossOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	v := gorgonia.TensorType{Dims: 1, Of: a}
	return hm.NewFnType(v, v, v, a)
}

func (logLossOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	return tensor.ScalarShape(), nil
}

func (op logLossOp) Do(inputs ...gorgonia.Value) (gorgonia.Value, error) {
	return op.UsePreallocDo(gorgonia.NewF64(0), inputs...)
}

func (op logLossOp) UsePreallocDo(prealloc gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	z, y, sw, err := lossInputs(op, inputs)
	if err != nil {
		return nil, err
	}
	out, ok := prealloc.(*gorgonia.F64)
	if !ok {
		return nil, fmt.Errorf("%v: output is %T, not a float64 scalar", op, prealloc)
	}
	partial := make([]float64, chunks(len(z)))
	var d []float64
	if op.d != nil {
		d = op.d.get(len(z)).Data().([]float64)
	}
	inChunks(len(z), func(c, lo, hi int) {
		var s float64
		for i := lo; i < hi; i++ {
			zi := z[i]
			u := math.Exp(-math.Abs(zi))
			s += sw[i] * (math.Log1p(u) + max(zi, 0) - y[i]*zi)
			if d != nil {
				d[i] = sw[i] * (sigmoidOf(zi, u) - y[i])
			}
		}
		partial[c] = s
	})
	var s float64
	for _, p := range partial { // in chunk order: the same sum however many goroutines ran
		s += p
	}
	*out = gorgonia.F64(s)
	return out, nil
}

func (logLossOp) DiffWRT(int) []bool { return []bool{true, false, false} }

// SymDiff gives the gradient with respect to z; y and sw are data. The
// loss itself is the gradient op's last input, so that it runs after the
// forward op has filled the cache it reads.
func (op logLossOp) SymDiff(inputs gorgonia.Nodes, output, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	dz, err := gorgonia.ApplyOp(logLossGradOp{out: &outBuf{}, d: op.d}, inputs[0], inputs[1], inputs[2], grad, output)
	if err != nil {
		return nil, fmt.Errorf("log-loss gradient: %w", err)
	}
	return gorgonia.Nodes{dz, nil, nil}, nil
}

func (logLossOp) ReturnsPtr() bool         { return false }
func (logLossOp) CallsExtern() bool        { return false }
func (logLossOp) OverwritesInput() int     { return -1 }
func (op logLossOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op logLossOp) Hashcode() uint32      { return opHash(op) }
func (logLossOp) String() string           { return "mlpipeLogLoss" }

// logLossGradOp is logLossOp's derivative with respect to the logits:
// dzᵢ = g·swᵢ·(σ(zᵢ) − yᵢ), for the scalar upstream gradient g.
type logLossGradOp struct {
	out *outBuf
	d   *outBuf // the forward op's cache
}

var _ gorgonia.Op = logLossGradOp{}

func (logLossGradOp) Arity() int { return 5 }

func (logLossGradOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	v := gorgonia.TensorType{Dims: 1, Of: a}
	return hm.NewFnType(v, v, v, a, a, v)
}

func (logLossGradOp) InferShape(in ...gorgonia.DimSizer) (tensor.Shape, error) {
	s, ok := in[0].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("log-loss gradient: input shape is %T", in[0])
	}
	return s.Clone(), nil
}

func (op logLossGradOp) Do(inputs ...gorgonia.Value) (gorgonia.Value, error) {
	if len(inputs) != 5 {
		return nil, fmt.Errorf("%v: %d inputs, expected 5", op, len(inputs))
	}
	return op.UsePreallocDo(op.out.like(inputs[0]), inputs...)
}

func (op logLossGradOp) UsePreallocDo(prealloc gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	if len(inputs) != 5 {
		return nil, fmt.Errorf("%v: %d inputs, expected 5", op, len(inputs))
	}
	z, y, sw, err := lossInputs(op, inputs[:3])
	if err != nil {
		return nil, err
	}
	g, err := scalarOf(inputs[3])
	if err != nil {
		return nil, fmt.Errorf("%v: upstream gradient: %w", op, err)
	}
	out, ok := prealloc.(*tensor.Dense)
	if !ok || out.Dtype() != tensor.Float64 || out.Size() != len(z) {
		return nil, fmt.Errorf("%v: output is %T, not %d float64 values", op, prealloc, len(z))
	}
	dz := out.Data().([]float64)
	if op.d != nil && op.d.t != nil && op.d.t.Size() == len(z) {
		for i, v := range op.d.t.Data().([]float64) {
			dz[i] = g * v
		}
		return out, nil
	}
	inChunks(len(z), func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			zi := z[i]
			dz[i] = g * (sw[i] * (sigmoidOf(zi, math.Exp(-math.Abs(zi))) - y[i]))
		}
	})
	return out, nil
}

func (logLossGradOp) ReturnsPtr() bool         { return false }
func (logLossGradOp) CallsExtern() bool        { return false }
func (logLossGradOp) OverwritesInput() int     { return -1 }
func (op logLossGradOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op logLossGradOp) Hashcode() uint32      { return opHash(op) }
func (logLossGradOp) String() string           { return "mlpipeLogLossGrad" }

// lossInputs returns the backing slices of z, y and sw, checking that they
// are float64 vectors of one length.
func lossInputs(op fmt.Stringer, inputs []gorgonia.Value) (z, y, sw []float64, err error) {
	if len(inputs) != 3 {
		return nil, nil, nil, fmt.Errorf("%v: %d inputs, expected 3", op, len(inputs))
	}
	var vs [3][]float64
	for i, in := range inputs {
		d, ok := in.Data().([]float64)
		if !ok {
			return nil, nil, nil, fmt.Errorf("%v: input %d holds %T, not float64 values", op, i, in.Data())
		}
		vs[i] = d
	}
	if len(vs[1]) != len(vs[0]) || len(vs[2]) != len(vs[0]) {
		return nil, nil, nil, fmt.Errorf("%v: inputs have %d, %d and %d values; expected one length", op, len(vs[0]), len(vs[1]), len(vs[2]))
	}
	return vs[0], vs[1], vs[2], nil
}

func scalarOf(v gorgonia.Value) (float64, error) {
	switch s := v.(type) {
	case *gorgonia.F64:
		return float64(*s), nil
	case tensor.Tensor:
		if f, ok := s.ScalarValue().(float64); ok && s.Size() == 1 {
			return f, nil
		}
	}
	return 0, fmt.Errorf("%T is not a float64 scalar", v)
}

// lossChunk is how many rows one goroutine takes at a time. A mini-batch
// fits in one chunk and runs on the calling goroutine.
const lossChunk = 8192

func chunks(n int) int { return max(1, (n+lossChunk-1)/lossChunk) }

// inChunks calls f(c, lo, hi) for every chunk c of rows [lo, hi) of n,
// spreading the chunks over up to GOMAXPROCS goroutines. Which goroutine
// runs a chunk does not change what f computes for it.
func inChunks(n int, f func(c, lo, hi int)) {
	k := chunks(n)
	workers := min(k, runtime.GOMAXPROCS(0))
	if workers == 1 {
		for c := range k {
			f(c, c*lossChunk, min(n, (c+1)*lossChunk))
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for c := int(next.Add(1) - 1); c < k; c = int(next.Add(1) - 1) {
				f(c, c*lossChunk, min(n, (c+1)*lossChunk))
			}
		})
	}
	wg.Wait()
}

func opHash(op gorgonia.Op) uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}

// sigmoidOf is σ(z) given u = e^−|z|, in the form that cannot overflow.
func sigmoidOf(z, u float64) float64 {
	if z < 0 {
		return u / (1 + u)
	}
	return 1 / (1 + u)
}
