package metrics

// SweepRow holds the threshold metrics at one candidate threshold, for
// choosing an operating point.
type SweepRow struct {
	Threshold float64 `json:"threshold"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	Accuracy  float64 `json:"accuracy"`
	// PositiveRate is the fraction of samples predicted positive.
	PositiveRate float64 `json:"predicted_positive_rate"`
}

// DefaultSweep returns the thresholds 0.05, 0.10, …, 0.95. Each is k/20
// rather than a running sum, so they print as written.
func DefaultSweep() []float64 {
	t := make([]float64, 19)
	for k := range t {
		t[k] = float64(k+1) / 20
	}
	return t
}

// ThresholdSweep scores the sample at each threshold, in the order given
// (DefaultSweep when thresholds is nil), predicting positive when
// proba > threshold as Binary does. Nil when the input or any threshold
// fails Validate.
func ThresholdSweep(yTrue, proba []float64, thresholds []float64) []SweepRow {
	if thresholds == nil {
		thresholds = DefaultSweep()
	}
	if Validate(yTrue, proba, 0.5) != nil {
		return nil
	}
	out := make([]SweepRow, 0, len(thresholds))
	for _, t := range thresholds {
		if !(t >= 0 && t <= 1) {
			return nil
		}
		c := confusionAt(yTrue, proba, t)
		n := float64(len(yTrue))
		out = append(out, SweepRow{
			Threshold:    t,
			Precision:    ratio(c.TP, c.TP+c.FP),
			Recall:       ratio(c.TP, c.TP+c.FN),
			F1:           ratio(2*c.TP, 2*c.TP+c.FP+c.FN),
			Accuracy:     float64(c.TP+c.TN) / n,
			PositiveRate: float64(c.TP+c.FP) / n,
		})
	}
	return out
}
