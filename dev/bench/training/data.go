package main

import (
	"bufio"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
)

// synthetic draws rows × cols standard-normal features and a binary label
// from a fixed nonlinear rule with label noise, so an MLP has something to
// gain over a linear model. The same seed gives the same data.
func synthetic(rows, cols int, seed uint64) (X, y []float64) {
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

// writeCSV writes the data with a header f0..f{cols-1},y; shortest-exact
// float formatting means Python parses the very same float64 values.
func writeCSV(path string, X, y []float64, cols int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	for j := range cols {
		fmt.Fprintf(w, "f%d,", j)
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

// logLoss is the mean binary log-loss, with p clipped as scikit-learn does.
func logLoss(p, y []float64) float64 {
	const eps = 1e-15
	var s float64
	for i, pi := range p {
		pi = min(max(pi, eps), 1-eps)
		if y[i] == 1 {
			s -= math.Log(pi)
		} else {
			s -= math.Log(1 - pi)
		}
	}
	return s / float64(len(p))
}
