package model

import (
	"fmt"
	"math/rand/v2"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// logisticGraph is the logistic-regression expression graph for a fixed
// batch size. The input tensors are allocated once; each batch is copied
// into their backing slices, so the graph and its TapeMachine are reused.
type logisticGraph struct {
	g       *gorgonia.ExprGraph
	x, w, b *gorgonia.Node
	logits  *gorgonia.Node

	// Training-only nodes (nil for a forward-only graph).
	y, sw, costNode *gorgonia.Node
	// inputs and outputs delimit what a training run must compute.
	inputs, outputs gorgonia.Nodes

	// Backing slices of x, y and sw.
	xData, yData, swData []float64
}

// newLogisticForward builds logits = X·w + b for batch rows of cols features,
// with w and b initialised from m. x is a new tensor, or with xData given
// (batch×cols values) a view of it: full-batch training reads the caller's
// rows in place instead of copying them.
func newLogisticForward(m *Model, batch, cols int, xData []float64) (*logisticGraph, error) {
	lg := &logisticGraph{g: gorgonia.NewGraph()}
	xT := inputTensor(batch, cols, xData)
	lg.xData = xT.Data().([]float64)
	lg.x = gorgonia.NewMatrix(lg.g, tensor.Float64, gorgonia.WithShape(batch, cols), gorgonia.WithName("x"), gorgonia.WithValue(xT))
	wT := tensor.New(tensor.WithShape(cols), tensor.WithBacking(append([]float64{}, m.Weights()...)))
	lg.w = gorgonia.NewVector(lg.g, tensor.Float64, gorgonia.WithShape(cols), gorgonia.WithName(ParamWeights), gorgonia.WithValue(wT))
	lg.b = gorgonia.NewScalar(lg.g, tensor.Float64, gorgonia.WithName(ParamBias), gorgonia.WithValue(m.Bias()))

	xw, err := gorgonia.Mul(lg.x, lg.w)
	if err != nil {
		return nil, fmt.Errorf("build graph: X·w: %w", err)
	}
	if lg.logits, err = gorgonia.Add(xw, lg.b); err != nil {
		return nil, fmt.Errorf("build graph: +b: %w", err)
	}
	return lg, nil
}

// newLogisticTrain adds the loss to the forward graph:
//
//	cost = Σ sw_i·(softplus(z_i) − y_i·z_i) + l2/2·‖w‖²
//
// softplus(z) − y·z is the log-loss written so it never takes log(0); it is
// one fused op (logLossOp) rather than five elementwise ones. The per-row
// weights sw are normalised by the caller to sum to 1 over the real
// rows of the batch; padding rows get 0, so a short last batch can reuse the
// same graph.
func newLogisticTrain(m *Model, batch, cols int, l2 float64, xData []float64) (*logisticGraph, error) {
	lg, err := newLogisticForward(m, batch, cols, xData)
	if err != nil {
		return nil, err
	}
	yT := tensor.New(tensor.WithShape(batch), tensor.Of(tensor.Float64))
	swT := tensor.New(tensor.WithShape(batch), tensor.Of(tensor.Float64))
	lg.yData, lg.swData = yT.Data().([]float64), swT.Data().([]float64)
	lg.y = gorgonia.NewVector(lg.g, tensor.Float64, gorgonia.WithShape(batch), gorgonia.WithName("y"), gorgonia.WithValue(yT))
	lg.sw = gorgonia.NewVector(lg.g, tensor.Float64, gorgonia.WithShape(batch), gorgonia.WithName("sample_weight"), gorgonia.WithValue(swT))

	if lg.costNode, err = gorgonia.ApplyOp(newLogLossOp(), lg.logits, lg.y, lg.sw); err != nil {
		return nil, fmt.Errorf("build graph: log-loss: %w", err)
	}
	if l2 > 0 {
		pen, err := l2Penalty(l2, lg.w)
		if err != nil {
			return nil, fmt.Errorf("build graph: l2 penalty: %w", err)
		}
		if lg.costNode, err = gorgonia.Add(lg.costNode, pen); err != nil {
			return nil, fmt.Errorf("build graph: cost: %w", err)
		}
	}
	grads, err := gorgonia.Grad(lg.costNode, lg.w, lg.b)
	if err != nil {
		return nil, fmt.Errorf("build graph: gradient: %w", err)
	}
	lg.inputs = gorgonia.Nodes{lg.x, lg.y, lg.sw, lg.w, lg.b}
	lg.outputs = append(gorgonia.Nodes{lg.costNode}, grads...)
	return lg, nil
}

// learnables returns the parameter nodes in the order of Model.Params.
func (lg *logisticGraph) learnables() gorgonia.Nodes { return gorgonia.Nodes{lg.w, lg.b} }

// machine compiles only the cost and the parameter gradients, not the
// gradient with respect to X that symbolic Grad also emits: on a full batch
// that would be a rows×cols outer product per evaluation.
func (lg *logisticGraph) machine() (gorgonia.VM, error) {
	prog, locMap, err := gorgonia.CompileFunction(lg.g, lg.inputs, lg.outputs)
	if err != nil {
		return nil, fmt.Errorf("compile graph: %w", err)
	}
	return gorgonia.NewTapeMachine(lg.g, gorgonia.WithPrecompiled(prog, locMap), gorgonia.BindDualValues(lg.learnables()...)), nil
}
func (lg *logisticGraph) cost() float64 { return float64(*lg.costNode.Value().(*gorgonia.F64)) }

// store copies the graph's current parameters into m.
func (lg *logisticGraph) store(m *Model) {
	copy(m.Param(ParamWeights).Data, lg.w.Value().Data().([]float64))
	m.Param(ParamBias).Data[0] = float64(*lg.b.Value().(*gorgonia.F64))
}

// fill copies the rows in idx into the graph's input tensors, padding the
// rest with zero-weight rows. Weights are divided by total, the batch's
// total sample weight, so the cost is a weighted mean.
func (lg *logisticGraph) fill(X, y []float64, cols int, idx []int, cw []float64, total float64, _ *rand.Rand) {
	inPlace := sameBacking(lg.xData, X)
	for i, r := range idx {
		if !inPlace {
			copy(lg.xData[i*cols:(i+1)*cols], X[r*cols:(r+1)*cols])
		}
		lg.yData[i] = y[r]
		lg.swData[i] = cw[int(y[r])] / total
	}
	n := len(idx)
	clear(lg.xData[n*cols:])
	clear(lg.yData[n:])
	clear(lg.swData[n:])
}

// sameBacking reports whether a graph's input matrix is X itself (a full
// batch of every row in order reads X in place): fill must then not copy,
// as copying X onto itself writes to the caller's data, which other fits
// may be reading.
func sameBacking(xData, X []float64) bool {
	return len(xData) > 0 && len(X) > 0 && &xData[0] == &X[0]
}
