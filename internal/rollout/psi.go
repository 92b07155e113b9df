package rollout

import (
	"math"

	"github.com/mlpipe/mlpipe/internal/routing"
)

// psiEpsilon stands in for the share of an empty bin: ln(0) would make one
// empty bin's term infinite. With 1e-4, a bin holding 10% on one side and
// nothing on the other adds 0.0999·ln(1000) ≈ 0.69, well above any sane
// limit, which is what a probability range one side never produces deserves.
const psiEpsilon = 1e-4

// PSI is the population stability index of actual against expected:
// Σ (aᵢ − eᵢ)·ln(aᵢ/eᵢ) over bins, where aᵢ and eᵢ are the bins' shares of
// their histogram's total and an empty bin's share counts as psiEpsilon
// (not renormalised, so identical histograms give exactly 0). It is NaN
// when either histogram is empty, as there is no distribution to compare.
func PSI(expected, actual [routing.ProbabilityBins]int64) float64 {
	return psiOf(expected[:], actual[:])
}

func share(count, total int64) float64 {
	if count <= 0 {
		return psiEpsilon
	}
	return float64(count) / float64(total)
}

func sum(xs []int64) int64 {
	var n int64
	for _, x := range xs {
		n += x
	}
	return n
}

// psiOf is PSI over any number of bins: PSI's probability histograms and
// the multi-class mix of predicted classes.
func psiOf(expected, actual []int64) float64 {
	et, at := sum(expected), sum(actual)
	if et == 0 || at == 0 {
		return math.NaN()
	}
	var psi float64
	for i := range expected {
		e, a := share(expected[i], et), share(actual[i], at)
		psi += (a - e) * math.Log(a/e)
	}
	return psi
}
