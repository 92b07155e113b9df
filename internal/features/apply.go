package features

import (
	"fmt"
	"math"
	"time"

	"github.com/mlpipe/mlpipe/internal/frame"
)

// Apply encodes f into a dense row-major matrix of f.NumRows() ×
// NumOutputs(). When f has the target column, y holds 1 for the positive
// label and 0 for the other (a multi-class target: the class index); without
// it (serving, scoring) y is nil. A target value the transform was not fitted
// with is an error naming the row.
func (t *Transform) Apply(f *frame.Frame) (X []float64, y []float64, err error) {
	n, w := f.NumRows(), t.NumOutputs()
	X = make([]float64, n*w)
	off := 0
	for ci := range t.Columns {
		fc := &t.Columns[ci]
		c, ok := f.Col(fc.Column)
		if !ok {
			return nil, nil, fmt.Errorf("features: apply: column %q is missing from the data (the transform needs %s)", fc.Column, t.inputList())
		}
		if c.Kind != fc.Kind && c.NullCount() < c.Len() {
			// An all-null column has no kind to speak of; anything else is a
			// type drift the user must fix upstream.
			return nil, nil, fmt.Errorf("features: apply: column %q is %s in this data but was %s when fitted; read the data with frame.ReadOptions{Types: transform.InputKinds()}", fc.Column, c.Kind, fc.Kind)
		}
		if err := fc.applyColumn(c, X, w, off); err != nil {
			return nil, nil, fmt.Errorf("features: apply: %w", err)
		}
		off += len(fc.Outputs)
	}
	if tc, ok := f.Col(t.Target); ok {
		if y, err = t.labels(tc); err != nil {
			return nil, nil, fmt.Errorf("features: apply: %w", err)
		}
	}
	return X, y, nil
}

func (fc *FittedColumn) applyColumn(c *frame.Column, X []float64, w, off int) error {
	allNull := c.Kind != fc.Kind
	n, width := len(c.Null), len(fc.Outputs)
	var index map[string]int
	if fc.Kind == frame.String {
		index = fc.categoryIndex()
	}
	for r := 0; r < n; r++ {
		null := allNull || c.Null[r]
		dst := X[r*w+off : r*w+off+width]
		var err error
		switch fc.Kind {
		case frame.Time:
			var ts time.Time
			if !null {
				ts = c.Times[r]
			}
			err = fc.encodeTime(ts, null, dst)
		case frame.String:
			var s string
			if !null {
				s = c.Strings[r]
			}
			err = fc.encodeString(index, s, null, dst)
		default:
			var v float64
			if !null {
				v = c.Floats[r]
				null = math.IsNaN(v)
			}
			dst[0], err = fc.encodeNumber(v, null)
		}
		if err != nil {
			return fmt.Errorf("row %d, column %q: %w", r+1, fc.Column, err)
		}
	}
	return nil
}

func (t *Transform) labels(tc *frame.Column) ([]float64, error) {
	if t.MultiClass() {
		return t.classIndices(tc)
	}
	y := make([]float64, len(tc.Null))
	for r := range y {
		if tc.Null[r] {
			return nil, fmt.Errorf("row %d: target %q is null", r+1, t.Target)
		}
		switch l := tc.Format(r); l {
		case t.Labels[1]:
			y[r] = 1
		case t.Labels[0]:
		default:
			return nil, fmt.Errorf("row %d: target %q is %q, which is neither %q nor %q as in training", r+1, t.Target, l, t.Labels[1], t.Labels[0])
		}
	}
	return y, nil
}

func (t *Transform) inputList() string {
	s := ""
	for i, c := range t.Columns {
		if i > 0 {
			s += ", "
		}
		s += c.Column
	}
	return s
}
