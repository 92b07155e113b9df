package features

import (
	"slices"

	"github.com/mlpipe/mlpipe/internal/frame"
)

// Reads reports whether fitting or applying the spec looks at the values
// of a column with this name and kind: the target, a listed column, or
// one a kind block selects. A reader may leave the other columns' values
// out (names and kinds are all Validate, Split and Fit need of them), which
// is what lets a large table's features be computed in a fraction of its
// memory.
func (s Spec) Reads(name string, kind frame.Kind) bool {
	if name == s.Target {
		return true
	}
	if slices.ContainsFunc(s.Columns, func(c ColumnSpec) bool { return c.Column == name }) {
		return true
	}
	if slices.Contains(s.Exclude, name) {
		return false
	}
	for _, b := range s.kindBlocks() {
		if b.kind == kind && b.spec != nil {
			return true
		}
	}
	return false
}
