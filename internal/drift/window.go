package drift

import (
	"cmp"
	"math"
	"slices"

	"github.com/mlpipe/mlpipe/internal/profile"
)

// ProfileNumeric profiles a numeric window the way the reference profile
// is built: count, nulls (NaN and ±Inf count as null here), min, max, mean,
// sample std, profile.QuantileProbs quantiles, decile edges without
// duplicates and their counts. A report can set it beside the reference.
func ProfileNumeric(name string, values []float64, nulls int) profile.Column {
	xs := make([]float64, 0, len(values))
	for _, v := range values {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			nulls++
			continue
		}
		xs = append(xs, v)
	}
	c := profile.Column{Name: name, Kind: "float", Count: int64(len(xs)), Nulls: int64(nulls)}
	if total := len(xs) + nulls; total > 0 {
		c.NullRate = float64(nulls) / float64(total)
	}
	if len(xs) == 0 {
		return c
	}
	sortFloats(xs)
	sum := 0.0
	distinct := int64(0)
	for i, v := range xs {
		sum += v
		if i == 0 || v != xs[i-1] {
			distinct++
		}
	}
	mean := sum / float64(len(xs))
	ss := 0.0
	for _, v := range xs {
		ss += (v - mean) * (v - mean)
	}
	std := 0.0
	if len(xs) > 1 {
		std = math.Sqrt(ss / float64(len(xs)-1))
	}
	lo, hi := xs[0], xs[len(xs)-1]
	c.Distinct, c.Min, c.Max, c.Mean, c.Std = distinct, &lo, &hi, &mean, &std
	c.Quantiles = quantiles(xs, profile.QuantileProbs)
	step := (profile.QuantileProbs - 1) / profile.Bins
	for i := 0; i < profile.QuantileProbs; i += step {
		e := c.Quantiles[i]
		if len(c.Edges) == 0 || e != c.Edges[len(c.Edges)-1] {
			c.Edges = append(c.Edges, e)
		}
	}
	bins := max(len(c.Edges)-1, 1)
	c.Counts = binCounts(c.Edges, bins, xs)
	return c
}

// ProfileCategorical profiles a string window the way the reference
// profile is built: counts, the profile.TopCategories most frequent values
// (ties by value) and the rest in OtherCount.
func ProfileCategorical(name string, values []string, nulls int) profile.Column {
	c := profile.Column{Name: name, Kind: "string", Count: int64(len(values)), Nulls: int64(nulls)}
	if total := len(values) + nulls; total > 0 {
		c.NullRate = float64(nulls) / float64(total)
	}
	counts := map[string]int64{}
	for _, v := range values {
		counts[v]++
	}
	c.Distinct = int64(len(counts))
	cats := make([]profile.Category, 0, len(counts))
	for v, n := range counts {
		cats = append(cats, profile.Category{Value: v, Count: n})
	}
	slices.SortFunc(cats, func(a, b profile.Category) int {
		if a.Count != b.Count {
			return cmp.Compare(b.Count, a.Count)
		}
		return cmp.Compare(a.Value, b.Value)
	})
	if len(cats) > profile.TopCategories {
		for _, x := range cats[profile.TopCategories:] {
			c.OtherCount += x.Count
		}
		cats = cats[:profile.TopCategories]
	}
	c.Categories = cats
	return c
}
