package features

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/mlpipe/mlpipe/internal/frame"
)

// target is the resolved label encoding: a binary target's [negative,
// positive], or a multi-class target's classes in model order.
type target struct {
	binary  [2]string
	classes []string // nil for a binary target
}

// MultiClass reports whether the spec asks for a multi-class target: three
// or more listed classes, or NumClasses of three or more.
func (s Spec) MultiClass() bool {
	return len(s.Classes) >= 3 || (len(s.Classes) == 0 && s.NumClasses >= 3)
}

// targetClasses checks the target column against the spec and returns its
// encoding. The target must be free of nulls.
func (s Spec) targetClasses(c *frame.Column) (target, error) {
	if !s.MultiClass() {
		if len(s.Classes) > 0 {
			if err := s.checkListed(c, classValues(c)); err != nil {
				return target{}, err
			}
		}
		labels, err := targetLabels(c, s.Positive)
		return target{binary: labels}, err
	}
	values, err := distinctTargetValues(c)
	if err != nil {
		return target{}, err
	}
	if len(s.Classes) == 0 {
		if len(values) != s.NumClasses {
			return target{}, fmt.Errorf("target %q has %d classes (%s) but hyperparameters.classes is %d; set it to %d, or list data.classes",
				c.Name, len(values), preview(values), s.NumClasses, len(values))
		}
		return target{classes: values}, nil
	}
	if err := s.checkListed(c, values); err != nil {
		return target{}, err
	}
	return target{classes: normalClasses(c.Kind, s.Classes)}, nil
}

// checkListed refuses a target value the listed classes miss, and a listed
// class the data never shows: a model cannot learn a class it never sees.
func (s Spec) checkListed(c *frame.Column, values []string) error {
	listed := normalClasses(c.Kind, s.Classes)
	for _, v := range values {
		if !slices.Contains(listed, v) {
			return fmt.Errorf("target %q has the value %q, which classes does not list (%s); add it to data.classes or drop those rows",
				c.Name, v, strings.Join(listed, ", "))
		}
	}
	for i, l := range listed {
		if !slices.Contains(values, l) {
			return fmt.Errorf("class %q (classes[%d]) has no rows in target %q (values: %s); remove it from data.classes",
				s.Classes[i], i, c.Name, preview(values))
		}
	}
	return nil
}

// distinctTargetValues returns the target's values, sorted: numerically for
// a numeric target (so 2 comes before 10), as strings otherwise.
func distinctTargetValues(c *frame.Column) ([]string, error) {
	nulls, firstNull := 0, 0
	for i := range c.Null {
		if c.Null[i] {
			if nulls == 0 {
				firstNull = i + 1
			}
			nulls++
		}
	}
	if nulls > 0 {
		return nil, fmt.Errorf("target %q is null in %d rows (first: row %d): drop or fill them before training", c.Name, nulls, firstNull)
	}
	return classValues(c), nil
}

// classValues lists the distinct non-null values of c, sorted.
func classValues(c *frame.Column) []string {
	seen := map[string]bool{}
	var values []string
	for i := range c.Null {
		if c.Null[i] {
			continue
		}
		if v := c.Format(i); !seen[v] {
			seen[v] = true
			values = append(values, v)
		}
	}
	if c.Kind == frame.Float {
		sort.Slice(values, func(i, j int) bool {
			a, _ := strconv.ParseFloat(values[i], 64)
			b, _ := strconv.ParseFloat(values[j], 64)
			return a < b
		})
	} else {
		sort.Strings(values)
	}
	return values
}

// normalClasses spells listed classes as the data does: "1.0" in a spec
// names the value a numeric column writes as 1.
func normalClasses(kind frame.Kind, classes []string) []string {
	out := append([]string(nil), classes...)
	if kind != frame.Float {
		return out
	}
	for i, c := range out {
		if v, err := strconv.ParseFloat(c, 64); err == nil {
			out[i] = strconv.FormatFloat(v, 'g', -1, 64)
		}
	}
	return out
}

// preview joins values for a message, eliding all but the first ten.
func preview(values []string) string {
	if len(values) > 10 {
		return strings.Join(values[:10], ", ") + ", ..."
	}
	return strings.Join(values, ", ")
}

// classIndices encodes the multi-class target of rows lo..hi as class
// indices into y.
func (t *Transform) classIndices(tc *frame.Column, lo, hi int, y []float64) error {
	index := make(map[string]int, len(t.Classes))
	for k, c := range t.Classes {
		index[c] = k
	}
	for r := lo; r < hi; r++ {
		if tc.Null[r] {
			return fmt.Errorf("row %d: target %q is null", r+1, t.Target)
		}
		l := tc.Format(r)
		k, ok := index[l]
		if !ok {
			return fmt.Errorf("row %d: target %q is %q, which is not one of the model's classes (%s); the model cannot score a class it was not trained on",
				r+1, t.Target, l, strings.Join(t.Classes, ", "))
		}
		y[r-lo] = float64(k)
	}
	return nil
}
