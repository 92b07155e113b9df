//go:build cgo && !noxgboost

package gbt

// LiveHandles is the number of XGBoost handles not yet freed.
func LiveHandles() int64 { return live.Load() }

// PredictTimes loads model once and predicts X n times with one thread,
// for benchmarks of XGBoost's own predictor.
func PredictTimes(model []byte, X []float64, cols, n int) error {
	return onThread(func() error {
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
		for range n {
			if _, err := b.predict(X, len(X)/cols, cols); err != nil {
				return err
			}
		}
		return nil
	})
}
