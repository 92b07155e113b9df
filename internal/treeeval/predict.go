package treeeval

import (
	"fmt"
	"math"
)

// checkInput validates X's shape against the model.
func (m *Model) checkInput(X []float64, cols int) error {
	if m.features == 0 {
		return fmt.Errorf("predict: the model is empty; read one with Parse")
	}
	if cols != m.features {
		return fmt.Errorf("predict: input has %d columns; the model was trained on %d features", cols, m.features)
	}
	if len(X)%cols != 0 {
		return fmt.Errorf("predict: input has %d values, not a multiple of %d columns", len(X), cols)
	}
	return nil
}

// PredictProba returns P(y=1) for each row of X (row-major, cols columns,
// NaN for a missing value) of a binary model; use PredictClassProba for a
// multi-class one.
func (m *Model) PredictProba(X []float64, cols int) ([]float64, error) {
	if err := m.checkInput(X, cols); err != nil {
		return nil, err
	}
	if m.classes > 2 {
		return nil, fmt.Errorf("predict: the model has %d classes; use PredictClassProba for per-class probabilities", m.classes)
	}
	s, p := m.NewScratch(), make([]float64, 2)
	out := make([]float64, len(X)/cols)
	for i := range out {
		m.rowProba(X[i*cols:(i+1)*cols], s, p)
		out[i] = p[1]
	}
	return out, nil
}

// PredictClassProba returns one row of class probabilities per row of X:
// out[i][c] = P(y=c). A binary model gives [P(0), P(1)].
func (m *Model) PredictClassProba(X []float64, cols int) ([][]float64, error) {
	if err := m.checkInput(X, cols); err != nil {
		return nil, err
	}
	rows, k := len(X)/cols, m.classes
	flat := make([]float64, rows*k)
	out := make([][]float64, rows)
	s := m.NewScratch()
	for i := range out {
		out[i] = flat[i*k : (i+1)*k]
		m.rowProba(X[i*cols:(i+1)*cols], s, out[i])
	}
	return out, nil
}

// Scratch is the working space of RowProba; keep one per goroutine.
type Scratch struct {
	row, z []float32
}

// NewScratch returns working space for m's RowProba.
func (m *Model) NewScratch() *Scratch {
	return &Scratch{row: make([]float32, m.features+1), z: make([]float32, m.outputs)}
}

// RowProba writes the class probabilities of one row x (len Features, NaN
// for a missing value) into out (len Classes), allocating nothing: the
// gateway's per-row call. s comes from m.NewScratch.
func (m *Model) RowProba(x []float64, s *Scratch, out []float64) error {
	switch {
	case len(x) != m.features:
		return fmt.Errorf("predict: the row has %d values; the model was trained on %d features", len(x), m.features)
	case len(out) != m.classes:
		return fmt.Errorf("predict: room for %d probabilities; the model has %d classes", len(out), m.classes)
	case s == nil || len(s.row) != m.features+1 || len(s.z) != m.outputs:
		return fmt.Errorf("predict: the scratch space is not this model's; use its NewScratch")
	}
	m.rowProba(x, s, out)
	return nil
}

// rowProba is RowProba without the checks.
func (m *Model) rowProba(x []float64, s *Scratch, out []float64) {
	row, z := s.row, s.z
	m.margins(x, row, z)
	if m.outputs == 1 {
		p := sigmoid(float64(z[0]))
		out[0], out[1] = 1-p, p
		return
	}
	hi := math.Inf(-1)
	for _, v := range z {
		hi = max(hi, float64(v))
	}
	var sum float64
	for c, v := range z {
		out[c] = math.Exp(float64(v) - hi)
		sum += out[c]
	}
	for c := range out {
		out[c] /= sum
	}
}

// margins writes each output's margin for x into z; row (len Features+1)
// receives x in float32, as XGBoost stores features, and a 0 in the
// scratch column leaves test. The leaves are summed in float32 in tree
// order, as XGBoost's CPU predictor does. Four trees are walked at once:
// their walks do not depend on each other, so the processor overlaps them.
func (m *Model) margins(x []float64, row, z []float32) {
	for j, v := range x {
		row[j] = float32(v)
	}
	row[m.features] = 0
	copy(z, m.base)
	nodes, roots, depth, group := m.nodes, m.roots, m.depth, m.group
	t := 0
	for ; t+4 <= len(roots); t += 4 {
		i0, i1, i2, i3 := roots[t], roots[t+1], roots[t+2], roots[t+3]
		for d := max(depth[t], depth[t+1], depth[t+2], depth[t+3]); d > 0; d-- {
			i0, i1, i2, i3 = step(nodes, row, i0), step(nodes, row, i1), step(nodes, row, i2), step(nodes, row, i3)
		}
		z[group[t]] += nodes[i0].leafValue()
		z[group[t+1]] += nodes[i1].leafValue()
		z[group[t+2]] += nodes[i2].leafValue()
		z[group[t+3]] += nodes[i3].leafValue()
	}
	for ; t < len(roots); t++ {
		i := roots[t]
		for d := depth[t]; d > 0; d-- {
			i = step(nodes, row, i)
		}
		z[group[t]] += nodes[i].leafValue()
	}
}

// step moves from node i to the child row goes to: right when row's value
// is >= the threshold, the default side when it is NaN (missing).
func step(nodes []node, row []float32, i int32) int32 {
	n := &nodes[i]
	v := row[n.feat]
	next := n.left + right(v, n.cond)
	if v != v {
		next = n.missing
	}
	return next
}

// sigmoid is written in the form that cannot overflow for either sign of z.
func sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}

// right is 1 when v goes to the right child (v >= cond, or NaN), else 0,
// computed without a branch: the walk's direction is as good as random.
func right(v, cond float32) int32 {
	var r int32
	if !(v < cond) {
		r = 1
	}
	return r
}
