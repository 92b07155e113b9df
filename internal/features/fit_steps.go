package features

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
)

// fitSteps fits clip, log1p, bucketize and date parts on a numeric
// column's imputed training values, transforming vals in place so that the
// scaling statistics fitted after it see what the model will see.
func fitSteps(fc *FittedColumn, vals []float64, tf Transforms) error {
	if len(tf.DateParts) > 0 && fc.Encode == EncodeDateParts {
		fc.DateParts = slices.Clone(tf.DateParts)
		fc.Outputs = make([]string, len(tf.DateParts))
		for i, p := range tf.DateParts {
			fc.Outputs[i] = fc.Column + "_" + p
		}
		return nil
	}
	if c := tf.Clip; c != nil {
		var sorted []float64
		if c.LowerQuantile != nil || c.UpperQuantile != nil {
			sorted = slices.Clone(vals)
			slices.Sort(sorted)
		}
		fc.ClipMin, fc.ClipMax = c.Min, c.Max
		if c.LowerQuantile != nil {
			q := quantile(sorted, *c.LowerQuantile)
			fc.ClipMin = &q
		}
		if c.UpperQuantile != nil {
			q := quantile(sorted, *c.UpperQuantile)
			fc.ClipMax = &q
		}
		for i, v := range vals {
			if fc.ClipMin != nil && v < *fc.ClipMin {
				vals[i] = *fc.ClipMin
			}
			if fc.ClipMax != nil && v > *fc.ClipMax {
				vals[i] = *fc.ClipMax
			}
		}
	}
	if tf.Log1p {
		negative, least := 0, 0.0
		for _, v := range vals {
			if v < 0 {
				if negative == 0 || v < least {
					least = v
				}
				negative++
			}
		}
		if negative > 0 {
			return fmt.Errorf("log1p needs values ≥ 0, but %d training values are negative (the smallest is %g); add clip: {min: 0} to this column, or remove log1p", negative, least)
		}
		fc.Log1p = true
		for i, v := range vals {
			vals[i] = math.Log1p(v)
		}
	}
	if b := tf.Bucketize; b != nil {
		if len(b.Boundaries) > 0 {
			fc.Boundaries = slices.Clone(b.Boundaries)
		} else {
			fc.Boundaries = quantileBoundaries(vals, b.Buckets)
		}
	}
	return nil
}

// quantile interpolates linearly between the order statistics of sorted,
// as numpy.quantile does by default.
func quantile(sorted []float64, q float64) float64 {
	pos := q * float64(len(sorted)-1)
	lo := int(math.Floor(pos))
	if lo >= len(sorted)-1 {
		return sorted[len(sorted)-1]
	}
	frac := pos - float64(lo)
	return sorted[lo] + (sorted[lo+1]-sorted[lo])*frac
}

// quantileBoundaries splits vals into n buckets of about equal counts; equal
// quantiles (a column with few distinct values) merge buckets.
func quantileBoundaries(vals []float64, n int) []float64 {
	sorted := slices.Clone(vals)
	slices.Sort(sorted)
	var out []float64
	for i := 1; i < n; i++ {
		q := quantile(sorted, float64(i)/float64(n))
		if len(out) == 0 || q > out[len(out)-1] {
			out = append(out, q)
		}
	}
	return out
}

// fitEncoding learns a string column's encoding from its (imputed) value
// counts over rows training rows.
func fitEncoding(fc *FittedColumn, counts map[string]int, rows int, tf Transforms) error {
	switch fc.Encode {
	case EncodeOrdinal:
		fc.Order = slices.Clone(tf.Ordinal.Order)
		fc.HandleUnknown = tf.Ordinal.HandleUnknown
		var missing []string
		for s := range counts {
			if !slices.Contains(fc.Order, s) {
				missing = append(missing, s)
			}
		}
		if len(missing) > 0 {
			slices.Sort(missing)
			return fmt.Errorf("ordinal: the training data has %d values not in order (%s); add them to ordinal.order where they rank", len(missing), preview(missing))
		}
		fc.Outputs = []string{fc.Column}
		return nil
	case EncodeHashing:
		fc.HashFeatures = tf.Hashing.NFeatures
		fc.Outputs = make([]string, fc.HashFeatures)
		for i := range fc.Outputs {
			fc.Outputs[i] = fmt.Sprintf("%s#%d", fc.Column, i)
		}
		return nil
	}
	keep := frequent(counts, rows, tf.MinFrequency, tf.MaxCategories)
	if len(keep) > maxCategories {
		return fmt.Errorf("%d distinct values in the training split (limit %d): this looks like an identifier; drop it from columns (or exclude it), or cap it with max_categories, or use hashing", len(keep), maxCategories)
	}
	fc.Other = len(keep) < len(counts)
	fc.Categories = keep
	slices.Sort(fc.Categories)
	fc.Outputs = make([]string, len(fc.Categories), len(fc.Categories)+1)
	for i, s := range fc.Categories {
		fc.Outputs[i] = fc.Column + "=" + s
	}
	if fc.Other {
		fc.Outputs = append(fc.Outputs, OtherOutput(fc.Column))
	}
	return nil
}

// frequent keeps the categories that occur at least minFrequency times (a
// fraction of rows when below 1), then, when maxCategories is set, the
// most frequent ones that fit beside the `other` output (ties to the
// smaller value), as scikit-learn's OneHotEncoder does.
func frequent(counts map[string]int, rows int, minFrequency float64, maxCategories int) []string {
	threshold := minFrequency
	if minFrequency > 0 && minFrequency < 1 {
		threshold = minFrequency * float64(rows)
	}
	keep := make([]string, 0, len(counts))
	for s, n := range counts {
		if float64(n) >= threshold {
			keep = append(keep, s)
		}
	}
	if maxCategories > 0 {
		limit := maxCategories
		if len(keep) < len(counts) || len(keep) > maxCategories {
			limit = maxCategories - 1 // one output goes to other
		}
		if len(keep) > limit {
			slices.SortFunc(keep, func(a, b string) int {
				if c := cmp.Compare(counts[b], counts[a]); c != 0 {
					return c
				}
				return strings.Compare(a, b)
			})
			keep = keep[:limit]
		}
	}
	return keep
}
