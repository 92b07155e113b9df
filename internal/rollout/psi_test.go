package rollout

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/mlpipe/mlpipe/internal/routing"
)

func TestPSIIdenticalIsZero(t *testing.T) {
	h := [routing.ProbabilityBins]int64{5, 0, 30, 12, 0, 0, 7, 1, 0, 45}
	assert.Equal(t, 0.0, PSI(h, h))
	// Same shares at another scale are the same distribution.
	var h3 [routing.ProbabilityBins]int64
	for i, c := range h {
		h3[i] = 3 * c
	}
	assert.InDelta(t, 0, PSI(h, h3), 1e-15)
}

func TestPSIHandWorked(t *testing.T) {
	// expected shares .5 .5, actual .25 .75, the other bins empty on both
	// sides (ε vs ε adds 0):
	//   (.25−.5)·ln(.25/.5) + (.75−.5)·ln(.75/.5)
	// = .25·ln 2 + .25·ln 1.5 = .25·ln 3 = 0.27465307216702745
	e := [routing.ProbabilityBins]int64{50, 50}
	a := [routing.ProbabilityBins]int64{25, 75}
	assert.InDelta(t, math.Log(3)/4, PSI(e, a), 1e-15)
	assert.InDelta(t, 0.27465307216702745, PSI(e, a), 1e-15)
}

func TestPSIEmptyBinUsesEpsilon(t *testing.T) {
	// expected 1.0 in bin 0; actual .9 / .1. Bin 1 is empty in expected, so
	// its share is ε = 1e-4:
	//   (.9−1)·ln(.9)         = 0.010536051565782628
	//   (.1−1e-4)·ln(.1/1e-4) = .0999·ln 1000 = 0.6900847523703155
	//   total                 = 0.7006208039360981
	e := [routing.ProbabilityBins]int64{100}
	a := [routing.ProbabilityBins]int64{90, 10}
	assert.InDelta(t, 0.7006208039360981, PSI(e, a), 1e-12)
}

func TestPSIEmptyHistogramIsNaN(t *testing.T) {
	var empty [routing.ProbabilityBins]int64
	assert.True(t, math.IsNaN(PSI(empty, [routing.ProbabilityBins]int64{1})))
	assert.True(t, math.IsNaN(PSI([routing.ProbabilityBins]int64{1}, empty)))
}
