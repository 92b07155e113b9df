package gbt

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// checkData rejects inputs that would train a wrong model silently, naming
// the row and column to fix (counted from 0). NaN is a missing value, which
// the trees route down each split's default branch; ±Inf is refused.
func checkData[T float32 | float64](X []T, y, w []float64, cols int, p Params) (rows int, err error) {
	rows = len(y)
	switch {
	case cols < 1:
		return 0, fmt.Errorf("training data: cols is %d; it must be >= 1", cols)
	case rows == 0:
		return 0, fmt.Errorf("training data has zero rows; check the dataset and the split")
	case len(X) != rows*cols:
		return 0, fmt.Errorf("training data: X has %d values but %d labels × %d columns = %d are needed", len(X), rows, cols, rows*cols)
	case w != nil && len(w) != rows:
		return 0, fmt.Errorf("training data: %d sample weights for %d rows; give one per row or none", len(w), rows)
	}
	k := p.classes()
	for i, v := range y {
		if v != math.Trunc(v) || v < 0 || v >= float64(k) {
			if k == 2 {
				return 0, fmt.Errorf("training data: label at row %d is %v; labels must be 0 or 1", i, v)
			}
			return 0, fmt.Errorf("training data: label at row %d is %v; labels must be class indices 0..%d (classes is %d)", i, v, k-1, k)
		}
	}
	for i, v := range w {
		if !(v >= 0) || math.IsInf(v, 0) {
			return 0, fmt.Errorf("training data: sample weight at row %d is %v; weights must be finite and >= 0", i, v)
		}
	}
	for i, v := range X {
		if math.IsInf(float64(v), 0) {
			return 0, fmt.Errorf("training data: feature at row %d column %d is %v; clip or drop infinite values (NaN counts as missing)", i/cols, i%cols, v)
		}
	}
	return rows, nil
}

// splitValidation holds out p.ValidationFraction of the rows, the same
// share of every class, chosen by a generator seeded from p.Seed so that a
// resumed run holds out the same rows. Both index lists ascend; without a
// fraction every row trains and val is nil.
func splitValidation(y []float64, p Params) (train, val []int, err error) {
	if p.ValidationFraction == 0 {
		return nil, nil, nil
	}
	perClass := make([][]int, p.classes())
	for i, v := range y {
		perClass[int(v)] = append(perClass[int(v)], i)
	}
	r := rand.New(rand.NewPCG(uint64(p.Seed), 0x9b7))
	for _, idx := range perClass {
		r.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		n := int(math.Round(p.ValidationFraction * float64(len(idx))))
		val = append(val, idx[:n]...)
		train = append(train, idx[n:]...)
	}
	if len(val) == 0 || len(train) == 0 {
		return nil, nil, fmt.Errorf("gradient_boosting: validation_fraction %v of %d rows leaves %d validation and %d training rows; both need at least one",
			p.ValidationFraction, len(y), len(val), len(train))
	}
	slices.Sort(train)
	slices.Sort(val)
	return train, val, nil
}

// classWeights returns each class's weight over the training rows idx (all
// rows when idx is nil): n / (k·n_c) with "balanced", else 1. A class
// absent from the rows keeps 1.
func classWeights(y []float64, idx []int, p Params) []float64 {
	k := p.classes()
	w := make([]float64, k)
	for c := range w {
		w[c] = 1
	}
	if p.ClassWeight != ClassWeightBalanced {
		return w
	}
	counts := make([]float64, k)
	n := 0
	each(len(y), idx, func(i int) { counts[int(y[i])]++; n++ })
	for c, nc := range counts {
		if nc > 0 {
			w[c] = float64(n) / (float64(k) * nc)
		}
	}
	return w
}

// each calls f for every index in idx, or for 0..n-1 when idx is nil.
func each(n int, idx []int, f func(int)) {
	if idx == nil {
		for i := range n {
			f(i)
		}
		return
	}
	for _, i := range idx {
		f(i)
	}
}

// part is the rows idx (all when nil) of X, y and the weights, as the
// DMatrix takes them: labels and weights in float32, weights scaled by the
// class weights. X is shared when idx is nil.
type part[T float32 | float64] struct {
	X    []T
	y, w []float32
	rows int
}

func gather[T float32 | float64](X []T, y, w []float64, cols int, idx []int, cw []float64, weighted bool) part[T] {
	var pt part[T]
	if idx == nil {
		pt.X, pt.rows = X, len(y)
	} else {
		pt.X, pt.rows = make([]T, 0, len(idx)*cols), len(idx)
		for _, i := range idx {
			pt.X = append(pt.X, X[i*cols:(i+1)*cols]...)
		}
	}
	pt.y = make([]float32, 0, pt.rows)
	if weighted {
		pt.w = make([]float32, 0, pt.rows)
	}
	each(len(y), idx, func(i int) {
		pt.y = append(pt.y, float32(y[i]))
		if weighted {
			wi := cw[int(y[i])]
			if w != nil {
				wi *= w[i]
			}
			pt.w = append(pt.w, float32(wi))
		}
	})
	return pt
}
