package drift

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mlpipe/mlpipe/internal/profile"
)

// BenchmarkWindow measures one window of 1,000,000 rows × 12 features
// (eight numeric, four categorical) through every statistic, from
// unsorted values as a log delivers them. b.N windows; rows/s is reported.
func BenchmarkWindow(b *testing.B) {
	const rows, numeric, categorical = 1_000_000, 8, 4
	rng := rand.New(rand.NewPCG(7, 7))
	cfg := DefaultConfig()
	refs := make([]profile.Column, numeric+categorical)
	nums := make([][]float64, numeric)
	cats := make([][]string, categorical)
	values := []string{"basic", "standard", "premium", "enterprise", "trial"}
	for f := range numeric {
		ref := make([]float64, 50_000)
		for i := range ref {
			ref[i] = rng.NormFloat64()*float64(f+1) + float64(f)
		}
		refs[f] = ProfileNumeric(fmt.Sprint("x", f), ref, 0)
		nums[f] = make([]float64, rows)
		for i := range nums[f] {
			v := rng.NormFloat64()*float64(f+1) + float64(f) + 0.1
			if f%4 == 3 {
				v = math.Round(v) // a discrete feature
			}
			nums[f][i] = v
		}
	}
	for c := range categorical {
		ref := make([]string, 50_000)
		for i := range ref {
			ref[i] = values[min(rng.IntN(5), rng.IntN(5))]
		}
		refs[numeric+c] = ProfileCategorical(fmt.Sprint("c", c), ref, 0)
		cats[c] = make([]string, rows)
		for i := range cats[c] {
			cats[c][i] = values[min(rng.IntN(5), rng.IntN(5))]
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		results := make([]Result, 0, numeric+categorical)
		for f := range numeric {
			results = append(results, Numeric(&refs[f], nums[f], 0, cfg))
		}
		for c := range categorical {
			results = append(results, Categorical(&refs[numeric+c], cats[c], 0, cfg))
		}
		if Dataset(results, cfg).Features != numeric+categorical {
			b.Fatal("a feature was skipped")
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkCleanWindowSim is one window of TestFalseAlarmRate at n =
// 1,000,000, to keep that test's run time in view.
func BenchmarkCleanWindowSim(b *testing.B) {
	s := dsNewSim(1)
	for range b.N {
		s.measure(1_000_000, dsShift{})
	}
}
