package simdblas

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
)

// The whole product, packing, partial tiles and scaling included, gives
// the same bits through the assembly kernel and through the portable one.
func TestDgemmSameBitsWithAndWithoutFMA(t *testing.T) {
	if !hasFMA {
		t.Skip("no AVX2/FMA on this processor: only the portable kernel runs")
	}
	t.Cleanup(func() { hasFMA = true })
	r := rand.New(rand.NewPCG(7, 8))
	for _, c := range gemmCases() {
		a, lda, b, ldb, c0, ldc := c.operands(r)
		var got [2][]float64
		for i, fma := range []bool{true, false} {
			hasFMA = fma
			got[i] = append([]float64(nil), c0...)
			Implementation{}.Dgemm(c.tA, c.tB, c.m, c.n, c.k, c.alpha, a, lda, b, ldb, c.beta, got[i], ldc)
		}
		assert.Equal(t, got[1], got[0], "%+v", c)
	}
}
