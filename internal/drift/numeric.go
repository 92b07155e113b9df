package drift

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/mlpipe/mlpipe/internal/profile"
)

// Numeric measures the drift of a numeric window cur against the reference
// column ref. nulls counts the window's nulls that are not in cur; NaN in
// cur also counts as null and ±Inf is left out. cur is not modified. The
// work is one copy and one sort of cur, then linear passes.
func Numeric(ref *profile.Column, cur []float64, nulls int, cfg Config) Result {
	r := Result{Kind: "numeric", Test: "ks", Effect: "wasserstein_norm", PValue: 1, Nulls: int64(nulls)}
	if ref != nil {
		r.Column, r.ReferenceCount = strings.ToValidUTF8(ref.Name, "\uFFFD"), ref.Count
	}
	if why := numericRefProblem(ref); why != "" {
		return skip(r, why)
	}
	xs := make([]float64, 0, len(cur))
	sorted := true
	for _, v := range cur {
		switch {
		case math.IsNaN(v):
			r.Nulls++
		case math.IsInf(v, 0):
			r.NonFinite++
		default:
			if len(xs) > 0 && v < xs[len(xs)-1] {
				sorted = false
			}
			xs = append(xs, v)
		}
	}
	r.Count = int64(len(xs))
	if len(xs) == 0 {
		return skip(r, "no values in the window")
	}
	if !sorted {
		sortFloats(xs)
	}

	q := ref.Quantiles
	// Copies, so that a result never aliases the reference profile.
	hist := &Histogram{Edges: slices.Clone(ref.Edges), Reference: slices.Clone(ref.Counts), Current: binCounts(ref.Edges, len(ref.Counts), xs)}
	d := ksStatistic(q, xs)
	w := wasserstein(q, xs)
	scale := 1.0
	if ref.Std != nil && *ref.Std > 0 {
		scale = *ref.Std
	}
	neff := effectiveN(len(xs), ref.Count)
	st := &NumericStats{
		PSI:              psi(hist.Reference, hist.Current, cfg.PSIEpsilon),
		KS:               d,
		Wasserstein:      w,
		WassersteinNorm:  w / scale,
		WassersteinNoise: wassersteinNoise(q, neff),
		CurrentQuantiles: quantiles(xs, profile.QuantileProbs),
	}
	st.PSILevel = cfg.psiLevel(st.PSI)
	r.Numeric, r.Histogram = st, hist
	r.PValue = kolmogorovSF(math.Sqrt(neff) * d)
	r.EffectSize = max(0, w-st.WassersteinNoise) / scale
	return judge(r, cfg.Alpha, cfg.NumericFloor, "W1/std less sampling noise")
}

// numericRefProblem says why ref cannot serve as a numeric reference.
func numericRefProblem(ref *profile.Column) string {
	switch {
	case ref == nil:
		return "no reference column"
	case ref.Kind == "string":
		return fmt.Sprintf("reference column %q is a string column; numeric drift needs a float or time column", ref.Name)
	case ref.Count <= 0:
		return fmt.Sprintf("reference column %q has no values", ref.Name)
	case len(ref.Quantiles) != profile.QuantileProbs:
		return fmt.Sprintf("reference column %q has %d quantiles; numeric drift needs %d", ref.Name, len(ref.Quantiles), profile.QuantileProbs)
	case len(ref.Counts) == 0 || (len(ref.Edges) != len(ref.Counts)+1 && !(len(ref.Edges) == 1 && len(ref.Counts) == 1)):
		return fmt.Sprintf("reference column %q has %d histogram edges for %d bins; it needs one more edge than bins", ref.Name, len(ref.Edges), len(ref.Counts))
	}
	for i, v := range ref.Quantiles {
		if math.IsNaN(v) || math.IsInf(v, 0) || (i > 0 && v < ref.Quantiles[i-1]) {
			return fmt.Sprintf("reference column %q has quantile %d = %v; quantiles must be finite and non-decreasing", ref.Name, i, v)
		}
	}
	return ""
}

// skip fills a result that measured nothing.
func skip(r Result, why string) Result {
	r.Skipped = why
	r.Reason = "not measured: " + why
	return r
}

// judge applies the verdict: significant and above the floor.
func judge(r Result, alpha, floor float64, effect string) Result {
	sig := r.PValue < alpha
	big := r.EffectSize >= floor
	r.Drifted = sig && big
	cmp := func(b bool, yes, no string) string {
		if b {
			return yes
		}
		return no
	}
	r.Reason = fmt.Sprintf("%s p = %.3g %s %g and %s %.3g %s %g",
		r.Test, r.PValue, cmp(sig, "<", "≥"), alpha, effect, r.EffectSize, cmp(big, "≥", "<"), floor)
	return r
}

// effectiveN is the two-sample effective size n·m/(n+m).
func effectiveN(n int, m int64) float64 {
	a, b := float64(n), float64(m)
	return a * b / (a + b)
}

// binCounts counts sorted xs in the bins of edges: bin i is the number of
// interior edges Edges[1..bins-1] at or below the value, which puts values
// outside the range in the outer bins and closes the last bin.
func binCounts(edges []float64, bins int, xs []float64) []int64 {
	out := make([]int64, bins)
	b := 0
	for _, v := range xs {
		for b < bins-1 && edges[b+1] <= v {
			b++
		}
		out[b]++
	}
	return out
}

// PSI is the population stability index of cur against ref, counts on the
// same bins, with eps standing in for an empty bin's share (Config's
// PSIEpsilon). Validation's expect_column_psi_to_be_less_than uses it too.
func PSI(ref, cur []int64, eps float64) float64 { return psi(ref, cur, eps) }

// psi is PSI.
func psi(ref, cur []int64, eps float64) float64 {
	var nr, nc int64
	for i := range ref {
		nr += ref[i]
		nc += cur[i]
	}
	if nr == 0 || nc == 0 {
		return 0
	}
	s := 0.0
	for i := range ref {
		p := max(float64(ref[i])/float64(nr), 0)
		q := float64(cur[i]) / float64(nc)
		if p == 0 {
			p = eps
		}
		if q == 0 {
			q = eps
		}
		s += (q - p) * math.Log(q/p)
	}
	return s
}

// quantiles returns k quantiles of sorted xs at 0, 1/(k-1), ..., 1,
// interpolating linearly between order statistics (numpy's default).
func quantiles(xs []float64, k int) []float64 {
	out := make([]float64, k)
	n := len(xs)
	for j := range out {
		h := float64(n-1) * float64(j) / float64(k-1)
		lo := int(h)
		if lo >= n-1 {
			out[j] = xs[n-1]
			continue
		}
		// numpy's lerp: from the nearer end, so the result is monotone.
		t, diff := h-float64(lo), xs[lo+1]-xs[lo]
		if t >= 0.5 {
			out[j] = xs[lo+1] - diff*(1-t)
		} else {
			out[j] = xs[lo] + diff*t
		}
	}
	return out
}
