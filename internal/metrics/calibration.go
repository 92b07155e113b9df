package metrics

import (
	"encoding/json"
	"math"
)

// CalibrationBin is one bin of a reliability diagram: of the samples whose
// probability falls in (Lower, Upper], how many there are, what they were
// predicted on average and how many were actually positive. A well
// calibrated model has MeanPredicted ≈ FractionPositive in every bin.
type CalibrationBin struct {
	Lower float64 `json:"lower"`
	Upper float64 `json:"upper"`
	Count int     `json:"count"`
	// MeanPredicted and FractionPositive are NaN (null in JSON) in an empty
	// bin: there is nothing to average.
	MeanPredicted    float64 `json:"mean_predicted"`
	FractionPositive float64 `json:"fraction_positive"`
}

// Calibration splits [0, 1] into bins equal-width bins. Each bin holds the
// probabilities in (Lower, Upper], and the first also holds 0, as
// scikit-learn's calibration_curve(strategy="uniform") bins them. Unlike
// calibration_curve, empty bins are kept (Count 0) so every report has the
// same bins and they can be compared or plotted side by side. Nil when bins
// < 1 or the input fails Validate.
func Calibration(yTrue, proba []float64, bins int) []CalibrationBin {
	if bins < 1 || Validate(yTrue, proba, 0.5) != nil {
		return nil
	}
	edge := func(k int) float64 { return float64(k) / float64(bins) }
	out := make([]CalibrationBin, bins)
	sumP := make([]float64, bins)
	pos := make([]int, bins)
	for k := range out {
		out[k].Lower, out[k].Upper = edge(k), edge(k+1)
	}
	for i, p := range proba {
		// ceil(p·bins)−1 is the bin up to rounding; the loops settle a
		// probability that lands a hair off an edge.
		k := min(max(int(math.Ceil(p*float64(bins)))-1, 0), bins-1)
		for k > 0 && p <= edge(k) {
			k--
		}
		for k < bins-1 && p > edge(k+1) {
			k++
		}
		out[k].Count++
		sumP[k] += p
		if yTrue[i] == 1 {
			pos[k]++
		}
	}
	for k := range out {
		out[k].MeanPredicted, out[k].FractionPositive = math.NaN(), math.NaN()
		if n := float64(out[k].Count); n > 0 {
			out[k].MeanPredicted = sumP[k] / n
			out[k].FractionPositive = float64(pos[k]) / n
		}
	}
	return out
}

type calibrationBinJSON struct {
	Lower            float64  `json:"lower"`
	Upper            float64  `json:"upper"`
	Count            int      `json:"count"`
	MeanPredicted    *float64 `json:"mean_predicted"`
	FractionPositive *float64 `json:"fraction_positive"`
}

// MarshalJSON writes an empty bin's averages as null.
func (b CalibrationBin) MarshalJSON() ([]byte, error) {
	return json.Marshal(calibrationBinJSON{Lower: b.Lower, Upper: b.Upper, Count: b.Count,
		MeanPredicted: finite(b.MeanPredicted), FractionPositive: finite(b.FractionPositive)})
}

// UnmarshalJSON reads null averages back as NaN.
func (b *CalibrationBin) UnmarshalJSON(data []byte) error {
	var w calibrationBinJSON
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	*b = CalibrationBin{Lower: w.Lower, Upper: w.Upper, Count: w.Count,
		MeanPredicted: orElse(w.MeanPredicted, math.NaN()), FractionPositive: orElse(w.FractionPositive, math.NaN())}
	return nil
}
