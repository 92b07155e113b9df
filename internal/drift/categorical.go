package drift

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/mlpipe/mlpipe/internal/profile"
	"gonum.org/v1/gonum/stat/distuv"
)

// Categorical measures the drift of a string window cur against the
// reference column ref. nulls counts the window's nulls, which are not in
// cur. cur is not modified.
func Categorical(ref *profile.Column, cur []string, nulls int, cfg Config) Result {
	r, ok := categoricalStart(ref, nulls)
	if !ok {
		return r
	}
	r.Count = int64(len(cur))
	if len(cur) == 0 {
		return skip(r, "no values in the window")
	}

	labels, refCounts, hasOther := categoricalBins(ref)
	k := len(labels) - 1
	lookup := categoryLookup(ref.Categories)
	curCounts := make([]int64, k+1)
	st := &CategoricalStats{}
	for _, v := range cur {
		i, ok := lookup(v)
		if !ok {
			i = k
			if !hasOther {
				st.Unseen++
				if u := strings.ToValidUTF8(v, "\uFFFD"); len(st.UnseenValues) < MaxUnseenValues && !slices.Contains(st.UnseenValues, u) {
					st.UnseenValues = append(st.UnseenValues, u)
				}
			}
		}
		curCounts[i]++
	}
	slices.Sort(st.UnseenValues)
	return categoricalCounts(r, labels, refCounts, curCounts, st, cfg)
}

// categoricalStart is a categorical Result for ref before the window is
// counted; false when ref cannot be compared against, with the result
// saying why.
func categoricalStart(ref *profile.Column, nulls int) (Result, bool) {
	r := Result{Kind: "categorical", Test: "chi2", Effect: "max_share_change", PValue: 1, Nulls: int64(nulls)}
	if ref != nil {
		r.Column, r.ReferenceCount = strings.ToValidUTF8(ref.Name, "\uFFFD"), ref.Count
	}
	switch {
	case ref == nil:
		return skip(r, "no reference column"), false
	case ref.Kind != "" && ref.Kind != "string":
		return skip(r, fmt.Sprintf("reference column %q is a %s column; categorical drift needs a string column", ref.Name, ref.Kind)), false
	case len(ref.Categories) == 0 && ref.OtherCount == 0:
		return skip(r, fmt.Sprintf("reference column %q has no categories", ref.Name)), false
	}
	return r, true
}

// CategoricalCounts is Categorical of a window given as its distinct
// values and how often each occurs: the same result as Categorical of
// values[i] repeated counts[i] times, in that order, without the repeats.
func CategoricalCounts(ref *profile.Column, values []string, counts []int64, nulls int, cfg Config) Result {
	r, ok := categoricalStart(ref, nulls)
	if !ok {
		return r
	}
	for _, n := range counts {
		r.Count += n
	}
	if r.Count == 0 {
		return skip(r, "no values in the window")
	}
	labels, refCounts, hasOther := categoricalBins(ref)
	k := len(labels) - 1
	lookup := categoryLookup(ref.Categories)
	curCounts := make([]int64, k+1)
	st := &CategoricalStats{}
	for j, v := range values {
		if counts[j] == 0 {
			continue
		}
		i, ok := lookup(v)
		if !ok {
			i = k
			if !hasOther {
				st.Unseen += counts[j]
				if u := strings.ToValidUTF8(v, "\uFFFD"); len(st.UnseenValues) < MaxUnseenValues && !slices.Contains(st.UnseenValues, u) {
					st.UnseenValues = append(st.UnseenValues, u)
				}
			}
		}
		curCounts[i] += counts[j]
	}
	slices.Sort(st.UnseenValues)
	return categoricalCounts(r, labels, refCounts, curCounts, st, cfg)
}

// categoryLookup returns a function from a value to its category's index.
// A scan beats hashing for the few categories most columns have.
func categoryLookup(cats []profile.Category) func(string) (int, bool) {
	if len(cats) <= 8 {
		return func(v string) (int, bool) {
			for i := range cats {
				if cats[i].Value == v {
					return i, true
				}
			}
			return 0, false
		}
	}
	index := make(map[string]int, len(cats))
	for i, c := range cats {
		index[c.Value] = i
	}
	return func(v string) (int, bool) {
		i, ok := index[v]
		return i, ok
	}
}

// categoricalBins returns the bins of ref: its categories, then "(other)"
// when it has an OtherCount, else "(unseen)" with a reference count of 0.
// Labels are valid UTF-8 (a result crosses Temporal as JSON), invalid
// bytes replaced.
func categoricalBins(ref *profile.Column) (labels []string, counts []int64, hasOther bool) {
	k := len(ref.Categories)
	labels = make([]string, k+1)
	counts = make([]int64, k+1)
	for i, c := range ref.Categories {
		labels[i], counts[i] = strings.ToValidUTF8(c.Value, "\uFFFD"), c.Count
	}
	hasOther = ref.OtherCount > 0
	labels[k] = UnseenLabel
	if hasOther {
		labels[k], counts[k] = OtherLabel, ref.OtherCount
	}
	return labels, counts, hasOther
}

// categoricalCounts measures a window given its counts on the reference's
// bins.
func categoricalCounts(r Result, labels []string, refCounts, curCounts []int64, st *CategoricalStats, cfg Config) Result {
	k := len(labels) - 1
	if refCounts[k] == 0 && curCounts[k] == 0 {
		labels, refCounts, curCounts = labels[:k], refCounts[:k], curCounts[:k]
	}
	st.ChiSquare, st.DF = chiSquare(refCounts, curCounts)
	if st.DF > 0 {
		r.PValue = distuv.ChiSquared{K: float64(st.DF)}.Survival(st.ChiSquare)
	}
	var m, n int64
	for i := range refCounts {
		m += refCounts[i]
		n += curCounts[i]
	}
	js := 0.0
	for i := range refCounts {
		p := float64(refCounts[i]) / float64(m)
		q := float64(curCounts[i]) / float64(n)
		mid := (p + q) / 2
		if p > 0 {
			js += p * math.Log2(p/mid)
		}
		if q > 0 {
			js += q * math.Log2(q/mid)
		}
		if c := math.Abs(q - p); c > st.MaxShareChange {
			st.MaxShareChange, st.MaxShareCategory = c, labels[i]
		}
	}
	st.JensenShannon = math.Sqrt(max(js/2, 0))
	r.Categorical = st
	r.Histogram = &Histogram{Labels: labels, Reference: refCounts, Current: curCounts}
	r.EffectSize = st.MaxShareChange
	return judge(r, cfg.Alpha, cfg.CategoricalFloor, "max share change")
}

// chiSquare is Pearson's statistic of the 2×k table (ref, cur) under
// homogeneity, without continuity correction, and its degrees of freedom;
// categories empty in both rows are left out.
func chiSquare(ref, cur []int64) (stat float64, df int) {
	var m, n int64
	for i := range ref {
		m += ref[i]
		n += cur[i]
	}
	total := float64(m + n)
	cols := 0
	for i := range ref {
		t := float64(ref[i] + cur[i])
		if t == 0 {
			continue
		}
		cols++
		er := float64(m) * t / total
		ec := float64(n) * t / total
		dr := float64(ref[i]) - er
		dc := float64(cur[i]) - ec
		stat += dr*dr/er + dc*dc/ec
	}
	return stat, max(cols-1, 0)
}
