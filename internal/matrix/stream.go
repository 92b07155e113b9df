package matrix

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
)

// ErrNotFinite is the error, wrapped, for a value that is infinite or NaN.
var ErrNotFinite = errors.New("every value must be finite")

// Writer writes the binary format a block of rows at a time, so a matrix
// of any length is written in the memory of one block plus its labels
// (8 bytes a row): the format puts every label after the values, and the
// header announces the row count, which must be known up front.
type Writer struct {
	bw    *bufio.Writer
	names []string
	rows  int
	done  int
	y     []float64
	buf   []byte
}

// NewWriter writes the header of a rows × len(names) matrix to w.
func NewWriter(w io.Writer, names []string, rows int) (*Writer, error) {
	if rows < 0 {
		return nil, fmt.Errorf("matrix: %d rows", rows)
	}
	h, err := json.Marshal(header{Names: names, Rows: rows, Cols: len(names), DType: DType})
	if err != nil {
		return nil, fmt.Errorf("matrix: encode the header: %w", err)
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	var n [4]byte
	binary.LittleEndian.PutUint32(n[:], uint32(len(h)))
	if _, err := bw.WriteString(magic); err != nil {
		return nil, err
	}
	if _, err := bw.Write(n[:]); err != nil {
		return nil, err
	}
	if _, err := bw.Write(h); err != nil {
		return nil, err
	}
	return &Writer{bw: bw, names: names, rows: rows, y: make([]float64, 0, rows), buf: make([]byte, 8*4096)}, nil
}

// Write appends the rows of X (row-major) with their labels y. Every value
// must be finite; the error names the row counted from the matrix's first.
func (w *Writer) Write(X, y []float64) error {
	cols := len(w.names)
	if len(X) != len(y)*cols {
		return fmt.Errorf("matrix: %d values for %d rows × %d features", len(X), len(y), cols)
	}
	if w.done+len(y) > w.rows {
		return fmt.Errorf("matrix: %d rows written, more than the %d announced", w.done+len(y), w.rows)
	}
	for i, v := range X {
		if math.IsInf(v, 0) || math.IsNaN(v) {
			return fmt.Errorf("matrix: row %d, feature %s is %g: %w", w.done+i/cols+1, w.names[i%cols], v, ErrNotFinite)
		}
	}
	for i, v := range y {
		if math.IsInf(v, 0) || math.IsNaN(v) {
			return fmt.Errorf("matrix: row %d, label is %g: %w", w.done+i+1, v, ErrNotFinite)
		}
	}
	if err := w.put(X); err != nil {
		return err
	}
	w.y = append(w.y, y...)
	w.done += len(y)
	return nil
}

// Close writes the labels and flushes. Fewer rows than announced is an
// error: the file would not read back.
func (w *Writer) Close() error {
	if w.done != w.rows {
		return fmt.Errorf("matrix: %d rows written of the %d announced", w.done, w.rows)
	}
	if err := w.put(w.y); err != nil {
		return err
	}
	return w.bw.Flush()
}

func (w *Writer) put(vals []float64) error {
	for len(vals) > 0 {
		k := min(len(vals), len(w.buf)/8)
		for i, v := range vals[:k] {
			binary.LittleEndian.PutUint64(w.buf[8*i:], math.Float64bits(v))
		}
		if _, err := w.bw.Write(w.buf[:8*k]); err != nil {
			return err
		}
		vals = vals[k:]
	}
	return nil
}
