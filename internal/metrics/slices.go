package metrics

import (
	"fmt"
	"slices"
)

// Slice is the report on the rows that share one group value.
type Slice struct {
	Group  string `json:"group"`
	Rows   int    `json:"rows"`
	Report Report `json:"report"`
}

// Slices scores each distinct value of groups separately, in sorted order;
// groups[i] is the slice of row i, computed by the caller (for example
// "status=active" or "age=[30,50)"). A slice holding one class gets a NaN
// ROC AUC (and, without positives, PR AUC), not an error, since small
// slices often do.
func Slices(yTrue, proba []float64, threshold float64, groups []string) ([]Slice, error) {
	if err := Validate(yTrue, proba, threshold); err != nil {
		return nil, err
	}
	if len(groups) != len(yTrue) {
		return nil, fmt.Errorf("metrics: %d group values for %d rows; give one per row", len(groups), len(yTrue))
	}
	keys, rows := groupRows(groups)
	out := make([]Slice, 0, len(keys))
	for _, g := range keys {
		idx := rows[g]
		y, p := make([]float64, len(idx)), make([]float64, len(idx))
		for k, i := range idx {
			y[k], p[k] = yTrue[i], proba[i]
		}
		r, err := Binary(y, p, threshold)
		if err != nil {
			return nil, fmt.Errorf("metrics: slice %q: %w", g, err)
		}
		out = append(out, Slice{Group: g, Rows: len(idx), Report: r})
	}
	return out, nil
}

// groupRows returns the distinct values of groups, sorted, and the rows
// that hold each.
func groupRows(groups []string) ([]string, map[string][]int) {
	rows := map[string][]int{}
	for i, g := range groups {
		rows[g] = append(rows[g], i)
	}
	keys := make([]string, 0, len(rows))
	for g := range rows {
		keys = append(keys, g)
	}
	slices.Sort(keys)
	return keys, rows
}
