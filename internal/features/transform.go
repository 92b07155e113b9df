package features

import (
	"time"

	"github.com/mlpipe/mlpipe/internal/frame"
)

// TransformVersion is the newest JSON shape of Transform this code reads
// and writes. Version 1 has imputation, scaling, one-hot and age_days
// only; version 2 adds log1p, clip, bucketize, ordinal, date parts,
// hashing and the one-hot `other` category. A transform that uses none of
// them is still written as version 1, so older gateways serve it.
const TransformVersion = 2

// TransformVersionBasic is the version of a transform that uses only the
// version 1 steps.
const TransformVersionBasic = 1

// Transform is a fitted feature pipeline. It is plain data: marshal it to
// JSON to store beside the model, unmarshal it to serve.
type Transform struct {
	Version    int        `json:"version"`
	Target     string     `json:"target"`
	TargetKind frame.Kind `json:"target_kind"`
	Positive   string     `json:"positive"`
	// Labels are a binary target's values as [negative, positive].
	Labels [2]string `json:"labels"`
	// Classes are a multi-class target's values in model order: label k
	// is Classes[k]. Empty for a binary target.
	Classes []string       `json:"classes,omitempty"`
	Columns []FittedColumn `json:"columns"`
	// Outputs names the matrix columns, in order.
	Outputs []string `json:"outputs"`
}

// FittedColumn is one input column and the parameters learned for it.
//
// Numeric columns (float, and time after age_days) produce one output:
// (v - Offset) / Divisor, where a null v is first replaced by FillValue
// unless Impute is none. Standard scaling stores the training mean and
// population standard deviation, minmax the min and range; a zero spread is
// stored as 1 so constant columns map to 0 instead of dividing by zero.
//
// String columns produce one output per category (one-hot). A null is
// replaced by FillCategory unless Impute is none; a null left as is, or a
// category not in Categories, sets no output (all zeros).
type FittedColumn struct {
	Column string     `json:"column"`
	Kind   frame.Kind `json:"kind"`
	Impute string     `json:"impute"`
	Scale  string     `json:"scale"`
	Encode string     `json:"encode"`

	FillValue float64 `json:"fill_value,omitempty"`
	Offset    float64 `json:"offset,omitempty"`
	Divisor   float64 `json:"divisor,omitempty"`
	// Reference is the newest training timestamp; age_days counts back from it.
	Reference time.Time `json:"reference,omitzero"`

	FillCategory string   `json:"fill_category,omitempty"`
	Categories   []string `json:"categories,omitempty"`

	// Version 2 steps. A numeric value is imputed, clipped to
	// [ClipMin, ClipMax], replaced by ln(1+v) when Log1p, then either
	// bucketized (Encode bucketize: the number of Boundaries ≤ v) or
	// scaled. A time column with Encode date_parts gives the DateParts of
	// its UTC timestamp, a null being imputed as Reference − FillValue days.
	ClipMin    *float64  `json:"clip_min,omitempty"`
	ClipMax    *float64  `json:"clip_max,omitempty"`
	Log1p      bool      `json:"log1p,omitempty"`
	Boundaries []float64 `json:"boundaries,omitempty"`
	DateParts  []string  `json:"date_parts,omitempty"`
	// Order is an ordinal column's values, lowest first; HandleUnknown is
	// error or use_encoded_value (-1).
	Order         []string `json:"order,omitempty"`
	HandleUnknown string   `json:"handle_unknown,omitempty"`
	// HashFeatures is a hashing column's width: a value sets output
	// FNV-1a-64(UTF-8 bytes) mod HashFeatures.
	HashFeatures int `json:"hash_features,omitempty"`
	// Other is set when one-hot has a last output for the categories too
	// rare to keep (min_frequency, max_categories) and for categories
	// never seen in training.
	Other bool `json:"other,omitempty"`

	// Outputs names this column's matrix columns.
	Outputs []string `json:"outputs"`
}

// OutputNames names the matrix columns Apply produces.
func (t *Transform) OutputNames() []string { return t.Outputs }

// MultiClass reports whether the target has three or more classes.
func (t *Transform) MultiClass() bool { return len(t.Classes) >= 3 }

// ClassList names every class in model order: label k is ClassList()[k].
// A binary target gives [negative, positive].
func (t *Transform) ClassList() []string {
	if len(t.Classes) > 0 {
		return append([]string(nil), t.Classes...)
	}
	return []string{t.Labels[0], t.Labels[1]}
}

// NumOutputs is the width of the matrix Apply produces.
func (t *Transform) NumOutputs() int { return len(t.Outputs) }

// InputKinds maps every input column and the target to the kind the
// transform was fitted on; pass it as frame.ReadOptions.Types when reading
// new data so a column is never re-inferred differently.
func (t *Transform) InputKinds() map[string]frame.Kind {
	out := make(map[string]frame.Kind, len(t.Columns)+1)
	for _, c := range t.Columns {
		out[c.Column] = c.Kind
	}
	out[t.Target] = t.TargetKind
	return out
}

func (c *FittedColumn) numeric() bool { return c.Kind != frame.String }

// scale maps a (possibly imputed) numeric value to its output.
func (c *FittedColumn) scale(v float64) float64 { return (v - c.Offset) / c.Divisor }

// ageDays is the numeric value a time column contributes.
func (c *FittedColumn) ageDays(t time.Time) float64 {
	return c.Reference.Sub(t).Hours() / 24
}
