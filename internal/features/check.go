package features

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// checkAlways checks what holds whatever the column's kind: each block's
// own settings. Specs are checked with it before any data is read.
func checkAlways(tf Transforms) []string {
	var errs []string
	bad := func(format string, a ...any) { errs = append(errs, fmt.Sprintf(format, a...)) }
	for _, p := range tf.DateParts {
		if !slices.Contains(DatePartNames, p) {
			bad("date_parts: unknown part %q: use %s", p, strings.Join(DatePartNames, ", "))
		}
	}
	if dup := firstDuplicate(tf.DateParts); dup != "" {
		bad("date_parts: %q is listed twice", dup)
	}
	if c := tf.Clip; c != nil {
		fixed, quant := c.Min != nil || c.Max != nil, c.LowerQuantile != nil || c.UpperQuantile != nil
		switch {
		case fixed && quant:
			bad("clip takes min/max or lower_quantile/upper_quantile, not both")
		case !fixed && !quant:
			bad("clip needs min, max, lower_quantile or upper_quantile")
		case c.Min != nil && c.Max != nil && !(*c.Min <= *c.Max):
			bad("clip: min %g is above max %g; swap them", *c.Min, *c.Max)
		}
		for _, q := range []struct {
			name string
			v    *float64
		}{{"lower_quantile", c.LowerQuantile}, {"upper_quantile", c.UpperQuantile}} {
			if q.v != nil && !(*q.v >= 0 && *q.v <= 1) {
				bad("clip: %s %g must be in [0, 1], e.g. 0.01", q.name, *q.v)
			}
		}
		if c.LowerQuantile != nil && c.UpperQuantile != nil && *c.LowerQuantile >= *c.UpperQuantile {
			bad("clip: lower_quantile %g must be below upper_quantile %g", *c.LowerQuantile, *c.UpperQuantile)
		}
		for _, v := range []*float64{c.Min, c.Max} {
			if v != nil && (math.IsNaN(*v) || math.IsInf(*v, 0)) {
				bad("clip: bounds must be finite numbers")
			}
		}
	}
	if b := tf.Bucketize; b != nil {
		switch {
		case len(b.Boundaries) > 0 && b.Buckets != 0:
			bad("bucketize takes boundaries or buckets, not both")
		case len(b.Boundaries) == 0 && b.Buckets == 0:
			bad("bucketize needs boundaries: [b1, b2, ...] or buckets: N")
		case b.Buckets != 0 && (b.Buckets < 2 || b.Buckets > maxBuckets):
			bad("bucketize: buckets %d must be 2 to %d", b.Buckets, maxBuckets)
		case len(b.Boundaries) > maxBuckets:
			bad("bucketize: %d boundaries, at most %d", len(b.Boundaries), maxBuckets)
		}
		for i, v := range b.Boundaries {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				bad("bucketize: boundaries[%d] must be a finite number", i)
			} else if i > 0 && !(v > b.Boundaries[i-1]) {
				bad("bucketize: boundaries must be strictly increasing, but boundaries[%d] = %g follows %g; sort them and drop duplicates", i, v, b.Boundaries[i-1])
				break
			}
		}
	}
	encodings := 0
	for _, on := range []bool{tf.Ordinal != nil, tf.Hashing != nil, tf.MinFrequency != 0 || tf.MaxCategories != 0} {
		if on {
			encodings++
		}
	}
	if encodings > 1 {
		bad("ordinal, hashing and min_frequency/max_categories (one-hot) are different encodings; keep one")
	}
	if o := tf.Ordinal; o != nil {
		if len(o.Order) == 0 {
			bad("ordinal needs order: [the values, lowest first]")
		}
		if dup := firstDuplicate(o.Order); dup != "" {
			bad("ordinal: %q is listed twice in order", dup)
		}
		switch o.HandleUnknown {
		case "", UnknownError, UnknownEncodedValue:
		default:
			bad("ordinal: unknown handle_unknown %q: use error (refuse a value not in order) or use_encoded_value (encode it as -1)", o.HandleUnknown)
		}
	}
	if h := tf.Hashing; h != nil && (h.NFeatures < 1 || h.NFeatures > MaxHashFeatures) {
		bad("hashing: n_features %d must be 1 to %d, e.g. 32", h.NFeatures, MaxHashFeatures)
	}
	if f := tf.MinFrequency; f != 0 && (!(f > 0) || math.IsInf(f, 0) || (f >= 1 && f != math.Trunc(f))) {
		bad("min_frequency %g must be a count (a whole number ≥ 1) or a fraction of the rows in (0, 1)", f)
	}
	if m := tf.MaxCategories; m != 0 && (m < 2 || m > maxCategories) {
		bad("max_categories %d must be 2 to %d (it counts the other category)", m, maxCategories)
	}
	return errs
}

// OptionProblems lists what is wrong with the feature options whatever the
// data holds: every kind block's options, and each listed column's own
// settings (bucketize boundaries out of order, hashing without outputs, an
// unknown impute). What depends on a column's kind or values is found by
// Validate and Fit once the data is read. Each problem starts with its
// setting's path, as the pipeline spec writes it.
func (s Spec) OptionProblems() []string {
	var out []string
	for _, b := range s.kindBlocks() {
		if b.spec == nil {
			continue
		}
		_, errs := resolveColumn(b.spec.column(""), b.kind)
		for _, e := range errs {
			out = append(out, fmt.Sprintf("features.%s: %s", b.name, e))
		}
	}
	for i, c := range s.Columns {
		errs := checkAlways(c.Transforms)
		for _, o := range []struct {
			name, value string
			known       []string
			allowed     string
		}{
			{"impute", c.Impute, []string{ImputeMean, ImputeMedian, ImputeMostFrequent, ImputeConstant, None},
				"mean, median, most_frequent, constant or none"},
			{"scale", c.Scale, []string{ScaleStandard, ScaleMinMax, None}, "standard, minmax or none"},
			{"encode", c.Encode, []string{EncodeOneHot, EncodeOrdinal, EncodeHashing, EncodeAgeDays, EncodeDateParts, EncodeBucketize, None},
				"onehot, ordinal or hashing (strings), age_days or date_parts (times), none or bucketize (floats)"},
		} {
			if o.value != "" && !slices.Contains(o.known, o.value) {
				errs = append(errs, fmt.Sprintf("unknown %s %q: use %s", o.name, o.value, o.allowed))
			}
		}
		for _, e := range errs {
			out = append(out, fmt.Sprintf("features.columns[%d] (%s): %s", i, c.Column, e))
		}
	}
	return out
}
