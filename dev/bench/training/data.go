package main

import (
	"math"

	"github.com/mlpipe/mlpipe/dev/bench/internal/synth"
)

// synthetic is the shared generator (dev/bench/internal/synth), so the
// search benchmark trains on the very same 100,000 × 20 set.
func synthetic(rows, cols int, seed uint64) (X, y []float64) { return synth.Binary(rows, cols, seed) }

func writeCSV(path string, X, y []float64, cols int) error { return synth.WriteCSV(path, X, y, cols) }

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
