// Package synth makes the synthetic binary-classification data the
// benchmarks share, and writes it as CSV that Python reads back exactly.
package synth

import (
	"bufio"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
)

// Binary draws rows × cols standard-normal features and a binary label from
// a fixed nonlinear rule with label noise, so an MLP has something to gain
// over a linear model. The same seed gives the same data.
func Binary(rows, cols int, seed uint64) (X, y []float64) {
	r := rand.New(rand.NewPCG(seed, 1))
	w := make([]float64, cols)
	for j := range w {
		w[j] = r.NormFloat64()
	}
	X = make([]float64, rows*cols)
	y = make([]float64, rows)
	for i := range rows {
		row := X[i*cols : (i+1)*cols]
		z := 0.3
		for j := range row {
			row[j] = r.NormFloat64()
			z += row[j] * w[j]
		}
		z += 1.5*math.Abs(row[0]) - row[1]*row[2] // the part a line cannot fit
		if z+r.NormFloat64() > 0 {
			y[i] = 1
		}
	}
	return X, y
}

// Names are the feature column names WriteCSV uses: f0..f{cols-1}.
func Names(cols int) []string {
	names := make([]string, cols)
	for j := range names {
		names[j] = "f" + strconv.Itoa(j)
	}
	return names
}

// WriteCSV writes the data with a header f0..f{cols-1},y; shortest-exact
// float formatting means Python parses the very same float64 values.
func WriteCSV(path string, X, y []float64, cols int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	for _, n := range Names(cols) {
		w.WriteString(n)
		w.WriteByte(',')
	}
	w.WriteString("y\n")
	buf := make([]byte, 0, 32)
	for i := range y {
		for _, v := range X[i*cols : (i+1)*cols] {
			w.Write(strconv.AppendFloat(buf[:0], v, 'g', -1, 64))
			w.WriteByte(',')
		}
		w.Write(strconv.AppendFloat(buf[:0], y[i], 'g', -1, 64))
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}
