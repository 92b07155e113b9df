package features

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"
)

// sortMedian is how the median was taken before selection: the reference
// whose bits medianOf must give.
func sortMedian(vals []float64) float64 {
	s := append([]float64(nil), vals...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// The median by selection has the bits of the median by sorting, on
// columns of every shape: few or many distinct values, sorted, reversed,
// constant, with signed zeros, infinities and NaN, odd and even lengths.
func TestMedianMatchesASort(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	gens := map[string]func(i int) float64{
		"uniform":     func(int) float64 { return r.Float64()*200 - 100 },
		"few values":  func(int) float64 { return float64(r.IntN(5)) },
		"integers":    func(int) float64 { return float64(r.IntN(90)) },
		"sorted":      func(i int) float64 { return float64(i) * 0.5 },
		"reversed":    func(i int) float64 { return -float64(i) },
		"constant":    func(int) float64 { return 3.25 },
		"signed zero": func(int) float64 { return []float64{0, math.Copysign(0, -1), 1, -1}[r.IntN(4)] },
		"zeros":       func(int) float64 { return []float64{0, math.Copysign(0, -1)}[r.IntN(2)] },
		"only -0":     func(int) float64 { return math.Copysign(0, -1) },
		"infinities":  func(int) float64 { return []float64{math.Inf(1), math.Inf(-1), 2}[r.IntN(3)] },
		"nan":         func(int) float64 { return []float64{math.NaN(), 1, 2, 3}[r.IntN(4)] },
		"skewed":      func(int) float64 { return math.Exp(r.NormFloat64() * 3) },
		"organ pipe": func(i int) float64 {
			return float64(min(i%1000, 1000-i%1000))
		},
	}
	for name, gen := range gens {
		for _, n := range []int{1, 2, 3, 4, 5, 10, 11, 100, 101, 1000, 4097, 100_000, 100_001} {
			vals := make([]float64, n)
			for i := range vals {
				vals[i] = gen(i)
			}
			orig := append([]float64(nil), vals...)
			want, got := sortMedian(vals), medianOf(vals)
			require.Equal(t, math.Float64bits(want), math.Float64bits(got), "%s, %d values: %v vs %v", name, n, want, got)
			for i := range vals {
				require.Equal(t, math.Float64bits(orig[i]), math.Float64bits(vals[i]), "%s: the input is left as it was", name)
			}
		}
	}
}

// Selection leaves every value before k no larger and every value after
// it no smaller.
func TestSelectKthPartitions(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{1, 2, 7, 64, 1000, 33_333} {
		for _, k := range []int{0, n / 3, n / 2, n - 1} {
			s := make([]float64, n)
			for i := range s {
				s[i] = float64(r.IntN(n/3 + 1))
			}
			want := append([]float64(nil), s...)
			sort.Float64s(want)
			got := selectKth(s, k)
			require.Equal(t, want[k], got)
			for i := range s {
				if i < k {
					require.LessOrEqual(t, s[i], got)
				} else if i > k {
					require.GreaterOrEqual(t, s[i], got)
				}
			}
		}
	}
}
