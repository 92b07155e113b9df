package metrics

import (
	"fmt"
	"math"
	"sort"
)

// logLossEps clips probabilities away from 0 and 1 so one confident mistake
// costs about 34.5 instead of +Inf (scikit-learn clipped at the same 1e-15).
const logLossEps = 1e-15

// Binary scores predicted probabilities of the positive class against labels
// 0/1. A sample is predicted positive when proba > threshold (strictly, so
// threshold 0.5 matches scikit-learn's predict). Precision, recall and F1 are
// 0 when their denominator is 0 (scikit-learn's zero_division=0). ROC AUC is
// NaN, not an error, when yTrue holds a single class, so the other metrics
// are still reported.
func Binary(yTrue, proba []float64, threshold float64) (Report, error) {
	if err := check(yTrue, proba, threshold); err != nil {
		return Report{}, err
	}
	r := Report{Support: len(yTrue), Threshold: threshold}
	var ll float64
	for i, y := range yTrue {
		p := proba[i]
		pos := p > threshold
		switch {
		case y == 1 && pos:
			r.Confusion.TP++
		case y == 1:
			r.Confusion.FN++
		case pos:
			r.Confusion.FP++
		default:
			r.Confusion.TN++
		}
		pc := math.Min(math.Max(p, logLossEps), 1-logLossEps)
		if y == 1 {
			ll -= math.Log(pc)
		} else {
			ll -= math.Log(1 - pc)
		}
	}
	c := r.Confusion
	r.Positives = c.TP + c.FN
	r.Accuracy = float64(c.TP+c.TN) / float64(r.Support)
	r.Precision = ratio(c.TP, c.TP+c.FP)
	r.Recall = ratio(c.TP, c.TP+c.FN)
	r.F1 = ratio(2*c.TP, 2*c.TP+c.FP+c.FN)
	r.LogLoss = ll / float64(r.Support)
	r.ROCAUC = rocAUC(yTrue, proba, r.Positives)
	return r, nil
}

func ratio(num, den int) float64 {
	if den == 0 {
		return 0
	}
	return float64(num) / float64(den)
}

func check(yTrue, proba []float64, threshold float64) error {
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

// rocAUC uses the Mann–Whitney form: rank all scores (tied scores share
// their average rank), then AUC = (Σ ranks of positives − P(P+1)/2) / (P·N).
// A tied positive/negative pair thus counts one half, as in the ROC curve's
// trapezoid. NaN when either class is absent.
func rocAUC(yTrue, proba []float64, pos int) float64 {
	n := len(yTrue)
	neg := n - pos
	if pos == 0 || neg == 0 {
		return math.NaN()
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return proba[idx[a]] < proba[idx[b]] })
	var rankSum float64
	for lo := 0; lo < n; {
		hi := lo
		for hi+1 < n && proba[idx[hi+1]] == proba[idx[lo]] {
			hi++
		}
		// Ranks are 1-based: the tie group lo..hi shares (lo+1 + hi+1) / 2.
		avg := float64(lo+hi+2) / 2
		for k := lo; k <= hi; k++ {
			if yTrue[idx[k]] == 1 {
				rankSum += avg
			}
		}
		lo = hi + 1
	}
	p, q := float64(pos), float64(neg)
	return (rankSum - p*(p+1)/2) / (p * q)
}
