package perfest

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
)

// Calibrator maps a model's probability to a calibrated one: isotonic
// regression (pool adjacent violators) fitted on labelled reference rows,
// applied by linear interpolation between its knots and clipped outside
// them, as scikit-learn's IsotonicRegression(out_of_bounds="clip") does.
type Calibrator struct {
	// X are increasing probabilities and Y their calibrated values.
	X []float64 `json:"x"`
	Y []float64 `json:"y"`
	// Rows is the size of the reference it was fitted on.
	Rows int `json:"rows"`
}

// MinCalibrationRows is the smallest reference FitIsotonic accepts: fewer
// rows make a step function that says more about the sample than the model.
const MinCalibrationRows = 100

// FitIsotonic fits the calibration on reference probabilities and labels
// (the training run's test split).
func FitIsotonic(proba []float64, yTrue []bool) (*Calibrator, error) {
	if err := checkPairs(len(yTrue), len(proba)); err != nil {
		return nil, err
	}
	if len(proba) < MinCalibrationRows {
		return nil, fmt.Errorf("perfest: calibration needs at least %d labelled reference rows; got %d", MinCalibrationRows, len(proba))
	}
	if err := checkProba("reference probability", proba); err != nil {
		return nil, err
	}
	type pt struct{ x, y float64 }
	pts := make([]pt, len(proba))
	for i, p := range proba {
		pts[i] = pt{p, 0}
		if yTrue[i] {
			pts[i].y = 1
		}
	}
	slices.SortFunc(pts, func(a, b pt) int { return cmp.Compare(a.x, b.x) })
	// Blocks of equal x first (their mean label), then pool violators.
	type block struct{ lo, hi, sum, w float64 }
	var bs []block
	for i := 0; i < len(pts); {
		j := i
		b := block{lo: pts[i].x, hi: pts[i].x}
		for ; j < len(pts) && pts[j].x == pts[i].x; j++ {
			b.sum += pts[j].y
			b.w++
		}
		bs = append(bs, b)
		for len(bs) > 1 {
			a, c := bs[len(bs)-2], bs[len(bs)-1]
			if a.sum/a.w < c.sum/c.w {
				break
			}
			bs = append(bs[:len(bs)-2], block{lo: a.lo, hi: c.hi, sum: a.sum + c.sum, w: a.w + c.w})
		}
		i = j
	}
	c := &Calibrator{Rows: len(proba)}
	for _, b := range bs {
		v := b.sum / b.w
		c.X = append(c.X, b.lo)
		c.Y = append(c.Y, v)
		if b.hi > b.lo {
			c.X = append(c.X, b.hi)
			c.Y = append(c.Y, v)
		}
	}
	return c, nil
}

// Apply returns the calibrated probability of p.
func (c *Calibrator) Apply(p float64) float64 {
	n := len(c.X)
	switch {
	case n == 0:
		return p
	case p <= c.X[0]:
		return c.Y[0]
	case p >= c.X[n-1]:
		return c.Y[n-1]
	}
	i := sort.SearchFloat64s(c.X, p) // c.X[i-1] < p ≤ c.X[i]
	t := (p - c.X[i-1]) / (c.X[i] - c.X[i-1])
	return c.Y[i-1] + t*(c.Y[i]-c.Y[i-1])
}
