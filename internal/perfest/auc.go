package perfest

import (
	"cmp"
	"math"
	"slices"
)

// delong returns ROC AUC with DeLong's 95% interval; ok is false when the
// labels hold one class. A positive's placement value is the share of
// negatives scored below it (ties count half), a negative's the share of
// positives scored above it; AUC is the mean placement of the positives and
// its variance var(V10)/m + var(V01)/n. Rows tied in score share their
// placement, so one sort and one pass over tie groups suffice.
func delong(yTrue []bool, proba []float64) (Metric, bool) {
	type row struct {
		p   float64
		pos bool
	}
	rows := make([]row, len(yTrue))
	var m, n float64
	for i, y := range yTrue {
		rows[i] = row{proba[i], y}
		if y {
			m++
		} else {
			n++
		}
	}
	if m == 0 || n == 0 {
		return Metric{}, false
	}
	slices.SortFunc(rows, func(a, b row) int { return cmp.Compare(a.p, b.p) })
	var posBelow, negBelow float64
	var s10, ss10, s01, ss01 float64
	for i := 0; i < len(rows); {
		j := i
		var pg, ng float64
		for ; j < len(rows) && rows[j].p == rows[i].p; j++ {
			if rows[j].pos {
				pg++
			} else {
				ng++
			}
		}
		v10 := (negBelow + ng/2) / n
		v01 := (m - posBelow - pg/2) / m
		s10 += pg * v10
		ss10 += pg * v10 * v10
		s01 += ng * v01
		ss01 += ng * v01 * v01
		posBelow += pg
		negBelow += ng
		i = j
	}
	auc := s10 / m
	variance := 0.0
	if m > 1 {
		variance += (ss10 - m*auc*auc) / (m - 1) / m
	}
	if n > 1 {
		mean01 := s01 / n
		variance += (ss01 - n*mean01*mean01) / (n - 1) / n
	}
	return normal(auc, math.Sqrt(max(variance, 0)), 0, 1, "delong"), true
}
