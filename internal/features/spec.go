package features

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/mlpipe/mlpipe/internal/frame"
)

// Spec says which columns become features and how.
type Spec struct {
	// Target is the label column.
	Target string `yaml:"target" json:"target"`
	// Positive is the label value that is class 1. It may be left empty when
	// the target is numeric 0/1.
	Positive string `yaml:"positive,omitempty" json:"positive,omitempty"`
	// Classes lists the target's classes in model order (class k is
	// Classes[k]). Three or more make a multi-class target; two name
	// [negative, positive] of a binary one. Every value of the target must
	// be listed, and every listed class must occur in the data.
	Classes []string `yaml:"classes,omitempty" json:"classes,omitempty"`
	// NumClasses, when 3 or more and Classes is empty, makes a multi-class
	// target whose classes are found in the data, sorted (numerically for
	// a numeric target); the data must hold exactly this many.
	NumClasses int `yaml:"num_classes,omitempty" json:"num_classes,omitempty"`
	// Numeric, Categorical and Time select every column of that kind
	// (float, string, time), except the target, Exclude and the columns
	// listed in Columns, with the block's options. A kind without a block
	// contributes only the columns listed in Columns.
	Numeric     *KindSpec `yaml:"numeric,omitempty" json:"numeric,omitempty"`
	Categorical *KindSpec `yaml:"categorical,omitempty" json:"categorical,omitempty"`
	Time        *KindSpec `yaml:"time,omitempty" json:"time,omitempty"`
	// Exclude names columns the kind blocks must not select (an ID).
	Exclude []string `yaml:"exclude,omitempty" json:"exclude,omitempty"`
	// Columns configures columns one by one; a column listed here takes
	// its own options only, whatever its kind's block says.
	Columns []ColumnSpec `yaml:"columns" json:"columns"`
	Split   SplitSpec    `yaml:"split,omitempty" json:"split,omitempty"`
}

// ColumnSpec configures one input column. Empty fields take defaults by the
// column's kind:
//
//	float:  impute mean,  scale standard, encode none
//	time:   impute mean,  scale standard, encode age_days
//	string: impute none,  scale none,     encode onehot
//
// A null string with impute none encodes as all zeros, exactly like a
// category never seen in training.
type ColumnSpec struct {
	Column string `yaml:"column" json:"column"`
	// Impute is mean, median, most_frequent, constant or none.
	Impute string `yaml:"impute,omitempty" json:"impute,omitempty"`
	// Fill is the value used by impute: constant.
	Fill string `yaml:"fill,omitempty" json:"fill,omitempty"`
	// Scale is standard, minmax or none.
	Scale string `yaml:"scale,omitempty" json:"scale,omitempty"`
	// Encode is onehot, ordinal or hashing (strings), age_days (times:
	// days before the newest training timestamp) or date_parts (times),
	// none or bucketize (floats). ordinal, hashing, bucketize and
	// date_parts are implied by their blocks below.
	Encode string `yaml:"encode,omitempty" json:"encode,omitempty"`
	// Transforms are the further per-column steps (log1p, clip, ...).
	Transforms `yaml:",inline"`
}

// KindSpec is a ColumnSpec without the column: the options a kind block
// (numeric, categorical, time) gives every column it selects.
type KindSpec struct {
	Impute     string `yaml:"impute,omitempty" json:"impute,omitempty"`
	Fill       string `yaml:"fill,omitempty" json:"fill,omitempty"`
	Scale      string `yaml:"scale,omitempty" json:"scale,omitempty"`
	Encode     string `yaml:"encode,omitempty" json:"encode,omitempty"`
	Transforms `yaml:",inline"`
}

// column gives the block's options to one column.
func (k KindSpec) column(name string) ColumnSpec {
	return ColumnSpec{Column: name, Impute: k.Impute, Fill: k.Fill, Scale: k.Scale, Encode: k.Encode, Transforms: k.Transforms}
}

// SplitSpec configures the train/test split.
type SplitSpec struct {
	// TestSize is the held-out fraction; 0 means 0.2.
	TestSize float64 `yaml:"test_size,omitempty" json:"test_size,omitempty"`
	Seed     int64   `yaml:"seed,omitempty" json:"seed,omitempty"`
	// Stratify keeps class proportions equal in both parts; nil means true.
	Stratify *bool `yaml:"stratify,omitempty" json:"stratify,omitempty"`
}

// The accepted option values.
const (
	ImputeMean         = "mean"
	ImputeMedian       = "median"
	ImputeMostFrequent = "most_frequent"
	ImputeConstant     = "constant"
	None               = "none"
	ScaleStandard      = "standard"
	ScaleMinMax        = "minmax"
	EncodeOneHot       = "onehot"
	EncodeAgeDays      = "age_days"
	EncodeOrdinal      = "ordinal"
	EncodeHashing      = "hashing"
	EncodeBucketize    = "bucketize"
	EncodeDateParts    = "date_parts"
)

// DefaultTestSize is used when SplitSpec.TestSize is 0.
const DefaultTestSize = 0.2

// maxCategories stops a one-hot column from exploding the feature count; a
// column with more distinct values is almost always an identifier.
const maxCategories = 1000

func (s SplitSpec) testSize() float64 {
	if s.TestSize == 0 {
		return DefaultTestSize
	}
	return s.TestSize
}

func (s SplitSpec) stratify() bool { return s.Stratify == nil || *s.Stratify }

// Validate checks the spec against a frame and reports every problem at once,
// naming the column and the field to fix.
func (s Spec) Validate(f *frame.Frame) error {
	_, _, err := s.resolve(f)
	return err
}

// resolved is a ColumnSpec with defaults filled in and the column's kind.
type resolved struct {
	ColumnSpec
	kind frame.Kind
}

// resolve validates the spec and returns the column specs with defaults
// applied and the target's classes.
func (s Spec) resolve(f *frame.Frame) ([]resolved, target, error) {
	var problems []string
	add := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }
	cols := strings.Join(f.Names(), ", ")

	var labels target
	if s.Target == "" {
		add("target is required: name the label column")
	} else if tc, ok := f.Col(s.Target); !ok {
		add("target %q is not a column (columns: %s)", s.Target, cols)
	} else if l, err := s.targetClasses(tc); err != nil {
		add("%v", err)
	} else {
		labels = l
	}

	if len(s.Columns) == 0 && !s.typed() {
		add("columns is empty: list the feature columns, or select them by kind with numeric:, categorical: or time:")
	}
	seen := map[string]bool{}
	listed := map[string]resolved{}
	for i, cs := range s.Columns {
		where := fmt.Sprintf("columns[%d] (%s)", i+1, cs.Column)
		if cs.Column == "" {
			add("columns[%d]: column is required", i+1)
			continue
		}
		if seen[cs.Column] {
			add("%s: listed twice", where)
			continue
		}
		seen[cs.Column] = true
		if cs.Column == s.Target {
			add("%s: is the target; a model must not see its own label", where)
			continue
		}
		if slices.Contains(s.Exclude, cs.Column) {
			add("%s: is also in exclude; remove it from one of the two", where)
			continue
		}
		c, ok := f.Col(cs.Column)
		if !ok {
			add("%s: no such column (columns: %s)", where, cols)
			continue
		}
		r, errs := resolveColumn(cs, c.Kind)
		if why := frame.NotNumbers(c); why != "" && len(errs) > 0 {
			// Most likely a numeric column with a few odd cells: say which.
			errs[len(errs)-1] += fmt.Sprintf(" (it is string because %s)", why)
		}
		for _, e := range errs {
			add("%s: %s", where, e)
		}
		listed[cs.Column] = r
	}
	for i, name := range s.Exclude {
		if _, ok := f.Col(name); !ok {
			add("exclude[%d] (%s): no such column (columns: %s)", i+1, name, cols)
		}
	}
	blocks := s.kindBlocks()
	for i := range blocks {
		b := &blocks[i]
		if b.spec == nil {
			continue
		}
		// A block's options are checked once, not once per column.
		if _, errs := resolveColumn(b.spec.column(""), b.kind); len(errs) > 0 {
			for _, e := range errs {
				add("%s: %s", b.name, e)
			}
			b.spec = nil
		}
	}

	var out []resolved
	if !s.typed() {
		// Without kind blocks the listed order is the matrix order, as it
		// always was.
		for _, cs := range s.Columns {
			if r, ok := listed[cs.Column]; ok {
				out = append(out, r)
				delete(listed, cs.Column)
			}
		}
	} else {
		for _, name := range f.Names() {
			if r, ok := listed[name]; ok {
				out = append(out, r)
				continue
			}
			if name == s.Target || slices.Contains(s.Exclude, name) {
				continue
			}
			c, _ := f.Col(name)
			for _, b := range blocks {
				if b.kind == c.Kind && b.spec != nil {
					r, _ := resolveColumn(b.spec.column(name), c.Kind)
					out = append(out, r)
				}
			}
		}
		if len(out) == 0 && len(problems) == 0 {
			add("no feature columns: the kind blocks select none of the data's columns (columns: %s) and columns lists none", cols)
		}
	}

	if ts := s.Split.TestSize; ts < 0 || ts >= 1 {
		add("split.test_size must be in (0, 1), got %g", ts)
	}
	if len(problems) > 0 {
		return nil, labels, fmt.Errorf("features: %s", strings.Join(problems, "; "))
	}
	return out, labels, nil
}

// typed reports whether columns are selected by kind.
func (s Spec) typed() bool { return s.Numeric != nil || s.Categorical != nil || s.Time != nil }

type kindBlock struct {
	name string
	kind frame.Kind
	spec *KindSpec
}

func (s Spec) kindBlocks() []kindBlock {
	return []kindBlock{{"numeric", frame.Float, s.Numeric}, {"categorical", frame.String, s.Categorical}, {"time", frame.Time, s.Time}}
}

// targetLabels finds the two label values and orders them [negative,
// positive]. The target must be binary and free of nulls.
func targetLabels(c *frame.Column, positive string) ([2]string, error) {
	var labels [2]string
	nulls, firstNull := 0, 0
	distinct := map[string]bool{}
	for i := range c.Null {
		if c.Null[i] {
			if nulls == 0 {
				firstNull = i + 1
			}
			nulls++
			continue
		}
		distinct[c.Format(i)] = true
	}
	if nulls > 0 {
		return labels, fmt.Errorf("target %q is null in %d rows (first: row %d): drop or fill them before training", c.Name, nulls, firstNull)
	}
	values := make([]string, 0, len(distinct))
	for v := range distinct {
		values = append(values, v)
	}
	sort.Strings(values)
	if len(values) > 10 {
		values = append(values[:10], "...")
	}
	if len(distinct) > 2 {
		return labels, fmt.Errorf("target %q must have exactly 2 classes for binary classification, found %d (%s); for a multi-class model list them in data.classes (or set hyperparameters.classes: %d) and remove data.positive",
			c.Name, len(distinct), strings.Join(values, ", "), len(distinct))
	}
	if len(distinct) != 2 {
		return labels, fmt.Errorf("target %q must have exactly 2 classes for binary classification, found %d (%s)", c.Name, len(distinct), strings.Join(values, ", "))
	}
	if c.Kind == frame.Float {
		if positive == "" {
			positive = "1"
		}
		// "1.0" in a spec names the value the file writes as 1.
		if v, err := strconv.ParseFloat(positive, 64); err == nil {
			positive = strconv.FormatFloat(v, 'g', -1, 64)
		}
	}
	if positive == "" {
		return labels, fmt.Errorf("positive is required: name the %q value that is class 1 (one of %s)", c.Name, strings.Join(values, ", "))
	}
	if !distinct[positive] {
		hint := "; set data.positive to one of them"
		for _, v := range values {
			if strings.EqualFold(v, positive) {
				hint = fmt.Sprintf("; labels are compared exactly, case included: set data.positive to %q", v)
			}
		}
		return labels, fmt.Errorf("positive %q is not a value of target %q (values: %s)%s", positive, c.Name, strings.Join(values, ", "), hint)
	}
	labels[1] = positive
	for _, v := range values {
		if v != positive {
			labels[0] = v
		}
	}
	return labels, nil
}
