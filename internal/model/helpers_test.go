package model

import (
	"math"
	"math/rand/v2"
)

// synthetic draws a learnable problem with true weights from seed: y = 1 when
// x·trueW + 0.5 + noise > 0.
func synthetic(rows, cols int, seed uint64) (X, y, trueW []float64) {
	r := rand.New(rand.NewPCG(seed, 1))
	trueW = make([]float64, cols)
	for j := range trueW {
		trueW[j] = r.NormFloat64()
	}
	X, y = sample(trueW, rows, seed)
	return X, y, trueW
}

// sample draws rows from the problem defined by trueW; a different seed
// gives a held-out set from the same problem.
func sample(trueW []float64, rows int, seed uint64) (X, y []float64) {
	r := rand.New(rand.NewPCG(seed, 2))
	cols := len(trueW)
	X = make([]float64, rows*cols)
	y = make([]float64, rows)
	for i := 0; i < rows; i++ {
		z := 0.5
		for j := 0; j < cols; j++ {
			x := r.NormFloat64()
			X[i*cols+j] = x
			z += x * trueW[j]
		}
		if z+0.3*r.NormFloat64() > 0 {
			y[i] = 1
		}
	}
	return X, y
}

func accuracy(p, y []float64) float64 {
	var ok int
	for i := range p {
		if (p[i] > 0.5) == (y[i] == 1) {
			ok++
		}
	}
	return float64(ok) / float64(len(y))
}

func maxAbsDiff(a, b []float64) float64 {
	var d float64
	for i := range a {
		d = math.Max(d, math.Abs(a[i]-b[i]))
	}
	return d
}
