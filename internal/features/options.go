package features

import (
	"fmt"
	"strconv"

	"github.com/mlpipe/mlpipe/internal/frame"
)

// Transforms are the per-column steps beyond imputation, scaling and
// one-hot encoding. A numeric value goes through impute, clip, log1p, then
// bucketize or scale, in that order.
type Transforms struct {
	// Log1p replaces v by ln(1+v). Training values must be ≥ 0; a value
	// ≤ -1 at serving time is refused.
	Log1p bool `yaml:"log1p,omitempty" json:"log1p,omitempty"`
	// Clip bounds a numeric value, by fixed bounds or by quantiles of the
	// training values.
	Clip *Clip `yaml:"clip,omitempty" json:"clip,omitempty"`
	// Bucketize replaces a numeric value by its bucket's index.
	Bucketize *Bucketize `yaml:"bucketize,omitempty" json:"bucketize,omitempty"`
	// Ordinal encodes a string column as its value's position in Order.
	Ordinal *Ordinal `yaml:"ordinal,omitempty" json:"ordinal,omitempty"`
	// DateParts encodes a time column as the named calendar parts (UTC).
	DateParts []string `yaml:"date_parts,omitempty" json:"date_parts,omitempty"`
	// Hashing encodes a string column into a fixed number of outputs.
	Hashing *Hashing `yaml:"hashing,omitempty" json:"hashing,omitempty"`
	// MinFrequency puts one-hot categories seen less often than this in
	// training into one `other` output: a count (≥ 1) or a fraction of the
	// training rows (below 1), as scikit-learn's OneHotEncoder reads it.
	MinFrequency float64 `yaml:"min_frequency,omitempty" json:"min_frequency,omitempty"`
	// MaxCategories caps the one-hot outputs, the `other` one included; the
	// most frequent categories keep their own.
	MaxCategories int `yaml:"max_categories,omitempty" json:"max_categories,omitempty"`
}

// Clip is either fixed bounds (Min, Max) or training quantiles
// (LowerQuantile, UpperQuantile, each in [0, 1]); one bound may be left out.
type Clip struct {
	Min           *float64 `yaml:"min,omitempty" json:"min,omitempty"`
	Max           *float64 `yaml:"max,omitempty" json:"max,omitempty"`
	LowerQuantile *float64 `yaml:"lower_quantile,omitempty" json:"lower_quantile,omitempty"`
	UpperQuantile *float64 `yaml:"upper_quantile,omitempty" json:"upper_quantile,omitempty"`
}

// Bucketize gives either the boundaries (strictly increasing; bucket i is
// [b[i-1], b[i])) or a number of buckets whose boundaries are training
// quantiles.
type Bucketize struct {
	Boundaries []float64 `yaml:"boundaries,omitempty" json:"boundaries,omitempty"`
	Buckets    int       `yaml:"buckets,omitempty" json:"buckets,omitempty"`
}

// Ordinal lists the values in order. HandleUnknown says what a value not
// in Order becomes at apply time: error (the default) or
// use_encoded_value, which encodes it as -1. A training value not in
// Order is always refused.
type Ordinal struct {
	Order         []string `yaml:"order" json:"order"`
	HandleUnknown string   `yaml:"handle_unknown,omitempty" json:"handle_unknown,omitempty"`
}

// Hashing hashes each value (FNV-1a, 64 bits, of its UTF-8 bytes) into one
// of NFeatures outputs.
type Hashing struct {
	NFeatures int `yaml:"n_features" json:"n_features"`
}

// The accepted option values and limits of the transforms.
const (
	UnknownError        = "error"
	UnknownEncodedValue = "use_encoded_value"
	// MaxHashFeatures is scikit-learn's FeatureHasher default, 2^20.
	MaxHashFeatures = 1 << 20
	// maxBuckets bounds bucketize's outputs' range; more is a typo.
	maxBuckets = 1000
)

// DatePartNames are the parts date_parts accepts, in no required order.
var DatePartNames = []string{"year", "month", "day", "dayofweek", "hour"}

// usesNew reports whether a column needs the version 2 transform format.
func (t Transforms) usesNew() bool {
	return t.Log1p || t.Clip != nil || t.Bucketize != nil || t.Ordinal != nil || len(t.DateParts) > 0 ||
		t.Hashing != nil || t.MinFrequency != 0 || t.MaxCategories != 0
}

// resolveColumn fills a column's defaults by its kind and lists every
// option that does not apply, each saying what to write instead.
func resolveColumn(cs ColumnSpec, kind frame.Kind) (resolved, []string) {
	r := resolved{ColumnSpec: cs, kind: kind}
	var errs []string
	bad := func(format string, a ...any) { errs = append(errs, fmt.Sprintf(format, a...)) }
	tf := cs.Transforms
	switch kind {
	case frame.Float, frame.Time:
		if r.Impute == "" {
			r.Impute = ImputeMean
		}
		implied, other := None, EncodeBucketize
		if kind == frame.Time {
			implied, other = EncodeAgeDays, EncodeDateParts
		}
		switch {
		case tf.Bucketize != nil && kind == frame.Float:
			implied = EncodeBucketize
		case len(tf.DateParts) > 0 && kind == frame.Time:
			implied = EncodeDateParts
		}
		if r.Encode == "" {
			r.Encode = implied
		}
		if r.Encode != implied {
			switch {
			case r.Encode == other && implied != other:
				bad("encode %s needs its settings: write %s: instead of encode", r.Encode, r.Encode)
			case kind == frame.Time:
				bad("encode %q does not apply to a time column; use age_days or date_parts", r.Encode)
			case r.Encode == EncodeAgeDays || r.Encode == EncodeDateParts:
				bad("encode %q does not apply to a float column; use none or bucketize", r.Encode)
			default:
				bad("encode %q does not apply to a %s column; use none or bucketize (or read the column as string to one-hot it)", r.Encode, kind)
			}
		}
		indexLike := r.Encode == EncodeBucketize || r.Encode == EncodeDateParts
		if r.Scale == "" {
			r.Scale = ScaleStandard
			if indexLike {
				r.Scale = None
			}
		}
		switch r.Impute {
		case ImputeMean, ImputeMedian, ImputeMostFrequent, None:
		case ImputeConstant:
			if _, err := strconv.ParseFloat(r.Fill, 64); err != nil {
				bad("impute constant needs a numeric fill, got %q", r.Fill)
			}
		default:
			bad("unknown impute %q: use mean, median, most_frequent, constant or none", r.Impute)
		}
		switch r.Scale {
		case ScaleStandard, ScaleMinMax:
			if indexLike {
				bad("scale %s does not apply with %s, which gives whole numbers; remove scale", r.Scale, r.Encode)
			}
		case None:
		default:
			bad("unknown scale %q: use standard, minmax or none", r.Scale)
		}
		errs = append(errs, checkNumeric(tf, kind, r.Encode)...)
		errs = append(errs, checkAlways(tf)...)
	case frame.String:
		if r.Impute == "" {
			r.Impute = None
		}
		if r.Scale == "" {
			r.Scale = None
		}
		implied := EncodeOneHot
		switch {
		case tf.Ordinal != nil:
			implied = EncodeOrdinal
		case tf.Hashing != nil:
			implied = EncodeHashing
		}
		if r.Encode == "" {
			r.Encode = implied
		}
		if r.Encode != implied {
			if r.Encode == EncodeOrdinal || r.Encode == EncodeHashing {
				bad("encode %s needs its settings: write %s: instead of encode", r.Encode, r.Encode)
			} else {
				bad("encode %q does not apply to a string column; use onehot, ordinal or hashing", r.Encode)
			}
		}
		switch r.Impute {
		case ImputeMostFrequent, None:
		case ImputeConstant:
			if r.Fill == "" {
				bad("impute constant needs a fill value")
			}
		case ImputeMean, ImputeMedian:
			bad("impute %s needs a numeric column, this one is string; use most_frequent or constant", r.Impute)
		default:
			bad("unknown impute %q: use most_frequent, constant or none", r.Impute)
		}
		if r.Scale != None {
			bad("scale %s needs a numeric column, this one is string; remove scale", r.Scale)
		}
		errs = append(errs, checkString(tf)...)
		errs = append(errs, checkAlways(tf)...)
	}
	return r, errs
}

// checkNumeric checks the transforms of a float or time column.
func checkNumeric(tf Transforms, kind frame.Kind, encode string) []string {
	var errs []string
	bad := func(format string, a ...any) { errs = append(errs, fmt.Sprintf(format, a...)) }
	for _, name := range stringOnly(tf) {
		bad("%s applies to string columns, this one is %s; remove it", name, kind)
	}
	if kind == frame.Float && len(tf.DateParts) > 0 {
		bad("date_parts applies to time columns, this one is float; remove it")
	}
	if kind == frame.Time && tf.Bucketize != nil {
		bad("bucketize applies to float columns, this one is time; use date_parts")
	}
	if kind == frame.Time && encode == EncodeDateParts {
		for _, name := range numericSteps(tf) {
			bad("%s does not apply with date_parts; remove one of them", name)
		}
	}
	return errs
}

// checkString checks the transforms of a string column.
func checkString(tf Transforms) []string {
	var errs []string
	bad := func(format string, a ...any) { errs = append(errs, fmt.Sprintf(format, a...)) }
	for _, name := range numericSteps(tf) {
		bad("%s needs a numeric column, this one is string; remove it", name)
	}
	if len(tf.DateParts) > 0 {
		bad("date_parts applies to time columns, this one is string; remove it")
	}
	return errs
}

// stringOnly names the string-only transforms set in tf.
func stringOnly(tf Transforms) []string {
	var out []string
	if tf.Ordinal != nil {
		out = append(out, "ordinal")
	}
	if tf.Hashing != nil {
		out = append(out, "hashing")
	}
	if tf.MinFrequency != 0 {
		out = append(out, "min_frequency")
	}
	if tf.MaxCategories != 0 {
		out = append(out, "max_categories")
	}
	return out
}

// numericSteps names the numeric-only transforms set in tf.
func numericSteps(tf Transforms) []string {
	var out []string
	if tf.Log1p {
		out = append(out, "log1p")
	}
	if tf.Clip != nil {
		out = append(out, "clip")
	}
	if tf.Bucketize != nil {
		out = append(out, "bucketize")
	}
	return out
}

func firstDuplicate(list []string) string {
	seen := map[string]bool{}
	for _, v := range list {
		if seen[v] {
			return v
		}
		seen[v] = true
	}
	return ""
}
