package expect

import (
	"fmt"
	"strconv"
	"strings"
)

// bytesPerKey is the engine memory one distinct key of a uniqueness or
// distinct-value check is given: a query counts at most memory_limit /
// bytesPerKey keys, held in memory. DuckDB's grouped and distinct
// aggregates spill past memory_limit, but not without bound (100M distinct
// keys at 1 GB run out of memory), so more keys are counted in hash
// partitions (keyset.go).
const bytesPerKey = 100

// keyed are the expectations that count a column's distinct values or
// keys: with ~100M of them, their distinct counts and groupings do not fit.
var keyed = map[string]bool{ValuesUnique: true, CompoundUnique: true, ProportionUniqueBetwen: true, DistinctValuesInSet: true}

// planKeys decides how the keyed expectations count: by distinct counts
// in the shared scan when the data's rows, once for each distinct count
// the scan would hold, are no more than the keys a query holds (a
// follow-up query only when values repeat or for the values in a set);
// else each on its own, in as many hash partitions as its keys need,
// which the scan counts (keySet).
func (r *runner) planKeys(exps []Expectation) error {
	need := false
	// Each distinct count in the scan holds its own keys: as many as the
	// different keys and rows counted (a column's uniqueness and its
	// proportion of unique values share one).
	inScan := map[string]bool{}
	for _, e := range exps {
		need = need || keyed[e.Type]
		switch e.Type {
		case ValuesUnique, ProportionUniqueBetwen:
			inScan[e.Column+"\x00"+e.RowCondition] = true
		case CompoundUnique:
			inScan[strings.Join(e.ColumnList, "\x00")+"\x00\x00"+e.RowCondition] = true
		}
	}
	if !need {
		return nil
	}
	rows := r.d.Rows
	if rows <= 0 {
		// A table's or a Parquet file's count is kept with it: cheap.
		v, err := r.one("SELECT count(*) FROM " + r.d.Relation)
		if err != nil {
			return fmt.Errorf("count the rows of %s: %w", r.d.Name, err)
		}
		rows = asInt(v)
	}
	var limit string
	if err := r.d.DB.QueryRowContext(r.ctx, "SELECT current_setting('memory_limit')").Scan(&limit); err != nil {
		return fmt.Errorf("read the engine's memory_limit: %w", err)
	}
	perQuery := memoryBytes(limit) / bytesPerKey
	if perQuery <= 0 || rows*int64(max(len(inScan), 1)) <= perQuery {
		r.keysPerQuery = 0
		return nil
	}
	r.keysPerQuery = perQuery
	return nil
}

// memoryBytes reads DuckDB's memory_limit setting ("953.6 MiB"); 0 when
// it is not a size.
func memoryBytes(setting string) int64 {
	num, unit, _ := strings.Cut(strings.TrimSpace(setting), " ")
	v, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0
	}
	scale := map[string]float64{"bytes": 1, "B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40,
		"KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12}[unit]
	return int64(v * scale)
}

// compileKeys adds what a keyed expectation needs of the shared scan:
// exact distinct counts when every key fits, else how many keys there may
// be.
func (r *runner) compileKeys(p *plan) {
	e, c := p.e, ident(p.e.Column)
	p.parts = 1
	p.keyCols = []string{e.Column}
	if e.Type == CompoundUnique {
		p.keyCols = e.ColumnList
	}
	// Written alike for every single column, so that expectations on the
	// same column and rows share one key set.
	p.keyWhere = and(p.filter, c+" IS NOT NULL")
	if e.Type == CompoundUnique {
		p.keyWhere = and(p.filter, "NOT ("+p.nulls+")")
	}
	if e.Type == ProportionUniqueBetwen {
		p.at["nonnull"] = r.agg(filtered("count("+c+")", p.filter))
	}
	if r.keysPerQuery > 0 {
		p.at["keyed"] = r.agg(count(p.keyWhere))
		// Keys that should be unique are as many as their rows: an
		// estimate would only cost a hash of every row. A column's
		// distinct values may be far fewer (a set of three values).
		if e.Type == ProportionUniqueBetwen || e.Type == DistinctValuesInSet {
			p.at["approx"] = r.agg(filtered("approx_count_distinct("+c+")", p.keyWhere))
		}
		return
	}
	// Distinct values in a set are listed after the scan, counted then.
	switch e.Type {
	case ValuesUnique, ProportionUniqueBetwen:
		p.at["distinct"] = r.agg(filtered("count(DISTINCT "+c+")", p.keyWhere))
	case CompoundUnique:
		p.at["distinct"] = r.agg(filtered("count(DISTINCT row("+p.keys()+"))", p.keyWhere))
	}
}

// keySet is where the expectation's keys are counted: in the data when
// the scan counted them, or when they fit one query; else in hash
// partitions sized to fit. The rows that hold a key bound their number; a
// column's distinct values are also bounded by twice the scan's estimate
// (DuckDB's HyperLogLog is off by 20% and more at 300k values).
func (p *plan) keySet(vals []any) (*keySet, error) {
	if i, ok := p.at["keyed"]; ok {
		keys := asInt(vals[i])
		if j, ok := p.at["approx"]; ok {
			keys = min(keys, 2*asInt(vals[j]))
		}
		perQuery := p.r.keysPerQuery
		p.parts = max(int((keys+perQuery-1)/perQuery), 1)
	}
	return p.r.keySet(p.keyCols, p.keyWhere, p.parts)
}

// duplicates counts every row whose value occurs more than once: as in
// Great Expectations, each occurrence of a repeated value is unexpected.
// When the scan counted as many distinct values as values, there are none
// and the data is not read again.
func (p *plan) duplicates(vals []any, nonmissing int64) (int64, error) {
	if i, ok := p.at["distinct"]; ok && asInt(vals[i]) == nonmissing {
		return 0, nil
	}
	ks, err := p.keySet(vals)
	if err != nil {
		return 0, err
	}
	n, err := ks.sum(func(rel, where string) string {
		return fmt.Sprintf("SELECT coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM %s WHERE %s GROUP BY %s HAVING count(*) > 1)",
			rel, where, p.keys())
	})
	if err != nil {
		return 0, fmt.Errorf("count duplicates: %w", err)
	}
	return n, nil
}

// repeats lists the first repeated keys in sort order, each as often as
// it occurs, up to maxPartial: the same list however the keys were
// partitioned (the data's order is not: partitions lose it).
func (p *plan) repeats(vals []any) ([]any, error) {
	ks, err := p.keySet(vals)
	if err != nil {
		return nil, err
	}
	keys := p.keys()
	sel := keys
	if p.e.Type == CompoundUnique {
		sel = "list_value(" + keys + ")"
	}
	inner := func(rel, where string) string {
		return fmt.Sprintf("SELECT %s, count(*) AS __mlpipe_n FROM %s WHERE %s GROUP BY %s HAVING count(*) > 1 ORDER BY %s LIMIT %d",
			keys, rel, where, keys, keys, maxPartial)
	}
	outer := fmt.Sprintf("SELECT %s FROM (SELECT *, unnest(range(__mlpipe_n)) AS __mlpipe_i FROM %%s) ORDER BY %s LIMIT %d",
		sel, keys, maxPartial)
	out, err := ks.first(inner, outer)
	if err != nil {
		return nil, fmt.Errorf("sample repeated values: %w", err)
	}
	return out, nil
}
