package metrics

import "fmt"

// logLossEps clips probabilities away from 0 and 1 so one confident mistake
// costs about 34.5 instead of +Inf (scikit-learn clipped at the same 1e-15).
const logLossEps = 1e-15

// Binary scores predicted probabilities of the positive class against labels
// 0/1. A sample is predicted positive when proba > threshold (strictly, so
// threshold 0.5 matches scikit-learn's predict). Precision, recall and F1 are
// 0 when their denominator is 0 (scikit-learn's zero_division=0). ROC AUC is
// NaN, not an error, when yTrue holds a single class, and PR AUC when it
// holds no positive, so the other metrics are still reported.
func Binary(yTrue, proba []float64, threshold float64) (Report, error) {
	if err := Validate(yTrue, proba, threshold); err != nil {
		return Report{}, err
	}
	return newScorer(yTrue, proba).report(nil, threshold, true), nil
}

func ratio(num, den int) float64 {
	if den == 0 {
		return 0
	}
	return float64(num) / float64(den)
}

// Validate reports why yTrue, proba and threshold cannot be scored: empty or
// unequal lengths, a label other than 0/1, a probability or threshold
// outside [0, 1]. The functions that return no error (ROC, PR, PerClass,
// ThresholdSweep, Calibration, Bootstrap) return nil for such input; call
// Validate first, or use Evaluate, which does.
func Validate(yTrue, proba []float64, threshold float64) error {
	switch {
	case len(yTrue) == 0:
		return fmt.Errorf("metrics: no samples to score")
	case len(yTrue) != len(proba):
		return fmt.Errorf("metrics: %d labels but %d predictions; they must pair up row by row", len(yTrue), len(proba))
	case !(threshold >= 0 && threshold <= 1):
		return fmt.Errorf("metrics: threshold is %v; it must be in [0, 1]", threshold)
	}
	for i, y := range yTrue {
		if y != 0 && y != 1 {
			return fmt.Errorf("metrics: label at row %d is %v; labels must be 0 or 1", i, y)
		}
		if p := proba[i]; !(p >= 0 && p <= 1) {
			return fmt.Errorf("metrics: probability at row %d is %v; it must be in [0, 1]", i, p)
		}
	}
	return nil
}
