package expect

import (
	"fmt"
	"strconv"
	"strings"
)

// bytesPerKey is the engine memory one distinct key of a uniqueness check
// is given: a pass counts at most memory_limit / bytesPerKey keys, held in
// memory. DuckDB's grouped and distinct aggregates spill past
// memory_limit, but not without bound (100M distinct keys at 1 GB run out
// of memory), so more keys are counted in hash partitions, one pass each.
const bytesPerKey = 100

// planUniqueness decides how uniqueness is counted: by distinct counts in
// the shared scan when every key fits in memory at once (a grouped query
// follows only when values repeat), else by duplicates counted over hash
// partitions of the keys, each small enough to fit.
func (r *runner) planUniqueness(exps []Expectation) error {
	need := false
	for _, e := range exps {
		need = need || e.Type == ValuesUnique || e.Type == CompoundUnique
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
	perPass := memoryBytes(limit) / bytesPerKey
	if perPass <= 0 || rows <= perPass {
		return nil
	}
	r.uniqueParts = int((rows + perPass - 1) / perPass)
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

// compileUnique adds a uniqueness check's distinct count to the shared
// scan, unless its keys are counted in partitions.
func (r *runner) compileUnique(p *plan) {
	if r.uniqueParts > 0 {
		return
	}
	key := ident(p.e.Column)
	if p.e.Type == CompoundUnique {
		key = "row(" + p.keys() + ")"
	}
	p.at["distinct"] = r.agg(filtered("count(DISTINCT "+key+")", and(p.filter, "NOT ("+p.nulls+")")))
}

// duplicates counts every row whose value occurs more than once: as in
// Great Expectations, each occurrence of a repeated value is unexpected.
// When the scan counted as many distinct values as values, there are none
// and the data is not read again.
func (p *plan) duplicates(vals []any, nonmissing int64) (int64, error) {
	where := and(p.filter, "NOT ("+p.nulls+")")
	if i, ok := p.at["distinct"]; ok {
		if asInt(vals[i]) == nonmissing {
			return 0, nil
		}
		return p.countRepeats(where)
	}
	parts := p.r.uniqueParts
	var total int64
	for k := 0; k < parts; k++ {
		n, err := p.countRepeats(and(where, fmt.Sprintf("hash(%s) %% %d = %d", p.keys(), parts, k)))
		if err != nil {
			return 0, fmt.Errorf("partition %d of %d: %w", k+1, parts, err)
		}
		total += n
	}
	return total, nil
}

// countRepeats counts the rows where cond holds whose keys repeat.
func (p *plan) countRepeats(cond string) (int64, error) {
	q := fmt.Sprintf("SELECT coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM %s WHERE %s GROUP BY %s HAVING count(*) > 1)",
		p.r.d.Relation, cond, p.keys())
	v, err := p.r.one(q)
	if err != nil {
		return 0, fmt.Errorf("count duplicates: %w", err)
	}
	return asInt(v), nil
}
