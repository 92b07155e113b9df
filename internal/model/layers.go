package model

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// layer is one affine map of the network, viewed over Model.Params: W is
// in×out row-major, B has out values.
type layer struct {
	W, B    []float64
	in, out int
}

// mlpParamNames returns the names of layer i's weight and bias: "w0", "b0", ...
func mlpParamNames(i int) (w, b string) { return fmt.Sprintf("w%d", i), fmt.Sprintf("b%d", i) }

// newModel returns the untrained model cfg describes. Logistic models start
// at zero (the loss is convex); an mlp needs random weights to break the
// symmetry between hidden units, drawn from cfg.Seed so runs repeat.
func newModel(cfg Config, cols int) *Model {
	out := cfg.outputs()
	if cfg.Kind == KindLogistic {
		if out == 1 {
			return newLogistic(cols)
		}
		return &Model{Kind: KindLogistic, NumFeatures: cols, Classes: cfg.Classes, Params: []Param{
			{Name: ParamWeights, Shape: []int{cols, out}, Data: make([]float64, cols*out)},
			{Name: ParamBias, Shape: []int{out}, Data: make([]float64, out)},
		}}
	}
	m := &Model{Kind: KindMLP, NumFeatures: cols, Activation: cfg.Activation}
	if out > 1 {
		m.Classes = cfg.Classes
	}
	r := rand.New(rand.NewPCG(uint64(cfg.Seed), 0x1417))
	sizes := append(append([]int{cols}, cfg.Hidden...), out)
	for i := 0; i+1 < len(sizes); i++ {
		in, o := sizes[i], sizes[i+1]
		w := make([]float64, in*o)
		if i+1 < len(sizes)-1 && cfg.Activation == ActivationReLU {
			sd := math.Sqrt(2 / float64(in)) // He: keeps relu activations' variance
			for j := range w {
				w[j] = sd * r.NormFloat64()
			}
		} else {
			lim := math.Sqrt(6 / float64(in+o)) // Glorot uniform for tanh and the output
			for j := range w {
				w[j] = lim * (2*r.Float64() - 1)
			}
		}
		wn, bn := mlpParamNames(i)
		m.Params = append(m.Params,
			Param{Name: wn, Shape: []int{in, o}, Data: w},
			Param{Name: bn, Shape: []int{o}, Data: make([]float64, o)})
	}
	return m
}

// outputs is the width of the model's last layer.
func (m *Model) outputs() int {
	if m.Classes >= 3 {
		return m.Classes
	}
	return 1
}

// layers lists the model's affine maps in order. A binary logistic model's
// weight vector is its single layer's cols×1 matrix.
func (m *Model) layers() []layer {
	if m.Kind == KindLogistic {
		return []layer{{W: m.Weights(), B: m.Param(ParamBias).Data, in: m.NumFeatures, out: m.outputs()}}
	}
	var ls []layer
	for i := 0; ; i++ {
		wn, bn := mlpParamNames(i)
		w, b := m.Param(wn), m.Param(bn)
		if w == nil || b == nil || len(w.Shape) != 2 {
			return ls
		}
		ls = append(ls, layer{W: w.Data, B: b.Data, in: w.Shape[0], out: w.Shape[1]})
	}
}

// checkMLP verifies the layer chain: each layer's input is the previous
// layer's output, and every stored tensor has the size its shape says.
func (m *Model) checkMLP() error {
	if m.Activation != ActivationReLU && m.Activation != ActivationTanh {
		return fmt.Errorf("model activation %q is not supported; expected %q or %q", m.Activation, ActivationReLU, ActivationTanh)
	}
	ls := m.layers()
	if len(ls) < 2 || 2*len(ls) != len(m.Params) {
		return fmt.Errorf("mlp model needs params w0, b0, w1, b1, ... (at least one hidden layer); found %d usable layers among %d params", len(ls), len(m.Params))
	}
	in := m.NumFeatures
	for i, l := range ls {
		wn, bn := mlpParamNames(i)
		switch {
		case l.in != in:
			return fmt.Errorf("model param %q has %d input rows; expected %d", wn, l.in, in)
		case len(l.W) != l.in*l.out:
			return fmt.Errorf("model param %q has %d values; expected %d×%d", wn, len(l.W), l.in, l.out)
		case len(l.B) != l.out:
			return fmt.Errorf("model param %q has %d values; expected %d", bn, len(l.B), l.out)
		}
		in = l.out
	}
	if in != m.outputs() {
		return fmt.Errorf("model's last layer has %d outputs; expected %d for classes = %d", in, m.outputs(), m.Classes)
	}
	return nil
}

// forward computes the output logits of one row into out, using h0 and h1
// (each as wide as the widest layer) as scratch. It is the plain-Go twin of
// the training graph, without dropout.
func (m *Model) forward(ls []layer, row, h0, h1, out []float64) {
	cur := row
	for li, l := range ls {
		dst := h0[:l.out]
		if li == len(ls)-1 {
			dst = out
		}
		copy(dst, l.B)
		for i, x := range cur {
			if x == 0 {
				continue
			}
			w := l.W[i*l.out : (i+1)*l.out]
			for j, wij := range w {
				dst[j] += x * wij
			}
		}
		if li < len(ls)-1 {
			activate(m.Activation, dst)
		}
		cur = dst
		h0, h1 = h1, h0
	}
}

func activate(name string, v []float64) {
	switch name {
	case ActivationTanh:
		for i, x := range v {
			v[i] = math.Tanh(x)
		}
	default:
		for i, x := range v {
			if x < 0 {
				v[i] = 0
			}
		}
	}
}

func widest(ls []layer) int {
	w := 0
	for _, l := range ls {
		w = max(w, l.out)
	}
	return w
}

// softmaxInPlace turns logits into probabilities, shifting by the maximum
// so exp never overflows.
func softmaxInPlace(z []float64) {
	hi := math.Inf(-1)
	for _, v := range z {
		hi = max(hi, v)
	}
	var s float64
	for i, v := range z {
		z[i] = math.Exp(v - hi)
		s += z[i]
	}
	for i := range z {
		z[i] /= s
	}
}
