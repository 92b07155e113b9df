package model

import (
	"fmt"
	"math"
)

// checkData rejects inputs that would train a wrong model silently, naming
// the row and column to fix. Rows and columns are counted from 0.
func checkData(X, y []float64, cols, classes int) (rows int, err error) {
	rows = len(y)
	switch {
	case cols < 1:
		return 0, fmt.Errorf("training data: cols is %d; it must be >= 1", cols)
	case rows == 0:
		return 0, fmt.Errorf("training data has zero rows; check the dataset and the split")
	case len(X) != rows*cols:
		return 0, fmt.Errorf("training data: X has %d values but %d labels × %d columns = %d are needed", len(X), rows, cols, rows*cols)
	}
	if err := CheckLabels(y, classes); err != nil {
		return 0, fmt.Errorf("training data: %w", err)
	}
	for k, v := range X {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, fmt.Errorf("training data: feature at row %d column %d is %v; impute or drop non-finite values first", k/cols, k%cols, v)
		}
	}
	return rows, nil
}

// LabelError is a label a model of Classes classes cannot learn. Callers
// that know where the setting comes from use its fields to say what to fix.
type LabelError struct {
	Row   int
	Value float64
	// Classes is the configured number of classes; below 3 the model is
	// binary.
	Classes int
}

func (e *LabelError) Error() string {
	if e.Classes < 3 {
		return fmt.Sprintf("label at row %d is %v; labels must be 0 or 1", e.Row, e.Value)
	}
	return fmt.Sprintf("label at row %d is %v; labels must be class indices 0..%d (classes is %d)", e.Row, e.Value, e.Classes-1, e.Classes)
}

// CheckLabels reports the first label a model of classes classes (0 or 2:
// binary) cannot learn, as a *LabelError: binary labels are 0 or 1, and
// multi-class ones the class indices 0..classes-1. Rows are counted from 0.
func CheckLabels(y []float64, classes int) error {
	for i, v := range y {
		bad := v != 0 && v != 1
		if classes >= 3 {
			bad = v != math.Trunc(v) || v < 0 || v >= float64(classes)
		}
		if bad {
			return &LabelError{Row: i, Value: v, Classes: classes}
		}
	}
	return nil
}

// classWeights returns the per-class sample weight [w0, w1]. "balanced"
// gives n / (2·n_c), as scikit-learn does, so each class carries half of the
// total weight.
func classWeights(y []float64, mode string) [2]float64 {
	if mode != ClassWeightBalanced {
		return [2]float64{1, 1}
	}
	var pos float64
	for _, v := range y {
		pos += v
	}
	n := float64(len(y))
	w := [2]float64{1, 1}
	if neg := n - pos; neg > 0 {
		w[0] = n / (2 * neg)
	}
	if pos > 0 {
		w[1] = n / (2 * pos)
	}
	return w
}

// classWeightsK returns the per-class sample weight for k classes over the
// rows in idx. "balanced" gives n / (k·n_c), as scikit-learn does; a class
// absent from the rows keeps weight 1.
func classWeightsK(y []float64, idx []int, k int, mode string) []float64 {
	w := filled(k, 1)
	if mode != ClassWeightBalanced {
		return w
	}
	counts := make([]float64, k)
	for _, r := range idx {
		counts[int(y[r])]++
	}
	for c, n := range counts {
		if n > 0 {
			w[c] = float64(len(idx)) / (float64(k) * n)
		}
	}
	return w
}
