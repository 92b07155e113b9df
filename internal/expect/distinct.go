package expect

import (
	"fmt"
	"strings"
)

// maxObserved bounds the distinct values expect_column_distinct_values_to_be_in_set
// keeps as its observed_value. Great Expectations lists every distinct
// value there; with 100M of them that list would not fit a report (nor
// Temporal's 2 MiB payloads), so mlpipe keeps the first maxObserved in sort
// order, with distinct_count saying how many there are and
// observed_value_truncated set when some were left out.
const maxObserved = 50

// proportionUnique is distinct non-null values over non-null values.
func (p *plan) proportionUnique(res Result, vals []any) (Result, error) {
	e := p.e
	nonnull := asInt(vals[p.at["nonnull"]])
	if nonnull == 0 {
		res.Message = "no non-null values"
		return res, nil
	}
	distinct, err := p.distinctCount(vals)
	if err != nil {
		return res, err
	}
	prop := float64(distinct) / float64(nonnull)
	res.Success = within(prop, e)
	res.Result.ObservedValue = prop
	res.Result.DistinctCount = &distinct
	res.Message = fmt.Sprintf("%d distinct of %d non-null values: %s %s", distinct, nonnull, fmtFrac(prop), boundsText(res.Success, e))
	return res, nil
}

// distinctInSet lists the column's distinct values (the first maxObserved
// in sort order) and the first of those outside the set, and counts both,
// in one pass over each partition's distinct values.
func (p *plan) distinctInSet(res Result, vals []any) (Result, error) {
	e := p.e
	c := ident(e.Column)
	ks, err := p.keySet(vals)
	if err != nil {
		return res, err
	}
	out := "NOT (" + p.r.inSet(e) + ")"
	rel, ok, err := ks.gather(func(rel, where string) string {
		return fmt.Sprintf(`SELECT count(*) AS n, count(*) FILTER (WHERE %s) AS n_out,
  min(%s, %d) AS first, min(%s, %d) FILTER (WHERE %s) AS first_out
FROM (SELECT DISTINCT %s FROM %s WHERE %s)`, out, c, maxObserved, c, maxPartial, out, c, rel, where)
	})
	if err != nil {
		return res, fmt.Errorf("list the distinct values of %s: %w", c, err)
	}
	var distinct, outside int64
	var observed, unexpected []any
	if ok {
		// Each partition's first values are in sort order; these merge
		// them the same way for one partition as for many.
		q := fmt.Sprintf(`WITH s AS MATERIALIZED (SELECT * FROM %s)
SELECT (SELECT coalesce(sum(n), 0) FROM s), (SELECT coalesce(sum(n_out), 0) FROM s),
  (SELECT list(v ORDER BY v) FROM (SELECT unnest(first) AS v FROM s ORDER BY v LIMIT %d)),
  (SELECT list(v ORDER BY v) FROM (SELECT unnest(first_out) AS v FROM s ORDER BY v LIMIT %d))`, rel, maxObserved, maxPartial)
		var n, nOut, first, firstOut any
		if err := p.r.d.DB.QueryRowContext(p.r.ctx, q).Scan(&n, &nOut, &first, &firstOut); err != nil {
			return res, fmt.Errorf("merge the distinct values of %s: %w", c, err)
		}
		distinct, outside = asInt(n), asInt(nOut)
		observed, _ = jsonValue(first).([]any)
		unexpected, _ = jsonValue(firstOut).([]any)
	}
	if observed == nil {
		observed = []any{}
	}
	d := &res.Result
	d.ObservedValue, d.DistinctCount = observed, &distinct
	d.ObservedValueTruncated = distinct > int64(len(observed))
	res.Success = outside == 0
	set := strings.Join(e.ValueSet, ", ")
	var of string
	if d.ObservedValueTruncated {
		of = fmt.Sprintf(" (observed_value lists the first %d of %d distinct values)", len(observed), distinct)
	}
	if res.Success {
		res.Message = "every distinct value is in [" + set + "]" + of
		return res, nil
	}
	res.Message = fmt.Sprintf("%d distinct value(s) not in [%s]%s", outside, set, of)
	d.PartialUnexpectedList = unexpected
	return res, nil
}

// distinctCount is the number of distinct non-null values: the scan's,
// when it counted them, else counted over the key set.
func (p *plan) distinctCount(vals []any) (int64, error) {
	if i, ok := p.at["distinct"]; ok {
		return asInt(vals[i]), nil
	}
	ks, err := p.keySet(vals)
	if err != nil {
		return 0, err
	}
	c := ident(p.e.Column)
	n, err := ks.sum(func(rel, where string) string {
		return fmt.Sprintf("SELECT count(DISTINCT %s) FROM %s WHERE %s", c, rel, where)
	})
	if err != nil {
		return 0, fmt.Errorf("count distinct values of %s: %w", c, err)
	}
	return n, nil
}
