package frame

import (
	"fmt"
)

// Frame is an ordered set of equally long, uniquely named columns.
type Frame struct {
	cols  []*Column
	index map[string]int
	rows  int
}

// New builds a frame from columns. Every column must have the same length,
// a non-empty unique name, and a Null mask as long as its values.
func New(cols ...*Column) (*Frame, error) {
	f := &Frame{cols: cols, index: make(map[string]int, len(cols))}
	for i, c := range cols {
		if c.Name == "" {
			return nil, fmt.Errorf("column %d has no name", i+1)
		}
		if _, dup := f.index[c.Name]; dup {
			return nil, fmt.Errorf("column %q appears twice", c.Name)
		}
		f.index[c.Name] = i
		n := c.Len()
		if i == 0 {
			f.rows = n
		} else if n != f.rows {
			return nil, fmt.Errorf("column %q has %d rows, column %q has %d", c.Name, n, cols[0].Name, f.rows)
		}
		if len(c.Null) != n {
			return nil, fmt.Errorf("column %q has %d values but %d null flags", c.Name, n, len(c.Null))
		}
	}
	return f, nil
}

// NumRows is the number of rows.
func (f *Frame) NumRows() int { return f.rows }

// Names lists the column names in order.
func (f *Frame) Names() []string {
	out := make([]string, len(f.cols))
	for i, c := range f.cols {
		out[i] = c.Name
	}
	return out
}

// Col looks a column up by name.
func (f *Frame) Col(name string) (*Column, bool) {
	i, ok := f.index[name]
	if !ok {
		return nil, false
	}
	return f.cols[i], true
}

// Columns returns the columns in order. The slice is the frame's own: do not
// modify it.
func (f *Frame) Columns() []*Column { return f.cols }

// Kinds maps each column name to its kind; pass it as ReadOptions.Types to
// read a written frame back with exactly the same kinds.
func (f *Frame) Kinds() map[string]Kind {
	out := make(map[string]Kind, len(f.cols))
	for _, c := range f.cols {
		out[c.Name] = c.Kind
	}
	return out
}

// Take returns a new frame holding the given rows, in the given order.
// Row indices must be in range; repeats are allowed.
func (f *Frame) Take(rows []int) *Frame {
	out := &Frame{cols: make([]*Column, len(f.cols)), index: f.index, rows: len(rows)}
	for i, c := range f.cols {
		out.cols[i] = c.take(rows)
	}
	return out
}
