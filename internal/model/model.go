package model

import (
	"fmt"
	"math"
)

// Parameter names used by the logistic model.
const (
	ParamWeights = "weights"
	ParamBias    = "bias"
)

// Param is one named parameter tensor, stored row-major. A scalar has an
// empty Shape and one value. Keeping parameters as a list (not fixed
// fields) lets an MLP store its layers in the same Model.
type Param struct {
	Name  string    `json:"name"`
	Shape []int     `json:"shape"`
	Data  []float64 `json:"data"`
}

// Model is a trained model, ready to be serialised as JSON.
type Model struct {
	Kind        string  `json:"kind"`
	NumFeatures int     `json:"num_features"`
	Params      []Param `json:"params"`
	// Epoch is the number of epochs trained so far (with early stopping, the
	// epoch whose weights these are).
	Epoch int `json:"epoch"`
	// Classes is 0 for a binary model, else the number of softmax classes.
	Classes int `json:"classes,omitempty"`
	// Activation is the mlp's hidden-layer nonlinearity.
	Activation string `json:"activation,omitempty"`
}

// newLogistic returns a logistic model with all parameters zero: the loss is
// convex, so zero is as good a start as any and needs no randomness.
func newLogistic(cols int) *Model {
	return &Model{
		Kind:        KindLogistic,
		NumFeatures: cols,
		Params: []Param{
			{Name: ParamWeights, Shape: []int{cols}, Data: make([]float64, cols)},
			{Name: ParamBias, Shape: []int{}, Data: []float64{0}},
		},
	}
}

// Param returns the parameter with the given name, or nil.
func (m *Model) Param(name string) *Param {
	for i := range m.Params {
		if m.Params[i].Name == name {
			return &m.Params[i]
		}
	}
	return nil
}

// Weights returns the logistic model's feature weights (nil if absent).
func (m *Model) Weights() []float64 {
	if p := m.Param(ParamWeights); p != nil {
		return p.Data
	}
	return nil
}

// Bias returns the logistic model's intercept (0 if absent).
func (m *Model) Bias() float64 {
	if p := m.Param(ParamBias); p != nil && len(p.Data) == 1 {
		return p.Data[0]
	}
	return 0
}

// Clone returns a deep copy, so a checkpoint never aliases live training state.
func (m *Model) Clone() *Model {
	c := *m
	c.Params = make([]Param, len(m.Params))
	for i, p := range m.Params {
		c.Params[i] = Param{Name: p.Name, Shape: append([]int{}, p.Shape...), Data: append([]float64{}, p.Data...)}
	}
	return &c
}

// check verifies that the model's parameters have the shapes its kind needs,
// so a hand-edited or truncated model file fails clearly instead of panicking.
func (m *Model) check() error {
	if m.Kind != KindLogistic && m.Kind != KindMLP {
		return fmt.Errorf("model kind %q is not supported; expected %q or %q", m.Kind, KindLogistic, KindMLP)
	}
	if m.NumFeatures < 1 {
		return fmt.Errorf("model num_features is %d; it must be >= 1", m.NumFeatures)
	}
	if m.Classes < 0 || m.Classes == 1 || m.Classes == 2 {
		return fmt.Errorf("model classes is %d; expected 0 (binary) or >= 3", m.Classes)
	}
	if m.Kind == KindMLP {
		return m.checkMLP()
	}
	out := m.outputs()
	if w := m.Weights(); len(w) != m.NumFeatures*out {
		return fmt.Errorf("model param %q has %d values; expected num_features = %d × %d outputs", ParamWeights, len(w), m.NumFeatures, out)
	}
	if p := m.Param(ParamBias); p == nil || len(p.Data) != out {
		if out == 1 {
			return fmt.Errorf("model param %q is missing or not a single value", ParamBias)
		}
		return fmt.Errorf("model param %q is missing or does not have %d values", ParamBias, out)
	}
	return nil
}

// checkInput validates X against the model before predicting.
func (m *Model) checkInput(X []float64, cols int) error {
	if err := m.check(); err != nil {
		return fmt.Errorf("predict: %w", err)
	}
	if cols != m.NumFeatures {
		return fmt.Errorf("predict: input has %d columns; the model was trained on %d features", cols, m.NumFeatures)
	}
	if len(X)%cols != 0 {
		return fmt.Errorf("predict: input has %d values, not a multiple of %d columns", len(X), cols)
	}
	return nil
}

// PredictProba returns P(y=1) for each row of X (row-major, cols columns) of
// a binary model; use PredictClassProba for a multi-class one. It is plain
// Go, equal to the training graph's forward pass.
func (m *Model) PredictProba(X []float64, cols int) ([]float64, error) {
	if err := m.checkInput(X, cols); err != nil {
		return nil, err
	}
	if m.Classes >= 3 {
		return nil, fmt.Errorf("predict: the model has %d classes; use PredictClassProba for per-class probabilities", m.Classes)
	}
	ls := m.layers()
	h0, h1 := make([]float64, widest(ls)), make([]float64, widest(ls))
	var z [1]float64
	out := make([]float64, len(X)/cols)
	for i := range out {
		m.forward(ls, X[i*cols:(i+1)*cols], h0, h1, z[:])
		out[i] = sigmoid(z[0])
	}
	return out, nil
}

// PredictClassProba returns one row of class probabilities per row of X:
// out[i][c] = P(y=c). A binary model gives [P(0), P(1)].
func (m *Model) PredictClassProba(X []float64, cols int) ([][]float64, error) {
	if err := m.checkInput(X, cols); err != nil {
		return nil, err
	}
	rows := len(X) / cols
	k := max(m.Classes, 2)
	flat := make([]float64, rows*k)
	out := make([][]float64, rows)
	ls := m.layers()
	h0, h1 := make([]float64, widest(ls)), make([]float64, widest(ls))
	for i := range out {
		out[i] = flat[i*k : (i+1)*k]
		if k == 2 {
			m.forward(ls, X[i*cols:(i+1)*cols], h0, h1, out[i][1:])
			p := sigmoid(out[i][1])
			out[i][0], out[i][1] = 1-p, p
			continue
		}
		m.forward(ls, X[i*cols:(i+1)*cols], h0, h1, out[i])
		softmaxInPlace(out[i])
	}
	return out, nil
}

// sigmoid is written in the form that cannot overflow for either sign of z.
func sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}
