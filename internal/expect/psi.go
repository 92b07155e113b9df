package expect

import (
	"fmt"

	"github.com/mlpipe/mlpipe/internal/drift"
	"github.com/mlpipe/mlpipe/internal/profile"
)

// compilePSI counts the column's values in the reference profile's bins:
// its decile bins (Edges/Counts) for a numeric column, values below the
// first edge counted in the first bin and above the last in the last; its
// top categories and "other" for a string column.
func (r *runner) compilePSI(p *plan) {
	if r.env.Reference == nil {
		return
	}
	ref, ok := r.env.Reference.Col(p.e.Column)
	if !ok {
		return
	}
	c := ident(p.e.Column)
	base := and(p.filter, c+" IS NOT NULL")
	switch {
	case len(ref.Edges) >= 2 && len(ref.Counts) == len(ref.Edges)-1:
		k := len(ref.Counts)
		for i := 0; i < k; i++ {
			var cond []string
			if i > 0 {
				cond = append(cond, c+" >= "+num(ref.Edges[i]))
			}
			if i < k-1 {
				cond = append(cond, c+" < "+num(ref.Edges[i+1]))
			}
			p.at[fmt.Sprintf("bin%d", i)] = r.agg(count(and(append([]string{base}, cond...)...)))
		}
	case len(ref.Categories) > 0:
		for i, cat := range ref.Categories {
			p.at[fmt.Sprintf("bin%d", i)] = r.agg(count(and(base, "CAST("+c+" AS VARCHAR) = "+lit(cat.Value))))
		}
	}
	p.at["nonnull"] = r.agg(count(base))
}

func (p *plan) finishPSI(res Result, vals []any) Result {
	e := p.e
	threshold := DefaultPSIThreshold
	if e.Threshold != nil {
		threshold = *e.Threshold
	}
	skip := func(why string) Result {
		res.Success, res.Skipped, res.Message = true, why, "skipped: "+why
		return res
	}
	if p.r.env.Reference == nil {
		return skip("no reference profile yet")
	}
	ref, ok := p.r.env.Reference.Col(e.Column)
	if !ok {
		return skip(fmt.Sprintf("column %q is not in the reference profile", e.Column))
	}
	refCounts := refBinCounts(ref)
	nonnull := asInt(vals[p.at["nonnull"]])
	if len(refCounts) == 0 {
		return skip(fmt.Sprintf("the reference profile has no bins for column %q", e.Column))
	}
	if nonnull == 0 {
		res.Message = "no non-null values"
		return res
	}
	bins := len(refCounts)
	categorical := len(ref.Categories) > 0 && len(ref.Edges) < 2
	if categorical {
		bins-- // the last bin is "other", counted as the rest
	}
	cur := make([]int64, 0, len(refCounts))
	var inBins int64
	for i := range bins {
		n := asInt(vals[p.at[fmt.Sprintf("bin%d", i)]])
		inBins += n
		cur = append(cur, n)
	}
	if categorical {
		cur = append(cur, nonnull-inBins)
	}
	psi := drift.PSI(refCounts, cur, drift.DefaultConfig().PSIEpsilon)
	res.Result.ObservedValue = jsonFloat(psi)
	res.Success = psi < threshold
	op := "<"
	if !res.Success {
		op = ">="
	}
	res.Message = fmt.Sprintf("PSI %.4f %s %g over %d bins of the reference profile", psi, op, threshold, len(refCounts))
	return res
}

// refBinCounts are the reference's counts per bin: its decile bins, or
// its categories followed by "other".
func refBinCounts(ref *profile.Column) []int64 {
	switch {
	case len(ref.Edges) >= 2 && len(ref.Counts) == len(ref.Edges)-1:
		return ref.Counts
	case len(ref.Categories) > 0:
		counts := make([]int64, 0, len(ref.Categories)+1)
		for _, c := range ref.Categories {
			counts = append(counts, c.Count)
		}
		return append(counts, ref.OtherCount)
	}
	return nil
}
