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
	cols, tc, err := t.inputs(f)
	if err != nil {
		return nil, nil, err
	}
	X = make([]float64, n*w)
	if tc != nil {
		y = make([]float64, n)
	}
	if err := t.applyRange(cols, tc, 0, n, X, y); err != nil {
		return nil, nil, err
	}
	return X, y, nil
}

// ApplyChunks encodes f as Apply does, chunk rows at a time, and hands each
// block to emit in row order: a table of any length is encoded in the
// memory of one chunk, with the same per-value code and so the same bits.
// X and y (nil without the target) are reused between calls; errors name
// the row of f.
func (t *Transform) ApplyChunks(f *frame.Frame, chunk int, emit func(X, y []float64) error) error {
	n, w := f.NumRows(), t.NumOutputs()
	cols, tc, err := t.inputs(f)
	if err != nil {
		return err
	}
	chunk = max(1, min(chunk, n))
	X := make([]float64, chunk*w)
	var y []float64
	if tc != nil {
		y = make([]float64, chunk)
	}
	for lo := 0; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		bx := X[:(hi-lo)*w]
		var by []float64
		if y != nil {
			by = y[:hi-lo]
		}
		if err := t.applyRange(cols, tc, lo, hi, bx, by); err != nil {
			return err
		}
		if err := emit(bx, by); err != nil {
			return err
		}
	}
	return nil
}

// inputs finds the columns the transform reads in f, and the target
// column when f has it.
func (t *Transform) inputs(f *frame.Frame) ([]*frame.Column, *frame.Column, error) {
	cols := make([]*frame.Column, len(t.Columns))
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
		cols[ci] = c
	}
	tc, _ := f.Col(t.Target)
	return cols, tc, nil
}

// applyRange encodes rows lo..hi into X (and y, when the target is
// there), whose first row is row lo.
func (t *Transform) applyRange(cols []*frame.Column, tc *frame.Column, lo, hi int, X, y []float64) error {
	w, off := t.NumOutputs(), 0
	// One-hot and hashing set only their hot output: the rest must be 0,
	// whatever an earlier block left.
	clear(X)
	for ci := range t.Columns {
		fc := &t.Columns[ci]
		if err := fc.applyColumn(cols[ci], X, w, off, lo, hi); err != nil {
			return fmt.Errorf("features: apply: %w", err)
		}
		off += len(fc.Outputs)
	}
	if tc != nil {
		if err := t.labels(tc, lo, hi, y); err != nil {
			return fmt.Errorf("features: apply: %w", err)
		}
	}
	return nil
}

func (fc *FittedColumn) applyColumn(c *frame.Column, X []float64, w, off, lo, hi int) error {
	allNull := c.Kind != fc.Kind
	width := len(fc.Outputs)
	var index map[string]int
	if fc.Kind == frame.String {
		index = fc.categoryIndex()
	}
	for r := lo; r < hi; r++ {
		null := allNull || c.Null[r]
		at := (r - lo) * w
		dst := X[at+off : at+off+width]
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

// labels encodes the target of rows lo..hi into y: 1 for the positive
// label and 0 for the other, or a multi-class target's class index.
func (t *Transform) labels(tc *frame.Column, lo, hi int, y []float64) error {
	if t.MultiClass() {
		return t.classIndices(tc, lo, hi, y)
	}
	for r := lo; r < hi; r++ {
		if tc.Null[r] {
			return fmt.Errorf("row %d: target %q is null", r+1, t.Target)
		}
		switch l := tc.Format(r); l {
		case t.Labels[1]:
			y[r-lo] = 1
		case t.Labels[0]:
			y[r-lo] = 0
		default:
			return fmt.Errorf("row %d: target %q is %q, which is neither %q nor %q as in training", r+1, t.Target, l, t.Labels[1], t.Labels[0])
		}
	}
	return nil
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
