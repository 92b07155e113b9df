package dataplane

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/mlpipe/mlpipe/internal/frame"
	"github.com/mlpipe/mlpipe/internal/profile"
)

// Profile computes a table's profile in the engine, out of core: per
// column its kind, counts, null rate and distinct values; for float and
// time columns (as Unix seconds) min, max, mean, sample std, 101 quantiles
// with numpy's linear interpolation and counts on decile bins; for string
// columns the 50 most frequent values (ties by value) and the rest's count.
// The caller sets Source and Created.
func (e *Engine) Profile(ctx context.Context, t *Table) (*profile.Profile, error) {
	p := &profile.Profile{Version: profile.Version, Rows: t.Rows, Columns: make([]profile.Column, len(t.Columns))}
	for i, c := range t.Columns {
		pc := profile.Column{Name: c.Name, Kind: c.Kind.String()}
		id := Ident(c.Name)
		distinct := fmt.Sprintf("count(DISTINCT %s)", id)
		if c.Kind == frame.String {
			distinct = "0" // counted with the categories, in one hash table
		}
		if err := e.db.QueryRowContext(ctx, fmt.Sprintf("SELECT count(%s), %s FROM %s", id, distinct, t.Name)).
			Scan(&pc.Count, &pc.Distinct); err != nil {
			return nil, fmt.Errorf("profile %s: column %q: %w", t.Name, c.Name, err)
		}
		pc.Nulls = t.Rows - pc.Count
		if t.Rows > 0 {
			pc.NullRate = float64(pc.Nulls) / float64(t.Rows)
		}
		var err error
		switch c.Kind {
		case frame.Float, frame.Time:
			v := id
			if c.Kind == frame.Time {
				v = fmt.Sprintf("epoch(%s)", id)
			}
			err = e.profileNumeric(ctx, t.Name, v, &pc)
		default:
			err = e.profileCategories(ctx, t.Name, id, &pc)
		}
		if err != nil {
			return nil, fmt.Errorf("profile %s: column %q: %w", t.Name, c.Name, err)
		}
		p.Columns[i] = pc
	}
	return p, nil
}

// profileNumeric fills the moments, quantiles and decile histogram of the
// numeric expression v.
func (e *Engine) profileNumeric(ctx context.Context, table, v string, pc *profile.Column) error {
	if pc.Count == 0 {
		return nil
	}
	var lo, hi sql.NullFloat64
	if err := e.db.QueryRowContext(ctx, fmt.Sprintf("SELECT min(%s), max(%s) FROM %s", v, v, table)).Scan(&lo, &hi); err != nil {
		return err
	}
	pc.Min, pc.Max = ptr(lo), ptr(hi)
	// Moments and quantiles are taken of the values scaled by a power of
	// two into (-2, 2): that changes no bit of the result, and keeps
	// values near ±1.8e308 from overflowing sums and interpolations.
	_, exp := math.Frexp(math.Max(math.Abs(lo.Float64), math.Abs(hi.Float64)))
	scale := math.Ldexp(1, exp-1)
	sv := fmt.Sprintf("(%s / %s)", v, floatLit(scale))
	var mean, std sql.NullFloat64
	q := fmt.Sprintf("SELECT avg(%s), stddev_samp(%s) FROM %s", sv, sv, table)
	if err := e.db.QueryRowContext(ctx, q).Scan(&mean, &std); err != nil {
		return err
	}
	pc.Mean, pc.Std = finite(mean, scale), finite(std, scale)
	qs, err := e.quantiles(ctx, table, sv, pc.Count)
	if err != nil {
		return err
	}
	for i := range qs {
		qs[i] *= scale
	}
	pc.Quantiles = qs
	step := (profile.QuantileProbs - 1) / profile.Bins
	for i := 0; i <= profile.Bins; i++ {
		edge := pc.Quantiles[i*step]
		if len(pc.Edges) == 0 || edge != pc.Edges[len(pc.Edges)-1] {
			pc.Edges = append(pc.Edges, edge)
		}
	}
	if len(pc.Edges) == 1 {
		// One value: a single closed bin [v, v], as the drift monitor reads it.
		pc.Counts = []int64{pc.Count}
		return nil
	}
	bins := len(pc.Edges) - 1
	var cases strings.Builder
	cases.WriteString("CASE")
	for i := 1; i < bins; i++ {
		fmt.Fprintf(&cases, " WHEN %s < %s THEN %d", v, floatLit(pc.Edges[i]), i-1)
	}
	fmt.Fprintf(&cases, " ELSE %d END", bins-1)
	rows, err := e.db.QueryContext(ctx, fmt.Sprintf("SELECT %s AS b, count(*) FROM %s WHERE %s IS NOT NULL GROUP BY b",
		cases.String(), table, v))
	if err != nil {
		return err
	}
	defer func() { _ = rows.Close() }()
	pc.Counts = make([]int64, bins)
	for rows.Next() {
		var b int
		var n int64
		if err := rows.Scan(&b, &n); err != nil {
			return err
		}
		pc.Counts[b] = n
	}
	return rows.Err()
}

// profileCategories fills the top categories of a string column.
func (e *Engine) profileCategories(ctx context.Context, table, id string, pc *profile.Column) error {
	rows, err := e.db.QueryContext(ctx, fmt.Sprintf(
		"SELECT %s AS v, count(*) AS n, count(*) OVER () FROM %s WHERE %s IS NOT NULL GROUP BY v ORDER BY n DESC, v ASC LIMIT %d",
		id, table, id, profile.TopCategories))
	if err != nil {
		return err
	}
	defer func() { _ = rows.Close() }()
	var top int64
	for rows.Next() {
		var c profile.Category
		if err := rows.Scan(&c.Value, &c.Count, &pc.Distinct); err != nil {
			return err
		}
		top += c.Count
		pc.Categories = append(pc.Categories, c)
	}
	pc.OtherCount = pc.Count - top
	return rows.Err()
}

// floatLit is x as a SQL DOUBLE that reads back to the same bits.
func floatLit(x float64) string {
	return "CAST('" + strconv.FormatFloat(x, 'g', -1, 64) + "' AS DOUBLE)"
}

// finite is v×scale, or nil when v is NULL or the product is beyond
// float64 (a std of values spread over ±1e308): JSON has no infinity.
func finite(v sql.NullFloat64, scale float64) *float64 {
	if !v.Valid || math.IsInf(v.Float64*scale, 0) || math.IsNaN(v.Float64) {
		return nil
	}
	f := v.Float64 * scale
	return &f
}

func ptr(v sql.NullFloat64) *float64 {
	if !v.Valid {
		return nil
	}
	f := v.Float64
	return &f
}

// quantiles are the QuantileProbs quantiles of the n non-null values of v,
// as numpy.quantile computes them by default (linear interpolation between
// the order statistics around (n-1)p, p = i × 0.01 as numpy.linspace makes
// them). One sort fetches every order statistic needed: the engine's own
// quantile_cont makes a pass per probability, a hundred times slower.
func (e *Engine) quantiles(ctx context.Context, table, v string, n int64) ([]float64, error) {
	type at struct {
		lo int64
		t  float64
	}
	step := 1 / float64(profile.QuantileProbs-1)
	ats := make([]at, profile.QuantileProbs)
	need := map[int64]bool{}
	var ranks []string
	for i := range ats {
		p := float64(i) * step
		if i == profile.QuantileProbs-1 {
			p = 1
		}
		h := float64(n-1) * p
		lo := int64(math.Floor(h))
		ats[i] = at{lo: lo, t: h - float64(lo)}
		for _, k := range []int64{lo, min(lo+1, n-1)} {
			if !need[k] {
				need[k] = true
				ranks = append(ranks, strconv.FormatInt(k+1, 10))
			}
		}
	}
	rows, err := e.db.QueryContext(ctx, fmt.Sprintf(
		"SELECT rn - 1, x FROM (SELECT %s AS x, row_number() OVER (ORDER BY %s) AS rn FROM %s WHERE %s IS NOT NULL) WHERE rn IN (%s)",
		v, v, table, v, strings.Join(ranks, ", ")))
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }()
	stat := make(map[int64]float64, len(ranks))
	for rows.Next() {
		var k int64
		var x float64
		if err := rows.Scan(&k, &x); err != nil {
			return nil, err
		}
		stat[k] = x
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]float64, len(ats))
	for i, a := range ats {
		lo, hi := stat[a.lo], stat[min(a.lo+1, n-1)]
		// numpy's lerp: exact at both ends, and symmetric.
		d := hi - lo
		switch {
		case a.t == 0:
			out[i] = lo
		case a.t >= 0.5:
			out[i] = hi - d*(1-a.t)
		default:
			out[i] = lo + d*a.t
		}
	}
	return out, nil
}
