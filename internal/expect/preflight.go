package expect

import (
	"fmt"
	"strconv"
	"strings"
)

// preflight checks the suite against the data's columns before any row is
// read: every column named exists, has a type the expectation can use,
// every value_set entry fits the column, every row_condition binds and is
// boolean. Each problem names the expectation's position and what to fix.
func (r *runner) preflight(exps []Expectation) error {
	var problems []string
	for i, e := range exps {
		where := fmt.Sprintf("expectations[%d] (%s)", i+1, e.Type)
		add := func(format string, args ...any) {
			problems = append(problems, where+": "+fmt.Sprintf(format, args...))
		}
		missing := false
		for _, name := range e.Columns() {
			if _, ok := r.col(name); !ok {
				add("column %q is not in the data; the columns are %s", name, r.names())
				missing = true
			}
		}
		if missing || e.Type == ColumnToExist {
			continue
		}
		info := types[e.Type]
		if e.Column != "" {
			c, _ := r.col(e.Column)
			fam := sqlFamily(c.typ)
			if info.numeric && fam != "numeric" {
				hint := ""
				if fam == "string" {
					why, err := r.notNumbers(e.Column)
					if err != nil {
						return err
					}
					if why != "" {
						hint = " (" + why + ")"
					}
				}
				add("column %q is %s (%s), but %s needs a numeric column%s: pick a numeric column or another expectation", e.Column, c.typ, fam, e.Type, hint)
			}
			if e.Type == ValueLengthsBetween && fam != "string" {
				add("column %q is %s (%s), but %s measures text: pick a string column", e.Column, c.typ, fam, e.Type)
			}
			if info.set && fam == "numeric" {
				for j, v := range e.ValueSet {
					if _, err := strconv.ParseFloat(v, 64); err != nil {
						add("value_set[%d] %q is not a number, but column %q is numeric (%s): list numbers", j, v, e.Column, c.typ)
					}
				}
			}
		}
		if e.Type == PairAGreaterThanB {
			a, _ := r.col(e.ColumnA)
			b, _ := r.col(e.ColumnB)
			if fa, fb := sqlFamily(a.typ), sqlFamily(b.typ); fa != fb || fa == "string" || fa == "boolean" {
				add("column_A %q is %s and column_B %q is %s: both must be numeric, or both times", e.ColumnA, a.typ, e.ColumnB, b.typ)
			}
		}
		if e.Type == PSILessThan && r.env.Reference != nil {
			c, _ := r.col(e.Column)
			if ref, ok := r.env.Reference.Col(e.Column); ok && sqlFamily(c.typ) == "numeric" && ref.Kind != "float" {
				add("column %q is numeric here but %s in the reference profile: the data's schema changed", e.Column, ref.Kind)
			}
		}
		if e.RowCondition != "" {
			cols, err := describe(r.ctx, r.d.DB, fmt.Sprintf("SELECT (%s) AS c FROM %s", e.RowCondition, r.d.Relation))
			switch {
			case err != nil:
				add("row_condition %q does not apply to this data: %s; it is a SQL boolean expression over the columns %s", e.RowCondition, firstLine(err.Error()), r.names())
			case len(cols) != 1 || !strings.EqualFold(cols[0].typ, "BOOLEAN"):
				typ := ""
				if len(cols) == 1 {
					typ = cols[0].typ
				}
				add("row_condition %q is %s, not a boolean: write a comparison such as plan = 'basic'", e.RowCondition, typ)
			}
		}
	}
	if len(problems) > 0 {
		return &SuiteError{Problems: problems}
	}
	return nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
