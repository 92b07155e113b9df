package perfest

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/stat/distuv"
)

// MulticlassResult is realised performance of a model with several classes.
type MulticlassResult struct {
	N       int `json:"n"`
	Classes int `json:"classes"`
	// Confusion[t][p] counts rows of true class t predicted as p.
	Confusion [][]int64 `json:"confusion"`
	Accuracy  Metric    `json:"accuracy"`
	MacroF1   Metric    `json:"macro_f1"`
	// PerClassF1 is each class's one-vs-rest F1.
	PerClassF1 []float64 `json:"per_class_f1"`
}

// Resamples and BootstrapSeed fix the macro F1 bootstrap, so a window
// always gets the same interval.
const (
	Resamples     = 1000
	BootstrapSeed = 20261205
)

// Multiclass scores predicted classes against true ones, both in
// [0, classes).
func Multiclass(yTrue, yPred []int, classes int) (MulticlassResult, error) {
	if err := checkPairs(len(yTrue), len(yPred)); err != nil {
		return MulticlassResult{}, err
	}
	if classes < 2 {
		return MulticlassResult{}, fmt.Errorf("perfest: %d classes; a classifier has at least 2", classes)
	}
	cm := make([][]int64, classes)
	for i := range cm {
		cm[i] = make([]int64, classes)
	}
	for i, t := range yTrue {
		p := yPred[i]
		if t < 0 || t >= classes || p < 0 || p >= classes {
			return MulticlassResult{}, fmt.Errorf("perfest: row %d has true class %d and predicted class %d; classes are 0 to %d", i, t, p, classes-1)
		}
		cm[t][p]++
	}
	n := len(yTrue)
	var correct int64
	for c := range classes {
		correct += cm[c][c]
	}
	r := MulticlassResult{N: n, Classes: classes, Confusion: cm, Accuracy: wilson(correct, int64(n))}
	cells := make([]float64, classes*classes)
	for t := range classes {
		for p := range classes {
			cells[t*classes+p] = float64(cm[t][p])
		}
	}
	macro, per := macroF1(cells, classes)
	r.PerClassF1 = per

	// Bootstrap: a resample of rows is a multinomial draw of the cells.
	src := rand.NewPCG(BootstrapSeed, uint64(n))
	probs := make([]float64, len(cells))
	for i, c := range cells {
		probs[i] = c / float64(n)
	}
	draw := make([]float64, len(cells))
	stats := make([]float64, Resamples)
	for b := range stats {
		left, rest := float64(n), 1.0
		for i, p := range probs {
			switch {
			case i == len(probs)-1 || p >= rest:
				draw[i] = left
			case p == 0 || left == 0:
				draw[i] = 0
			default:
				draw[i] = distuv.Binomial{N: left, P: p / rest, Src: src}.Rand()
			}
			left -= draw[i]
			rest -= p
		}
		stats[b], _ = macroF1(draw, classes)
	}
	slices.Sort(stats)
	r.MacroF1 = Metric{Value: macro, Low: percentile(stats, 0.025), High: percentile(stats, 0.975), Method: "bootstrap"}
	return r, nil
}

// macroF1 is the mean one-vs-rest F1 over classes of a k×k cell vector
// (true-major), and the per-class values.
func macroF1(cells []float64, k int) (float64, []float64) {
	per := make([]float64, k)
	sum := 0.0
	for c := range k {
		var tp, fp, fn float64
		tp = cells[c*k+c]
		for o := range k {
			if o != c {
				fn += cells[c*k+o]
				fp += cells[o*k+c]
			}
		}
		per[c] = f1(tp, fp, fn)
		sum += per[c]
	}
	return sum / float64(k), per
}

// percentile interpolates linearly in sorted v (numpy's default).
func percentile(v []float64, q float64) float64 {
	h := q * float64(len(v)-1)
	lo := int(h)
	if lo >= len(v)-1 {
		return v[len(v)-1]
	}
	return v[lo] + (h-float64(lo))*(v[lo+1]-v[lo])
}
