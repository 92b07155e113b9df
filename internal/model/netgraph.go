package model

import (
	"fmt"
	"math/rand/v2"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// netGraph is the training graph for an mlp and for multinomial logistic
// regression (a network with no hidden layer), for a fixed batch size. Like
// logisticGraph, inputs are tensors allocated once and refilled per batch,
// so one graph and one TapeMachine serve the whole run.
type netGraph struct {
	g     *gorgonia.ExprGraph
	x     *gorgonia.Node
	ws    []*gorgonia.Node // per layer, in×out
	bs    []*gorgonia.Node // per layer, 1×out
	costN *gorgonia.Node
	// logits is the last layer's output, batch×outputs.
	logits *gorgonia.Node

	xData []float64
	// target holds the labels for binary (batch) or onehot(y)·sw for
	// softmax (batch×k): the label and the normalised sample weight in one.
	target []float64
	// sw is the normalised sample weight (binary only; softmax needs none
	// beyond target because its loss is linear in the one-hot labels).
	sw []float64
	// masks are the dropout masks of the hidden layers (nil without dropout).
	masks [][]float64
	// inputs and outputs delimit the part of the graph a batch must run.
	inputs, outputs gorgonia.Nodes
	dropout         float64
	classes         int
}

// newNetTrain builds, for m's layers:
//
//	h₀ = x;  hᵢ₊₁ = act(hᵢ·Wᵢ + 1·bᵢ) ⊙ maskᵢ;  z = h_L·W_L + 1·b_L
//	binary:  cost = Σ sw⊙(softplus(z) − y⊙z)   (logLossOp)
//	softmax: cost = −Σ (onehot·sw) ⊙ logsoftmax(z)
//	plus l2/2·Σ‖Wᵢ‖²
//
// The bias and the activation are one op (biasActOp). Dropout masks are
// inputs filled from a seeded generator, so training repeats exactly for a
// seed and resumes exactly.
//
// xData, when given, is the batch×cols backing of x (see newLogisticForward).
func newNetTrain(m *Model, batch int, l2, dropout float64, xData []float64) (*netGraph, error) {
	ng := &netGraph{g: gorgonia.NewGraph(), dropout: dropout, classes: m.Classes}
	ls := m.layers()
	cols := m.NumFeatures
	xT := inputTensor(batch, cols, xData)
	ng.xData = xT.Data().([]float64)
	ng.x = gorgonia.NewMatrix(ng.g, tensor.Float64, gorgonia.WithShape(batch, cols), gorgonia.WithName("x"), gorgonia.WithValue(xT))
	ng.inputs = gorgonia.Nodes{ng.x}
	h := ng.x
	for i, l := range ls {
		wn, bn := mlpParamNames(i)
		w := gorgonia.NewMatrix(ng.g, tensor.Float64, gorgonia.WithShape(l.in, l.out), gorgonia.WithName(wn),
			gorgonia.WithValue(tensor.New(tensor.WithShape(l.in, l.out), tensor.WithBacking(append([]float64{}, l.W...)))))
		b := gorgonia.NewMatrix(ng.g, tensor.Float64, gorgonia.WithShape(1, l.out), gorgonia.WithName(bn),
			gorgonia.WithValue(tensor.New(tensor.WithShape(1, l.out), tensor.WithBacking(append([]float64{}, l.B...)))))
		ng.ws, ng.bs = append(ng.ws, w), append(ng.bs, b)
		hw, err := matMul(h, w)
		if err != nil {
			return nil, fmt.Errorf("build graph: layer %d h·W: %w", i, err)
		}
		act := actIdentity
		switch {
		case i == len(ls)-1:
		case m.Activation == ActivationTanh:
			act = actTanh
		default:
			act = actReLU
		}
		if h, err = gorgonia.ApplyOp(biasActOp{act: act, out: &outBuf{}}, hw, b); err != nil {
			return nil, fmt.Errorf("build graph: layer %d bias and activation: %w", i, err)
		}
		if i == len(ls)-1 || dropout == 0 {
			continue
		}
		mask, data := inputMatrix(ng.g, fmt.Sprintf("mask%d", i), batch, l.out)
		ng.masks = append(ng.masks, data)
		ng.inputs = append(ng.inputs, mask)
		if h, err = gorgonia.HadamardProd(h, mask); err != nil {
			return nil, fmt.Errorf("build graph: layer %d dropout: %w", i, err)
		}
	}
	ng.logits = h
	if err := ng.addLoss(h, batch, len(ls[len(ls)-1].B), l2); err != nil {
		return nil, err
	}
	grads, err := gorgonia.Grad(ng.costN, ng.learnables()...)
	if err != nil {
		return nil, fmt.Errorf("build graph: gradient: %w", err)
	}
	ng.inputs = append(ng.inputs, ng.learnables()...)
	ng.outputs = append(gorgonia.Nodes{ng.costN}, grads...)
	return ng, nil
}

func (ng *netGraph) addLoss(z *gorgonia.Node, batch, out int, l2 float64) error {
	if out == 1 {
		// The binary loss is logLossOp on the logits as a vector, with the
		// labels and the normalised sample weights beside them.
		zv, err := gorgonia.Reshape(z, tensor.Shape{batch})
		if err != nil {
			return fmt.Errorf("build graph: logits: %w", err)
		}
		y, yData := inputVector(ng.g, "y", batch)
		sw, swData := inputVector(ng.g, "sample_weight", batch)
		ng.target, ng.sw = yData, swData
		ng.inputs = append(ng.inputs, y, sw)
		if ng.costN, err = gorgonia.ApplyOp(newLogLossOp(), zv, y, sw); err != nil {
			return fmt.Errorf("build graph: log-loss: %w", err)
		}
	} else {
		target, tData := inputMatrix(ng.g, "target", batch, out)
		ng.target = tData
		ng.inputs = append(ng.inputs, target)
		lsm, err := gorgonia.LogSoftMax(z)
		if err != nil {
			return fmt.Errorf("build graph: log-softmax: %w", err)
		}
		s, err := gorgonia.Sum(gorgonia.Must(gorgonia.HadamardProd(target, lsm)))
		if err != nil {
			return fmt.Errorf("build graph: cross-entropy: %w", err)
		}
		if ng.costN, err = gorgonia.Neg(s); err != nil {
			return fmt.Errorf("build graph: cross-entropy: %w", err)
		}
	}
	if l2 > 0 {
		pen, err := l2Penalty(l2, ng.ws...)
		if err != nil {
			return fmt.Errorf("build graph: l2 penalty: %w", err)
		}
		if ng.costN, err = gorgonia.Add(ng.costN, pen); err != nil {
			return fmt.Errorf("build graph: l2 penalty: %w", err)
		}
	}
	return nil
}

func inputVector(g *gorgonia.ExprGraph, name string, n int) (*gorgonia.Node, []float64) {
	t := tensor.New(tensor.WithShape(n), tensor.Of(tensor.Float64))
	return gorgonia.NewVector(g, tensor.Float64, gorgonia.WithShape(n), gorgonia.WithName(name), gorgonia.WithValue(t)),
		t.Data().([]float64)
}

func inputMatrix(g *gorgonia.ExprGraph, name string, r, c int) (*gorgonia.Node, []float64) {
	t := tensor.New(tensor.WithShape(r, c), tensor.Of(tensor.Float64))
	return gorgonia.NewMatrix(g, tensor.Float64, gorgonia.WithShape(r, c), gorgonia.WithName(name), gorgonia.WithValue(t)),
		t.Data().([]float64)
}

// inputTensor is a new r×c tensor, or a view of data when it is given.
func inputTensor(r, c int, data []float64) *tensor.Dense {
	if data != nil {
		return tensor.New(tensor.WithShape(r, c), tensor.WithBacking(data))
	}
	return tensor.New(tensor.WithShape(r, c), tensor.Of(tensor.Float64))
}

func filled(n int, v float64) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = v
	}
	return s
}

// machine compiles only what the cost and the parameter gradients need:
// Gorgonia's symbolic Grad also emits gradients for the inputs (x·W's
// derivative with respect to x), which a TapeMachine built from the whole
// graph would compute on every batch for nothing.
func (ng *netGraph) machine() (gorgonia.VM, error) {
	prog, locMap, err := gorgonia.CompileFunction(ng.g, ng.inputs, ng.outputs)
	if err != nil {
		return nil, fmt.Errorf("compile graph: %w", err)
	}
	return gorgonia.NewTapeMachine(ng.g, gorgonia.WithPrecompiled(prog, locMap), gorgonia.BindDualValues(ng.learnables()...)), nil
}
func (ng *netGraph) cost() float64 { return float64(*ng.costN.Value().(*gorgonia.F64)) }

// learnables returns the parameter nodes in the order of Model.Params.
func (ng *netGraph) learnables() gorgonia.Nodes {
	ns := make(gorgonia.Nodes, 0, 2*len(ng.ws))
	for i := range ng.ws {
		ns = append(ns, ng.ws[i], ng.bs[i])
	}
	return ns
}

// store copies the graph's current parameters into m.
func (ng *netGraph) store(m *Model) {
	for i, n := range ng.learnables() {
		copy(m.Params[i].Data, n.Value().Data().([]float64))
	}
}

// fill copies the rows in idx into the input tensors with their weights
// divided by total, the batch's total sample weight, pads the rest with
// zero-weight rows, and draws the dropout masks from r.
func (ng *netGraph) fill(X, y []float64, cols int, idx []int, cw []float64, total float64, r *rand.Rand) {
	n := len(idx)
	k := len(ng.target) / (len(ng.xData) / cols) // outputs per row
	clear(ng.target)
	inPlace := sameBacking(ng.xData, X)
	for i, row := range idx {
		if !inPlace {
			copy(ng.xData[i*cols:(i+1)*cols], X[row*cols:(row+1)*cols])
		}
		c := int(y[row])
		w := cw[c] / total
		if k == 1 {
			ng.sw[i] = w
			ng.target[i] = y[row]
		} else {
			ng.target[i*k+c] = w
		}
	}
	clear(ng.xData[n*cols:])
	if ng.sw != nil {
		clear(ng.sw[n:])
	}
	keep := 1 / (1 - ng.dropout)
	for _, mask := range ng.masks {
		for j := range mask {
			if r.Float64() < ng.dropout {
				mask[j] = 0
			} else {
				mask[j] = keep
			}
		}
	}
}
