package expect

import (
	"fmt"
	"math"
	"math/big"
	"strings"
	"time"
)

// finish turns the scan's values into the expectation's result, running
// the follow-up queries it needs (uniqueness, samples of failures).
func (p *plan) finish(vals []any) (Result, error) {
	e := p.e
	res := Result{Where: p.where, Config: Config{Type: e.Type, Kwargs: kwargs(e), Meta: ConfigMeta{Severity: severity(e)}}}
	switch e.Type {
	case ColumnToExist:
		res.Success = true
		res.Message = "column exists"
		return res, nil
	case ValuesOfType:
		c, _ := p.r.col(e.Column)
		want, _ := typeFamily(e.TypeName)
		res.Success = sqlFamily(c.typ) == want || strings.EqualFold(c.typ, e.TypeName)
		res.Result.ObservedValue = c.typ
		res.Message = fmt.Sprintf("column is %s (%s), expected %s", c.typ, sqlFamily(c.typ), e.TypeName)
		return res, nil
	case TableColumnsMatchSet, TableColumnsMatchList:
		return p.columnsMatch(res), nil
	case PSILessThan:
		return p.finishPSI(res, vals), nil
	}
	if v, ok := p.at["v"]; ok {
		return p.aggregate(res, vals[v]), nil
	}
	switch e.Type {
	case ProportionUniqueBetwen:
		return p.proportionUnique(res, vals)
	case DistinctValuesInSet:
		return p.distinctInSet(res, vals)
	}
	return p.perRow(res, vals)
}

// perRow fills Great Expectations' counts for a per-row expectation.
func (p *plan) perRow(res Result, vals []any) (Result, error) {
	e := p.e
	elements, missing := asInt(vals[p.at["elements"]]), asInt(vals[p.at["missing"]])
	nonmissing := elements - missing
	var unexpected int64
	var err error
	switch {
	case e.Type == ValuesNotNull:
		unexpected = missing
	case e.Type == ValuesUnique || e.Type == CompoundUnique:
		if unexpected, err = p.duplicates(vals, nonmissing); err != nil {
			return res, err
		}
	default:
		unexpected = asInt(vals[p.at["unexpected"]])
	}
	d := &res.Result
	d.ElementCount, d.UnexpectedCount = &elements, &unexpected
	if e.Type == ValuesNotNull {
		pct := percent(unexpected, elements)
		d.UnexpectedPercent = &pct
		res.Success = passes(elements-unexpected, elements, e.Mostly)
		res.Message = fmt.Sprintf("%s%% null%s", fmtPct(pct), mostlyText(e.Mostly))
		if unexpected > 0 {
			if d.PartialUnexpectedIndexList, err = p.nullRows(); err != nil {
				return res, err
			}
		}
		return res, nil
	}
	mp, up := percent(missing, elements), percent(unexpected, nonmissing)
	d.MissingCount, d.MissingPercent = &missing, &mp
	d.UnexpectedPercent, d.UnexpectedPercentNonmissing = &up, &up
	res.Success = passes(nonmissing-unexpected, nonmissing, e.Mostly)
	res.Message = fmt.Sprintf("%s%% of %d non-null values %s%s", fmtPct(up), nonmissing, p.what(), mostlyText(e.Mostly))
	if !res.Success && unexpected > 0 {
		if e.Type == ValuesUnique || e.Type == CompoundUnique {
			d.PartialUnexpectedList, err = p.repeats(vals)
		} else {
			d.PartialUnexpectedList, err = p.sample()
		}
		if err != nil {
			return res, err
		}
	}
	return res, nil
}

// what says in words what made a value unexpected.
func (p *plan) what() string {
	e := p.e
	switch e.Type {
	case ValuesBetween:
		return "outside " + rangeText(e)
	case ValueLengthsBetween:
		return "with a length outside " + rangeText(e)
	case ValuesInSet:
		return "not in [" + strings.Join(e.ValueSet, ", ") + "]"
	case ValuesNotInSet:
		return "in [" + strings.Join(e.ValueSet, ", ") + "]"
	case ValuesMatchRegex:
		return "not matching " + e.Regex
	case ValuesNotMatchRegex:
		return "matching " + e.Regex
	case PairAGreaterThanB:
		if e.OrEqual {
			return fmt.Sprintf("where %s < %s", e.ColumnA, e.ColumnB)
		}
		return fmt.Sprintf("where %s <= %s", e.ColumnA, e.ColumnB)
	}
	return "duplicated"
}

// keys are the columns a uniqueness expectation groups by.
func (p *plan) keys() string {
	cols := p.e.ColumnList
	if p.e.Type == ValuesUnique {
		cols = []string{p.e.Column}
	}
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = ident(c)
	}
	return strings.Join(out, ", ")
}

// sample fetches up to 20 unexpected values of a per-row expectation, in
// the data's order; uniqueness lists its repeats instead (uniqueness.go).
func (p *plan) sample() ([]any, error) {
	rel, where := p.r.d.Relation, and(p.filter, "NOT ("+p.nulls+")")
	var q string
	switch p.e.Type {
	case PairAGreaterThanB:
		q = fmt.Sprintf("SELECT list_value(%s, %s) FROM %s WHERE %s LIMIT %d",
			ident(p.e.ColumnA), ident(p.e.ColumnB), rel, and(where, "NOT ("+p.pred+")"), maxPartial)
	default:
		q = fmt.Sprintf("SELECT %s FROM %s WHERE %s LIMIT %d", ident(p.e.Column), rel, and(where, "NOT ("+p.pred+")"), maxPartial)
	}
	out, err := p.r.list(q)
	if err != nil {
		return nil, fmt.Errorf("sample unexpected values: %w", err)
	}
	return out, nil
}

// nullRows fetches the 1-based row numbers of up to 20 missing values.
func (p *plan) nullRows() ([]int64, error) {
	q := fmt.Sprintf("SELECT __mlpipe_row FROM (SELECT row_number() OVER () AS __mlpipe_row, * FROM %s) WHERE %s ORDER BY 1 LIMIT %d",
		p.r.d.Relation, and(p.filter, "("+p.nulls+")"), maxPartial)
	vals, err := p.r.list(q)
	if err != nil {
		return nil, fmt.Errorf("find null rows: %w", err)
	}
	out := make([]int64, len(vals))
	for i, v := range vals {
		out[i] = asInt(v)
	}
	return out, nil
}

func (p *plan) aggregate(res Result, v any) Result {
	e := p.e
	if e.Type == TableRowCountBetween {
		n := asInt(v)
		res.Result.ObservedValue = n
		res.Success = within(float64(n), e)
		res.Message = fmt.Sprintf("row count %d %s", n, boundsText(res.Success, e))
		return res
	}
	f, ok := asFloat(v)
	if !ok {
		res.Message = "no non-null values"
		return res
	}
	res.Result.ObservedValue = jsonFloat(f)
	res.Success = within(f, e)
	name := strings.TrimSuffix(strings.TrimPrefix(e.Type, "expect_column_"), "_to_be_between")
	res.Message = fmt.Sprintf("%s %.6g %s", name, f, boundsText(res.Success, e))
	return res
}

func (p *plan) columnsMatch(res Result) Result {
	e := p.e
	have := make([]string, len(p.r.cols))
	for i, c := range p.r.cols {
		have[i] = c.name
	}
	res.Result.ObservedValue = have
	if e.Type == TableColumnsMatchList {
		res.Success = strings.Join(have, "\x00") == strings.Join(e.ColumnList, "\x00")
		res.Message = "columns are " + strings.Join(have, ", ")
		if !res.Success {
			res.Message += "; expected, in order, " + strings.Join(e.ColumnList, ", ")
		}
		return res
	}
	want := map[string]bool{}
	for _, c := range e.ColumnList {
		want[c] = true
	}
	var missing, extra []string
	for _, c := range e.ColumnList {
		if _, ok := p.r.col(c); !ok {
			missing = append(missing, c)
		}
	}
	for _, c := range have {
		if !want[c] {
			extra = append(extra, c)
		}
	}
	exact := e.ExactMatch == nil || *e.ExactMatch
	res.Success = len(missing) == 0 && (!exact || len(extra) == 0)
	var parts []string
	if len(missing) > 0 {
		parts = append(parts, "missing "+strings.Join(missing, ", "))
	}
	if len(extra) > 0 {
		parts = append(parts, "unexpected "+strings.Join(extra, ", "))
	}
	if len(parts) == 0 {
		parts = append(parts, "columns match")
	}
	res.Message = strings.Join(parts, "; ")
	return res
}

func percent(n, of int64) float64 {
	if of == 0 {
		return 0
	}
	return 100 * float64(n) / float64(of)
}

func asInt(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case int32:
		return int64(x)
	case int:
		return int64(x)
	case uint64:
		return int64(x)
	case float64:
		return int64(x)
	case *big.Int:
		return x.Int64()
	}
	return 0
}

func asFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int64:
		return float64(x), true
	case int32:
		return float64(x), true
	case *big.Int:
		f, _ := new(big.Float).SetInt(x).Float64()
		return f, true
	}
	return 0, false
}

// jsonFloat keeps a float that JSON can carry; NaN and infinities become text.
func jsonFloat(f float64) any {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return fmt.Sprint(f)
	}
	return f
}

// jsonValue turns a value from the engine into one JSON carries as users
// read it: times in RFC 3339, lists element by element.
func jsonValue(v any) any {
	switch x := v.(type) {
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case float64:
		return jsonFloat(x)
	case float32:
		return jsonFloat(float64(x))
	case int32:
		return int64(x)
	case *big.Int:
		return x.String()
	case []byte:
		return string(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonValue(e)
		}
		return out
	}
	return v
}
