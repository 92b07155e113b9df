//go:build cgo && !noxgboost

package gbt

import "fmt"

// Predict returns the probabilities XGBoost itself gives for X's rows
// (row-major, cols columns, NaN for missing) under model, an XGBoost JSON
// model such as Result.Model: P(y=1) per row for a binary model, and
// classes values per row (row-major) for a multi-class one. Serving uses
// package treeeval instead, which needs no cgo; this is the reference it
// is tested against.
func Predict(model []byte, X []float64, cols int) ([]float64, error) {
	if cols < 1 || len(X)%cols != 0 {
		return nil, fmt.Errorf("gradient_boosting predict: %d values are not rows of %d columns", len(X), cols)
	}
	rows := len(X) / cols
	if rows == 0 {
		return nil, nil
	}
	var out []float64
	err := onThread(func() error {
		b, err := newBooster()
		if err != nil {
			return err
		}
		defer b.free()
		if err := b.load(model); err != nil {
			return err
		}
		if err := b.set("nthread", "1"); err != nil {
			return err
		}
		out, err = b.predict(X, rows, cols)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("gradient_boosting predict: %w", err)
	}
	return out, nil
}
