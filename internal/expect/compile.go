package expect

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// plan is one expectation compiled to aggregates of the shared scan, and
// how to turn their values into a result.
type plan struct {
	r      *runner
	e      Expectation
	where  string
	filter string         // the row_condition, parenthesised, or ""
	at     map[string]int // named aggregates' positions in the scan
	pred   string         // per-row: the SQL that holds for an expected, non-missing row
	nulls  string         // per-row: the SQL that holds for a missing row
	// keyCols and keyWhere are a keyed expectation's keys and the rows
	// they are counted over; parts is how many hash partitions it counted
	// in, 1 for none (uniqueness.go).
	keyCols  []string
	keyWhere string
	parts    int
}

// ident makes name a SQL identifier.
func ident(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

// lit makes s a SQL string literal.
func lit(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func num(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) + "::DOUBLE" }

// and joins conditions, skipping empty ones.
func and(conds ...string) string {
	var parts []string
	for _, c := range conds {
		if c != "" {
			parts = append(parts, c)
		}
	}
	return strings.Join(parts, " AND ")
}

// count is count(*) over the rows where cond holds.
func count(cond string) string {
	if cond == "" {
		return "count(*)"
	}
	return "count(*) FILTER (WHERE " + cond + ")"
}

// filtered applies cond to an aggregate call.
func filtered(agg, cond string) string {
	if cond == "" {
		return agg
	}
	return agg + " FILTER (WHERE " + cond + ")"
}

func (r *runner) compile(i int, e Expectation) *plan {
	p := &plan{r: r, e: e, where: fmt.Sprintf("expectations[%d]", i+1), at: map[string]int{}}
	if e.RowCondition != "" {
		p.filter = "(" + e.RowCondition + ")"
	}
	c := ident(e.Column)
	switch e.Type {
	case ValuesNotNull:
		p.nulls = c + " IS NULL"
	case ValuesBetween, ValueLengthsBetween:
		v := c
		if e.Type == ValueLengthsBetween {
			v = "length(" + c + ")"
		}
		p.nulls, p.pred = c+" IS NULL", bounds(v, e)
	case ValuesInSet, ValuesNotInSet:
		p.nulls, p.pred = c+" IS NULL", r.inSet(e)
		if e.Type == ValuesNotInSet {
			p.pred = "NOT (" + p.pred + ")"
		}
	case ValuesMatchRegex, ValuesNotMatchRegex:
		p.nulls, p.pred = c+" IS NULL", "regexp_matches(CAST("+c+" AS VARCHAR), "+lit(e.Regex)+")"
		if e.Type == ValuesNotMatchRegex {
			p.pred = "NOT " + p.pred
		}
	case PairAGreaterThanB:
		op := " > "
		if e.OrEqual {
			op = " >= "
		}
		p.nulls = ident(e.ColumnA) + " IS NULL OR " + ident(e.ColumnB) + " IS NULL"
		p.pred = ident(e.ColumnA) + op + ident(e.ColumnB)
	case ValuesUnique:
		p.nulls = c + " IS NULL"
		r.compileKeys(p)
	case CompoundUnique:
		var ors []string
		for _, col := range e.ColumnList {
			ors = append(ors, ident(col)+" IS NULL")
		}
		p.nulls = strings.Join(ors, " OR ")
		r.compileKeys(p)
	case TableRowCountBetween:
		p.at["v"] = r.agg(count(p.filter))
	case MinBetween, MaxBetween, MeanBetween, MedianBetween, StdevBetween, SumBetween:
		fn := map[string]string{MinBetween: "min", MaxBetween: "max", MeanBetween: "avg",
			MedianBetween: "median", StdevBetween: "stddev_samp", SumBetween: "sum"}[e.Type]
		p.at["v"] = r.agg("CAST(" + filtered(fn+"("+c+")", p.filter) + " AS DOUBLE)")
	case ProportionUniqueBetwen, DistinctValuesInSet:
		r.compileKeys(p)
	case PSILessThan:
		r.compilePSI(p)
	}
	if p.nulls != "" {
		p.at["elements"] = r.agg(count(p.filter))
		p.at["missing"] = r.agg(count(and(p.filter, "("+p.nulls+")")))
		if p.pred != "" {
			p.at["unexpected"] = r.agg(count(and(p.filter, "NOT ("+p.nulls+")", "NOT ("+p.pred+")")))
		}
	}
	return p
}

// bounds is the SQL that v lies within e's bounds.
func bounds(v string, e Expectation) string {
	var parts []string
	if e.Min != nil {
		op := " >= "
		if e.StrictMin {
			op = " > "
		}
		parts = append(parts, v+op+num(*e.Min))
	}
	if e.Max != nil {
		op := " <= "
		if e.StrictMax {
			op = " < "
		}
		parts = append(parts, v+op+num(*e.Max))
	}
	return strings.Join(parts, " AND ")
}

// inSet is the SQL that the column's value is in e.ValueSet: numerically
// on a numeric column (value_set: ["1.0"] matches 1), else as text.
func (r *runner) inSet(e Expectation) string {
	c, _ := r.col(e.Column)
	vals := make([]string, len(e.ValueSet))
	if sqlFamily(c.typ) == "numeric" {
		for i, v := range e.ValueSet {
			f, _ := strconv.ParseFloat(v, 64) // preflight refused non-numbers
			vals[i] = num(f)
		}
		return ident(e.Column) + " IN (" + strings.Join(vals, ", ") + ")"
	}
	for i, v := range e.ValueSet {
		vals[i] = lit(v)
	}
	return "CAST(" + ident(e.Column) + " AS VARCHAR) IN (" + strings.Join(vals, ", ") + ")"
}

func within(v float64, e Expectation) bool {
	if math.IsNaN(v) {
		return false
	}
	if e.Min != nil && (v < *e.Min || e.StrictMin && v == *e.Min) {
		return false
	}
	if e.Max != nil && (v > *e.Max || e.StrictMax && v == *e.Max) {
		return false
	}
	return true
}

func rangeText(e Expectation) string {
	l, h := "[-inf", "+inf]"
	if e.Min != nil {
		l = "[" + strconv.FormatFloat(*e.Min, 'g', -1, 64)
		if e.StrictMin {
			l = "(" + l[1:]
		}
	}
	if e.Max != nil {
		h = strconv.FormatFloat(*e.Max, 'g', -1, 64) + "]"
		if e.StrictMax {
			h = h[:len(h)-1] + ")"
		}
	}
	return l + ", " + h
}

func boundsText(ok bool, e Expectation) string {
	if ok {
		return "within " + rangeText(e)
	}
	return "outside " + rangeText(e)
}

func mostlyText(mostly *float64) string {
	if mostly == nil {
		return ""
	}
	return fmt.Sprintf(", mostly %g", *mostly)
}

func fmtPct(p float64) string { return strconv.FormatFloat(p, 'g', 4, 64) }

func fmtFrac(f float64) string { return fmt.Sprintf("%.4g", f) }

// passes applies mostly: with no values there is nothing to fail.
func passes(good, total int64, mostly *float64) bool {
	if total == 0 {
		return true
	}
	need := 1.0
	if mostly != nil {
		need = *mostly
	}
	return float64(good)/float64(total) >= need
}
