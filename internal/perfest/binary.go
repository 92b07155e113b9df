package perfest

import "fmt"

// Confusion is a binary confusion matrix; CBPE's has expected, fractional
// counts.
type Confusion struct {
	TP float64 `json:"tp"`
	FP float64 `json:"fp"`
	FN float64 `json:"fn"`
	TN float64 `json:"tn"`
}

// BinaryResult is realised performance on joined labels.
type BinaryResult struct {
	N         int       `json:"n"`
	Positives int       `json:"positives"`
	Threshold float64   `json:"threshold"`
	Confusion Confusion `json:"confusion"`
	Accuracy  Metric    `json:"accuracy"`
	F1        Metric    `json:"f1"`
	// ROCAUC is nil when the labels hold one class only.
	ROCAUC *Metric `json:"roc_auc,omitempty"`
}

// Binary scores probabilities of the positive class against labels. A row
// is predicted positive when its probability is above threshold (strictly,
// as internal/metrics and scikit-learn's predict do).
func Binary(yTrue []bool, proba []float64, threshold float64) (BinaryResult, error) {
	if err := checkPairs(len(yTrue), len(proba)); err != nil {
		return BinaryResult{}, err
	}
	if err := checkProba("probability", proba); err != nil {
		return BinaryResult{}, err
	}
	if err := checkThreshold(threshold); err != nil {
		return BinaryResult{}, err
	}
	var tp, fp, fn, tn int64
	for i, y := range yTrue {
		pred := proba[i] > threshold
		switch {
		case pred && y:
			tp++
		case pred:
			fp++
		case y:
			fn++
		default:
			tn++
		}
	}
	n := len(yTrue)
	r := BinaryResult{N: n, Positives: int(tp + fn), Threshold: threshold,
		Confusion: Confusion{TP: float64(tp), FP: float64(fp), FN: float64(fn), TN: float64(tn)}}
	r.Accuracy = wilson(tp+tn, int64(n))
	r.F1 = normal(f1(float64(tp), float64(fp), float64(fn)), f1SE(float64(tp), float64(fp+fn)), 0, 1, "delta")
	if auc, ok := delong(yTrue, proba); ok {
		r.ROCAUC = &auc
	}
	return r, nil
}

// checkPairs says when labels and predictions cannot pair up.
func checkPairs(labels, preds int) error {
	switch {
	case labels == 0:
		return fmt.Errorf("perfest: no labelled predictions to score")
	case labels != preds:
		return fmt.Errorf("perfest: %d labels but %d predictions; they must pair up row by row", labels, preds)
	}
	return nil
}
