package perfest

import "math"

// CBPEResult is performance estimated without labels.
type CBPEResult struct {
	N         int     `json:"n"`
	Threshold float64 `json:"threshold"`
	// Calibrated says whether a calibration fitted on a labelled reference
	// was applied; Note says what the estimate assumes.
	Calibrated bool   `json:"calibrated"`
	Note       string `json:"note"`
	// Expected is the expected confusion matrix.
	Expected Confusion `json:"expected"`
	Accuracy Metric    `json:"accuracy"`
	F1       Metric    `json:"f1"`
}

// CBPE estimates accuracy and F1 from the probabilities the model served.
// The prediction is what the model decided (proba > threshold); the chance
// that it is right comes from the calibrated probability, cal.Apply(p), or
// p itself when cal is nil.
func CBPE(proba []float64, threshold float64, cal *Calibrator) (CBPEResult, error) {
	if len(proba) == 0 {
		return CBPEResult{}, errNoPredictions
	}
	if err := checkProba("probability", proba); err != nil {
		return CBPEResult{}, err
	}
	if err := checkThreshold(threshold); err != nil {
		return CBPEResult{}, err
	}
	r := CBPEResult{N: len(proba), Threshold: threshold, Calibrated: cal != nil}
	r.Note = "isotonic calibration fitted on a labelled reference was applied"
	if cal == nil {
		r.Note = "no labelled reference: the estimate assumes the model's probabilities are calibrated"
	}
	// TP and FN are sums of independent Bernoulli labels; their variances
	// give the spread of the realised metrics around the estimate.
	var e Confusion
	var varTP, varFN, varCorrect float64
	predPos := 0.0
	for _, raw := range proba {
		p := raw
		if cal != nil {
			p = cal.Apply(raw)
		}
		v := p * (1 - p)
		if raw > threshold {
			predPos++
			e.TP += p
			e.FP += 1 - p
			varTP += v
		} else {
			e.FN += p
			e.TN += 1 - p
			varFN += v
		}
		varCorrect += v
	}
	r.Expected = e
	n := float64(len(proba))
	r.Accuracy = normal((e.TP+e.TN)/n, math.Sqrt(varCorrect)/n, 0, 1, "cbpe")
	// F1 = 2·TP/(TP + P + FN) with P the predicted positives, fixed.
	d := e.TP + predPos + e.FN
	se := 0.0
	if d > 0 {
		gTP := 2 * (predPos + e.FN) / (d * d)
		gFN := -2 * e.TP / (d * d)
		se = math.Sqrt(gTP*gTP*varTP + gFN*gFN*varFN)
	}
	r.F1 = normal(f1(e.TP, e.FP, e.FN), se, 0, 1, "cbpe")
	return r, nil
}
