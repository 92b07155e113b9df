package spec

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/mlpipe/mlpipe/internal/suggest"

	"github.com/mlpipe/mlpipe/internal/expect"
)

// ColumnRef is a column of the source data that a spec names, and where.
type ColumnRef struct {
	// Path is the setting that names it, e.g. features.columns[2].column.
	Path   string `json:"path"`
	Column string `json:"column"`
}

// ColumnRefs are every column a spec names in the source data.
type ColumnRefs []ColumnRef

// Columns lists the source columns the spec names: the target, the feature
// columns, the expectations' columns, the schema's, completeness's and
// freshness's columns, and the evaluation slices. Each must be in the
// data's header, so they can be checked as soon as it is known, before any
// work is done on the rows.
func (p *Pipeline) Columns() ColumnRefs {
	var out ColumnRefs
	add := func(path, col string) {
		if col != "" {
			out = append(out, ColumnRef{Path: path, Column: col})
		}
	}
	add("data.target", p.Data.Target)
	for i, c := range p.Features.Columns {
		add(fmt.Sprintf("features.columns[%d].column", i), c.Column)
	}
	for i, e := range p.Expectations {
		if e.Type != expect.TableRowCountBetween {
			add(fmt.Sprintf("expectations[%d] (%s).column", i, e.Type), e.Column)
		}
	}
	for _, col := range slices.Sorted(maps.Keys(p.Validation.Schema)) {
		add("validation.schema."+col, col)
	}
	if c := p.Validation.Completeness; c != nil {
		for _, col := range slices.Sorted(maps.Keys(c.Columns)) {
			add("validation.completeness.columns."+col, col)
		}
	}
	if f := p.Validation.Freshness; f != nil {
		add("validation.freshness.column", f.Column)
	}
	for i, s := range p.Evaluation.Slices {
		add(fmt.Sprintf("evaluation.slices[%d].column", i), s.Column)
	}
	return out
}

// Check reports every column that is not in header, each with the setting
// that names it and the nearest column that exists (a different case, or
// a typo), and lists the header's columns.
func (refs ColumnRefs) Check(header []string) error {
	var missing []string
	for _, r := range refs {
		if slices.Contains(header, r.Column) {
			continue
		}
		msg := fmt.Sprintf("%s: column %q is not in the data", r.Path, r.Column)
		if s := suggest.Closest(r.Column, header); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		}
		missing = append(missing, msg)
	}
	if len(missing) == 0 {
		return nil
	}
	cols := "the data's columns are " + strings.Join(header, ", ")
	if len(missing) == 1 {
		return &Error{Msg: missing[0] + "; " + cols}
	}
	return &Error{Msg: fmt.Sprintf("%d columns the spec names are not in the data:\n  - %s\n%s",
		len(missing), strings.Join(missing, "\n  - "), cols)}
}

// CheckHeader checks the spec's columns (see Columns) against the header
// of its source data.
func (p *Pipeline) CheckHeader(header []string) error { return p.Columns().Check(header) }
