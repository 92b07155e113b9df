package simdblas

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

type gemmCase struct {
	tA, tB      blas.Transpose
	m, n, k     int
	alpha, beta float64
	pad         int // extra columns in every leading dimension
}

func randSlice(r *rand.Rand, n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = r.NormFloat64()
	}
	return s
}

// operands returns A, B and C for c, with leading dimensions padded.
func (c gemmCase) operands(r *rand.Rand) (a []float64, lda int, b []float64, ldb int, cm []float64, ldc int) {
	rowsA, colsA := c.m, c.k
	if c.tA == blas.Trans {
		rowsA, colsA = c.k, c.m
	}
	rowsB, colsB := c.k, c.n
	if c.tB == blas.Trans {
		rowsB, colsB = c.n, c.k
	}
	lda, ldb, ldc = max(1, colsA)+c.pad, max(1, colsB)+c.pad, max(1, c.n)+c.pad
	return randSlice(r, rowsA*lda), lda, randSlice(r, rowsB*ldb), ldb, randSlice(r, c.m*ldc), ldc
}

// The shapes training uses (batch 256, 20 features, 32 hidden, 1 output,
// forward and back-propagation products), edges on every side, a depth
// beyond one panel, strided operands and every transpose.
func gemmCases() []gemmCase {
	var cs []gemmCase
	trans := []blas.Transpose{blas.NoTrans, blas.Trans}
	shapes := [][3]int{{256, 32, 20}, {20, 32, 256}, {256, 20, 32}, {256, 1, 32}, {32, 1, 256}, {256, 32, 1},
		{1, 1, 1}, {3, 7, 5}, {5, 9, 2}, {4, 8, 0}, {7, 17, 300}, {64, 64, 600}, {13, 40, 257}}
	for _, tA := range trans {
		for _, tB := range trans {
			for i, s := range shapes {
				cs = append(cs, gemmCase{tA: tA, tB: tB, m: s[0], n: s[1], k: s[2], alpha: 1, beta: 0, pad: i % 3})
				cs = append(cs, gemmCase{tA: tA, tB: tB, m: s[0], n: s[1], k: s[2], alpha: -0.7, beta: 1.5, pad: 1})
				cs = append(cs, gemmCase{tA: tA, tB: tB, m: s[0], n: s[1], k: s[2], alpha: 2, beta: 1})
			}
		}
	}
	return cs
}

func TestDgemmMatchesGonum(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, c := range gemmCases() {
		a, lda, b, ldb, want, ldc := c.operands(r)
		got := append([]float64(nil), want...)
		gonum.Implementation{}.Dgemm(c.tA, c.tB, c.m, c.n, c.k, c.alpha, a, lda, b, ldb, c.beta, want, ldc)
		Implementation{}.Dgemm(c.tA, c.tB, c.m, c.n, c.k, c.alpha, a, lda, b, ldb, c.beta, got, ldc)
		for i := range want {
			// Sums of k products of unit normals: the two differ only in
			// rounding (fused multiply-adds, order within a panel).
			tol := 1e-12 * (1 + math.Sqrt(float64(c.k))) * (1 + math.Abs(want[i]))
			if !assert.InDelta(t, want[i], got[i], tol, "%+v element %d", c, i) {
				break
			}
		}
	}
}

// The assembly and the portable kernel give the same bits, so a model does
// not depend on which processor trained it.
func TestKernelsAgreeBitForBit(t *testing.T) {
	if !hasFMA {
		t.Skip("no AVX2/FMA on this processor: only the portable kernel runs")
	}
	r := rand.New(rand.NewPCG(3, 4))
	for _, kb := range []int{0, 1, 2, 7, 20, 256} {
		ap, b := randSlice(r, kb*mr), randSlice(r, max(1, kb)*11)
		c1 := randSlice(r, mr*13)
		c2 := append([]float64(nil), c1...)
		kernel(kb, ap, b, 11, c1, 13)
		kernelGo(kb, ap, b, 11, c2, 13)
		assert.Equal(t, c2, c1, "depth %d", kb)
	}
}

func TestDgemmBetaZeroOverwritesNaN(t *testing.T) {
	a, b := []float64{1, 2}, []float64{3, 4}
	c := []float64{math.NaN()}
	Implementation{}.Dgemm(blas.NoTrans, blas.NoTrans, 1, 1, 2, 1, a, 2, b, 1, 0, c, 1)
	assert.Equal(t, []float64{11}, c)
}

func TestDgemmPanicsOnShortSlices(t *testing.T) {
	a, b, c := make([]float64, 8*4), make([]float64, 4*8), make([]float64, 8*8)
	require.NotPanics(t, func() { Implementation{}.Dgemm(blas.NoTrans, blas.NoTrans, 8, 8, 4, 1, a, 4, b, 8, 0, c, 8) })
	assert.PanicsWithValue(t, "simdblas: slice too short", func() {
		Implementation{}.Dgemm(blas.NoTrans, blas.NoTrans, 8, 8, 4, 1, a[:31], 4, b, 8, 0, c, 8)
	})
	assert.PanicsWithValue(t, "simdblas: slice too short", func() {
		Implementation{}.Dgemm(blas.NoTrans, blas.NoTrans, 8, 8, 4, 1, a, 4, b, 8, 0, c[:63], 8)
	})
	assert.PanicsWithValue(t, "simdblas: bad leading dimension", func() {
		Implementation{}.Dgemm(blas.NoTrans, blas.NoTrans, 8, 8, 4, 1, a, 3, b, 8, 0, c, 8)
	})
}

// BenchmarkDgemm compares the products of one training step of the
// issue's MLP (batch 256, 20 features, 32 hidden units) with gonum's.
func BenchmarkDgemm(b *testing.B) {
	r := rand.New(rand.NewPCG(5, 6))
	cases := []struct {
		name string
		c    gemmCase
	}{
		{"forward_256x20x32", gemmCase{tA: blas.NoTrans, tB: blas.NoTrans, m: 256, n: 32, k: 20, alpha: 1}},
		{"weightgrad_20x256x32", gemmCase{tA: blas.Trans, tB: blas.NoTrans, m: 20, n: 32, k: 256, alpha: 1}},
		{"inputgrad_256x32x32", gemmCase{tA: blas.NoTrans, tB: blas.Trans, m: 256, n: 32, k: 32, alpha: 1}},
	}
	impls := []struct {
		name string
		impl blas.Float64
	}{{"gonum", gonum.Implementation{}}, {"simdblas", Implementation{}}}
	for _, tc := range cases {
		a, lda, bb, ldb, c, ldc := tc.c.operands(r)
		for _, im := range impls {
			b.Run(tc.name+"/"+im.name, func(b *testing.B) {
				b.SetBytes(int64(8 * tc.c.m * tc.c.n * tc.c.k)) // reads as MACs·8: MB/s ÷ 8 = MMAC/s
				for b.Loop() {
					im.impl.Dgemm(tc.c.tA, tc.c.tB, tc.c.m, tc.c.n, tc.c.k, 1, a, lda, bb, ldb, 0, c, ldc)
				}
			})
		}
	}
}
