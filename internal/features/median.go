package features

import (
	"math"
	"slices"
	"sort"
)

// medianOf is the middle value of vals, or the mean of the two middle
// ones, found by selection in linear time rather than by sorting (a sort
// of each numeric column was a tenth of the feature stage's time). Only
// the sign of a zero depends on the algorithm, since -0 and +0 compare
// equal; when a middle value is zero and vals holds a -0, or vals holds a
// NaN, the median is taken from a sort as it always was, so the fitted
// value keeps its bits.
func medianOf(vals []float64) float64 {
	var scratch []float64
	return medianInto(vals, &scratch)
}

// medianInto is medianOf selecting in *scratch, which it grows as needed,
// so that a column after another reuses its memory.
func medianInto(vals []float64, scratch *[]float64) float64 {
	s := append((*scratch)[:0], vals...)
	*scratch = s
	negZero := false
	for _, v := range s {
		if math.IsNaN(v) {
			return sortedMedian(s)
		}
		negZero = negZero || (v == 0 && math.Signbit(v))
	}
	n := len(s)
	k := n / 2
	hi := selectKth(s, k)
	m := hi
	lo := hi
	if n%2 == 0 {
		// s[:k] holds the k smallest values: the other middle value is
		// their largest.
		lo = s[0]
		for _, v := range s[1:k] {
			lo = max(lo, v)
		}
		m = (lo + hi) / 2
	}
	if negZero && (lo == 0 || hi == 0) {
		return sortedMedian(slices.Clone(vals))
	}
	return m
}

// sortedMedian is the median read off a sort of s, which it reorders.
func sortedMedian(s []float64) float64 {
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// selectKth reorders s so that s[k] is its k-th smallest value (from 0),
// every value before it no larger and every value after it no smaller,
// and returns s[k]: Hoare's partition with a median-of-three pivot, which
// splits runs of equal values evenly. After 64 rounds without converging
// it sorts what is left, so it never takes quadratic time. s must not
// hold NaN.
func selectKth(s []float64, k int) float64 {
	lo, hi := 0, len(s)-1
	for round := 0; lo < hi; round++ {
		if round == 64 {
			slices.Sort(s[lo : hi+1])
			break
		}
		a, b, c := s[lo], s[lo+(hi-lo)/2], s[hi]
		p := max(min(a, b), min(max(a, b), c))
		i, j := lo, hi
		for i <= j {
			for s[i] < p {
				i++
			}
			for s[j] > p {
				j--
			}
			if i <= j {
				s[i], s[j] = s[j], s[i]
				i++
				j--
			}
		}
		// s[lo:j+1] ≤ p, s[j+1:i] == p, s[i:hi+1] ≥ p.
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return s[k]
		}
	}
	return s[k]
}
