package features

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"strconv"
	"sync"

	"github.com/mlpipe/mlpipe/internal/frame"
)

// Fit learns every parameter from train, which must hold the training rows
// only: imputation values, scaling statistics, time references and one-hot
// categories. Statistics are computed after imputation, as a scikit-learn
// Pipeline of SimpleImputer then StandardScaler would.
func Fit(train *frame.Frame, s Spec) (*Transform, error) {
	cols, labels, err := s.resolve(train)
	if err != nil {
		return nil, err
	}
	if train.NumRows() == 0 {
		return nil, fmt.Errorf("features: fit: the training split has no rows")
	}
	tc, _ := train.Col(s.Target)
	t := &Transform{
		Version:    TransformVersionBasic,
		Target:     s.Target,
		TargetKind: tc.Kind,
		Classes:    labels.classes,
	}
	if labels.classes == nil {
		t.Positive, t.Labels = labels.binary[1], labels.binary
	}
	// Columns are fitted independently, so they are fitted in parallel;
	// results and errors are then taken in column order, as one by one.
	fitted := make([]FittedColumn, len(cols))
	errs := make([]error, len(cols))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(cols)) {
		wg.Go(func() {
			var scratch fitScratch
			for i := range next {
				r := cols[i]
				c, _ := train.Col(r.Column)
				fc := FittedColumn{Column: r.Column, Kind: r.kind, Impute: r.Impute, Scale: r.Scale, Encode: r.Encode}
				if fc.numeric() {
					errs[i] = fitNumeric(&fc, c, r.Fill, r.Transforms, &scratch)
				} else {
					errs[i] = fitCategorical(&fc, c, r.Fill, r.Transforms)
				}
				fitted[i] = fc
			}
		})
	}
	for i := range cols {
		next <- i
	}
	close(next)
	wg.Wait()
	for i, r := range cols {
		if r.Transforms.usesNew() {
			t.Version = TransformVersion
		}
		if errs[i] != nil {
			return nil, fmt.Errorf("features: fit column %q: %w", r.Column, errs[i])
		}
		t.Columns = append(t.Columns, fitted[i])
		t.Outputs = append(t.Outputs, fitted[i].Outputs...)
	}
	return t, nil
}

// fitScratch is memory fitNumeric reuses from one column to the next: a
// column's values and a copy to select the median in. Fresh memory for
// each was a good part of the fit's time, in page faults.
type fitScratch struct {
	vals, sorted []float64
}

// fitNumeric fits a number or time column.
func fitNumeric(fc *FittedColumn, c *frame.Column, fill string, tf Transforms, scratch *fitScratch) error {
	vals := slices.Grow(scratch.vals[:0], c.Len())
	defer func() { scratch.vals = vals[:0] }()
	nulls := 0
	if fc.Kind == frame.Time {
		fc.Outputs = []string{fc.Column + "_age_days"}
		found := false
		for i, ts := range c.Times {
			if !c.Null[i] && (!found || ts.After(fc.Reference)) {
				fc.Reference, found = ts, true
			}
		}
		if !found {
			return fmt.Errorf("no non-null timestamps in the training split")
		}
		fc.Reference = fc.Reference.UTC()
		for i, ts := range c.Times {
			if c.Null[i] {
				nulls++
			} else {
				vals = append(vals, fc.ageDays(ts))
			}
		}
	} else {
		fc.Outputs = []string{fc.Column}
		for i, v := range c.Floats {
			if c.Null[i] || math.IsNaN(v) {
				nulls++
			} else {
				vals = append(vals, v)
			}
		}
	}
	if len(vals) == 0 {
		return fmt.Errorf("no non-null values in the training split")
	}

	switch fc.Impute {
	case ImputeMean:
		fc.FillValue = meanOf(vals)
	case ImputeMedian:
		fc.FillValue = medianInto(vals, &scratch.sorted)
	case ImputeMostFrequent:
		fc.FillValue = modeOfFloats(vals)
	case ImputeConstant:
		v, err := strconv.ParseFloat(fill, 64)
		if err != nil {
			return fmt.Errorf("impute constant: fill %q is not a number", fill)
		}
		fc.FillValue = v
	}
	// Scale statistics see the imputed column, as the model will.
	if fc.Impute != None {
		for ; nulls > 0; nulls-- {
			vals = append(vals, fc.FillValue)
		}
	}
	if err := fitSteps(fc, vals, tf); err != nil {
		return err
	}

	fc.Offset, fc.Divisor = 0, 1
	switch fc.Scale {
	case ScaleStandard:
		m := meanOf(vals)
		ss := 0.0
		for _, v := range vals {
			ss += (v - m) * (v - m)
		}
		fc.Offset = m
		if sd := math.Sqrt(ss / float64(len(vals))); sd > 0 {
			fc.Divisor = sd
		}
	case ScaleMinMax:
		lo, hi := vals[0], vals[0]
		for _, v := range vals {
			lo, hi = min(lo, v), max(hi, v)
		}
		fc.Offset = lo
		if hi > lo {
			fc.Divisor = hi - lo
		}
	}
	// Finite values near float64's limits can still overflow a sum or a
	// range; the transform would then not even serialise.
	for _, v := range []float64{fc.FillValue, fc.Offset, fc.Divisor} {
		if math.IsInf(v, 0) || math.IsNaN(v) {
			return fmt.Errorf("values too large to impute or scale (a statistic overflows float64): rescale the column (e.g. to thousands) or set impute and scale to none")
		}
	}
	return nil
}

func fitCategorical(fc *FittedColumn, c *frame.Column, fill string, tf Transforms) error {
	counts := map[string]int{}
	nulls := 0
	for i, s := range c.Strings {
		if c.Null[i] {
			nulls++
		} else {
			counts[s]++
		}
	}
	switch fc.Impute {
	case ImputeMostFrequent:
		if len(counts) == 0 {
			return fmt.Errorf("impute most_frequent: no non-null values in the training split")
		}
		best := ""
		for s, n := range counts {
			// Ties go to the smallest value, as in scikit-learn.
			if n > counts[best] || (n == counts[best] && s < best) {
				best = s
			}
		}
		fc.FillCategory = best
	case ImputeConstant:
		fc.FillCategory = fill
	}
	// Categories are learned after imputation, so a constant fill such as
	// "missing" becomes its own category when training had nulls.
	if fc.Impute != None && nulls > 0 {
		counts[fc.FillCategory] += nulls
	}
	return fitEncoding(fc, counts, c.Len(), tf)
}

func meanOf(vals []float64) float64 {
	sum := 0.0
	for _, v := range vals {
		sum += v
	}
	return sum / float64(len(vals))
}

func modeOfFloats(vals []float64) float64 {
	counts := map[float64]int{}
	for _, v := range vals {
		counts[v]++
	}
	best, bestN := math.Inf(1), 0
	for v, n := range counts {
		if n > bestN || (n == bestN && v < best) {
			best, bestN = v, n
		}
	}
	return best
}
