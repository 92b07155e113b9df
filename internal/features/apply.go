package features

import (
	"fmt"
	"math"

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
	n := len(c.Null)
	switch {
	case fc.numeric():
		for r := 0; r < n; r++ {
			var v float64
			null := allNull || c.Null[r]
			if !null {
				if fc.Kind == frame.Time {
					v = fc.ageDays(c.Times[r])
				} else {
					v = c.Floats[r]
					null = math.IsNaN(v)
				}
			}
			out, err := fc.encodeNumber(v, null)
			if err != nil {
				return fmt.Errorf("row %d, column %q: %w", r+1, fc.Column, err)
			}
			X[r*w+off] = out
		}
	default:
		index := fc.categoryIndex()
		for r := 0; r < n; r++ {
			var s string
			if !allNull {
				s = c.Strings[r]
			}
			if j := fc.encodeCategory(index, s, allNull || c.Null[r]); j >= 0 {
				X[r*w+off+j] = 1
			}
		}
	}
	return nil
}

// encodeNumber imputes and scales one numeric value.
func (fc *FittedColumn) encodeNumber(v float64, null bool) (float64, error) {
	if null {
		if fc.Impute == None {
			return 0, fmt.Errorf("value is null and impute is none; set impute (mean, median, most_frequent or constant) for this column")
		}
		v = fc.FillValue
	}
	return fc.scale(v), nil
}

// encodeCategory returns the one-hot position of a value, or -1 for none.
func (fc *FittedColumn) encodeCategory(index map[string]int, s string, null bool) int {
	if null {
		if fc.Impute == None {
			return -1
		}
		s = fc.FillCategory
	}
	if j, ok := index[s]; ok {
		return j
	}
	return -1
}

// categoryIndex is built per call rather than cached so a Transform stays
// plain data that is safe to share between goroutines.
func (fc *FittedColumn) categoryIndex() map[string]int {
	index := make(map[string]int, len(fc.Categories))
	for j, s := range fc.Categories {
		index[s] = j
	}
	return index
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
