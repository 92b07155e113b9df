package metrics

import (
	"cmp"
	"math"
	"slices"
)

// scorer holds a validated sample sorted once by score, highest first, so
// that a report can be computed for any multiset of its rows (a bootstrap
// resample) in one sequential O(n) pass without sorting again: each
// position carries a multiplicity instead. Since resampling draws rows
// uniformly, drawing sorted positions is the same thing, and keeps every
// array access sequential.
type scorer struct {
	y    []uint8   // label per sorted position, 0 or 1
	p    []float64 // probability per sorted position, descending
	loss []float64 // clipped log-loss term per sorted position
	sq   []float64 // squared error (p − y)² per sorted position
	// groupEnd[g] is one past the last position of the g-th run of equal
	// probabilities, so ties are ranked together.
	groupEnd []int
}

func newScorer(yTrue, proba []float64) *scorer {
	n := len(yTrue)
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(proba[b], proba[a]) })
	s := &scorer{y: make([]uint8, n), p: make([]float64, n), loss: make([]float64, n), sq: make([]float64, n)}
	for k, i := range order {
		p := proba[i]
		pc := math.Min(math.Max(p, logLossEps), 1-logLossEps)
		s.p[k] = p
		s.loss[k] = -math.Log(1 - pc)
		s.sq[k] = p * p
		if yTrue[i] == 1 {
			s.y[k] = 1
			s.loss[k] = -math.Log(pc)
			s.sq[k] = (1 - p) * (1 - p)
		}
		if k > 0 && p != s.p[k-1] {
			s.groupEnd = append(s.groupEnd, k)
		}
	}
	s.groupEnd = append(s.groupEnd, n)
	return s
}

// report scores the sample where sorted position k counts w[k] times (once
// each when w is nil). ranking=false leaves ROC AUC and PR AUC NaN, sparing
// a division per group for callers that need only the other metrics.
//
// ROC AUC is the Mann–Whitney count: each positive scores 1 for every
// negative ranked below it and ½ for every negative tied with it, over P·N;
// kept in integers (doubled) so it is exact. NaN when a class is absent.
//
// PR AUC is scikit-learn's average precision, Σ (R_n − R_{n−1})·P_n over the
// distinct thresholds, with no interpolation. NaN when there is no positive.
func (s *scorer) report(w []int32, threshold float64, ranking bool) Report {
	var (
		conf    Confusion
		ll, br  float64
		tp, fp  int     // positives and negatives at or above the group
		above2  int     // Σ over positives of 2·(negatives above) + (tied negatives)
		apSum   float64 // Σ gp · precision, divided by P at the end
		k       int
		counted [2]int
	)
	for _, end := range s.groupEnd {
		counted = [2]int{}
		for ; k < end; k++ {
			c := 1
			if w != nil {
				c = int(w[k])
			}
			counted[s.y[k]] += c
			fc := float64(c)
			ll += fc * s.loss[k]
			br += fc * s.sq[k]
		}
		gn, gp := counted[0], counted[1]
		if s.p[end-1] > threshold {
			conf.TP += gp
			conf.FP += gn
		} else {
			conf.FN += gp
			conf.TN += gn
		}
		above2 += gp * (2*fp + gn)
		tp += gp
		fp += gn
		if ranking && gp > 0 {
			apSum += float64(gp) * float64(tp) / float64(tp+fp)
		}
	}
	r := Report{Threshold: threshold, Confusion: conf}
	c := conf
	r.Support = c.TP + c.FN + c.FP + c.TN
	r.Positives = c.TP + c.FN
	pos, neg := r.Positives, r.Support-r.Positives
	n := float64(r.Support)
	r.Accuracy = float64(c.TP+c.TN) / n
	r.Precision = ratio(c.TP, c.TP+c.FP)
	r.Recall = ratio(c.TP, c.TP+c.FN)
	r.F1 = ratio(2*c.TP, 2*c.TP+c.FP+c.FN)
	r.BalancedAccuracy, r.F1Macro, r.F1Weighted = classAverages(c)
	r.LogLoss = ll / n
	r.Brier = br / n
	r.ROCAUC, r.PRAUC = math.NaN(), math.NaN()
	if ranking && pos > 0 && neg > 0 {
		// Negatives below or tied, doubled: 2·P·N minus those above.
		r.ROCAUC = float64(2*pos*neg-above2) / float64(2*pos*neg)
	}
	if ranking && pos > 0 {
		r.PRAUC = apSum / float64(pos)
	}
	return r
}

// classAverages averages recall and F1 over the two classes. Balanced
// accuracy averages recall over the classes present in yTrue; the F1
// averages cover the classes present in yTrue or the predictions, so a
// sample that is all positive and all predicted positive scores 1, not ½
// (scikit-learn's rule).
func classAverages(c Confusion) (balanced, macro, weighted float64) {
	pos, neg := c.TP+c.FN, c.TN+c.FP
	var recalls []float64
	if pos > 0 {
		recalls = append(recalls, ratio(c.TP, pos))
	}
	if neg > 0 {
		recalls = append(recalls, ratio(c.TN, neg))
	}
	balanced = mean(recalls)

	f1Pos := ratio(2*c.TP, 2*c.TP+c.FP+c.FN)
	f1Neg := ratio(2*c.TN, 2*c.TN+c.FN+c.FP)
	var f1s []float64
	if pos > 0 || c.TP+c.FP > 0 {
		f1s = append(f1s, f1Pos)
	}
	if neg > 0 || c.TN+c.FN > 0 {
		f1s = append(f1s, f1Neg)
	}
	macro = mean(f1s)
	weighted = (float64(pos)*f1Pos + float64(neg)*f1Neg) / float64(pos+neg)
	return balanced, macro, weighted
}

func mean(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}
