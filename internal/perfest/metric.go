package perfest

import (
	"fmt"
	"math"
)

// z95 is the standard normal quantile of a two-sided 95% interval.
const z95 = 1.959963984540054

// Metric is a value with its 95% interval and how the interval was made.
type Metric struct {
	Value  float64 `json:"value"`
	Low    float64 `json:"low"`
	High   float64 `json:"high"`
	Method string  `json:"method"`
}

// String writes the metric as "0.873 [0.861, 0.885]".
func (m Metric) String() string {
	return fmt.Sprintf("%.3f [%.3f, %.3f]", m.Value, m.Low, m.High)
}

// wilson is the Wilson score interval of k successes in n trials.
func wilson(k, n int64) Metric {
	if n == 0 {
		return Metric{Method: "wilson"}
	}
	p := float64(k) / float64(n)
	nn := float64(n)
	z2 := z95 * z95
	centre := (p + z2/(2*nn)) / (1 + z2/nn)
	half := z95 / (1 + z2/nn) * math.Sqrt(p*(1-p)/nn+z2/(4*nn*nn))
	return Metric{Value: p, Low: max(0, centre-half), High: min(1, centre+half), Method: "wilson"}
}

// normal is value ± z95·se, clipped to [lo, hi].
func normal(value, se, lo, hi float64, method string) Metric {
	return Metric{Value: value, Low: max(lo, value-z95*se), High: min(hi, value+z95*se), Method: method}
}

// f1SE is the delta-method standard error of F1 = 2a/(2a+b), a = TP and
// b = FP+FN, under multinomial sampling of the confusion matrix.
func f1SE(a, b float64) float64 {
	d := 2*a + b
	if d == 0 {
		return 0
	}
	return math.Sqrt(4 * a * b * (a + b) / (d * d * d * d))
}

// f1 is 2·TP/(2·TP+FP+FN), 0 when there is no positive at all.
func f1(tp, fp, fn float64) float64 {
	if d := 2*tp + fp + fn; d > 0 {
		return 2 * tp / d
	}
	return 0
}

// checkProba says which probability is not in [0, 1].
func checkProba(what string, proba []float64) error {
	for i, p := range proba {
		if !(p >= 0 && p <= 1) {
			return fmt.Errorf("perfest: %s at row %d is %v; probabilities must be in [0, 1]", what, i, p)
		}
	}
	return nil
}

// checkThreshold says when the decision threshold is not in [0, 1].
func checkThreshold(t float64) error {
	if !(t >= 0 && t <= 1) {
		return fmt.Errorf("perfest: threshold is %v; it must be in [0, 1]", t)
	}
	return nil
}
