package expect

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mlpipe/mlpipe/internal/profile"
)

// Data is the relation a suite runs on.
type Data struct {
	DB *sql.DB
	// Relation is a SQL relation: a table name (quoted) or a table
	// function such as read_parquet('/path/file.parquet').
	Relation string
	// Name is what the report calls the data (its URI).
	Name string
	// Rows is the relation's row count when the caller knows it (a CSV's
	// loader counted them); 0 has Evaluate count them when it needs to.
	Rows int64
}

// Env is what a run needs beside the data.
type Env struct {
	// Now is the reference time for freshness: the pipeline's start time,
	// so a retried or replayed run judges the same data the same way.
	Now time.Time
	// ModTime is the source's modification time, the freshness of data
	// with no timestamp column; zero when the source does not report one.
	ModTime time.Time
	// Reference is the profile expect_column_psi_to_be_less_than compares
	// with; nil skips those expectations.
	Reference *profile.Profile
	// NotNumbers, per text column that is mostly numbers, says which cells
	// are not (the loader knows, from reading the file); a check that
	// needs a number quotes it.
	NotNumbers map[string]string
}

// SuiteError is a suite that does not fit the data: an expectation on a
// missing column, on a column of the wrong type, a row_condition that does
// not bind. It is found before any row is scanned, and lists every problem.
type SuiteError struct {
	Problems []string
}

func (e *SuiteError) Error() string {
	return "the expectation suite does not fit the data: " + strings.Join(e.Problems, "; ")
}

// IsSuiteError reports whether err is (or wraps) a SuiteError.
func IsSuiteError(err error) bool {
	var se *SuiteError
	return errors.As(err, &se)
}

// Evaluate runs every expectation and check on the data. The aggregates of
// every expectation are computed in one scan (a single SELECT with a
// FILTER clause per row_condition); distinct values and keys (uniqueness,
// proportion of unique values, distinct values in a set) are distinct
// counts in that scan when the data's rows fit the engine's memory as
// keys, with a follow-up query only when values repeat, else counted in
// hash partitions of the keys, written once (keyset.go); samples of
// unexpected values are fetched only for expectations that failed, at most
// 20 each.
//
// A suite that does not fit the data returns a *SuiteError before any row
// is read; other errors are the engine's.
func Evaluate(ctx context.Context, d Data, exps []Expectation, checks Checks, env Env) (Report, error) {
	rep, _, err := evaluate(ctx, d, exps, checks, env)
	return rep, err
}

// evaluate is Evaluate, also returning how each expectation was computed.
func evaluate(ctx context.Context, d Data, exps []Expectation, checks Checks, env Env) (rep Report, plans []*plan, err error) {
	if err := ValidateAll(exps); err != nil {
		return Report{}, nil, &SuiteError{Problems: strings.Split(err.Error(), "\n")}
	}
	if err := checks.Validate(); err != nil {
		return Report{}, nil, &SuiteError{Problems: []string{err.Error()}}
	}
	cols, err := describe(ctx, d.DB, "SELECT * FROM "+d.Relation)
	if err != nil {
		return Report{}, nil, fmt.Errorf("read the columns of %s: %w", d.Name, err)
	}
	r := &runner{ctx: ctx, d: d, env: env, cols: cols}
	if err := r.preflight(exps); err != nil {
		return Report{}, nil, err
	}
	if err := r.planKeys(exps); err != nil {
		return Report{}, nil, err
	}
	// Partition files never outlive the run, whatever its outcome.
	defer func() {
		if cerr := r.cleanup(); cerr != nil && err == nil {
			rep, plans, err = Report{}, nil, cerr
		}
	}()
	for i, e := range exps {
		plans = append(plans, r.compile(i, e))
	}
	checkPlans := r.compileChecks(checks)
	r.aggs = append(r.aggs, "count(*)")
	rowsIdx := len(r.aggs) - 1
	vals, err := r.scan()
	if err != nil {
		return Report{}, nil, err
	}
	rep = Report{Meta: ReportMeta{Data: d.Name, Rows: asInt(vals[rowsIdx]), RunTime: env.Now}}
	for _, c := range cols {
		rep.Meta.Columns = append(rep.Meta.Columns, ColumnType{Name: c.name, Type: c.typ})
	}
	for _, p := range plans {
		res, err := p.finish(vals)
		if err != nil {
			return Report{}, nil, fmt.Errorf("%s %s: %w", p.where, p.e.Type, err)
		}
		rep.Results = append(rep.Results, res)
	}
	for _, p := range checkPlans {
		res, err := p(vals)
		if err != nil {
			return Report{}, nil, err
		}
		rep.Results = append(rep.Results, res...)
	}
	rep.tally()
	return rep, plans, nil
}

// column is one column of the data.
type column struct {
	name, typ string
}

func describe(ctx context.Context, db *sql.DB, query string) ([]column, error) {
	rows, err := db.QueryContext(ctx, "DESCRIBE "+query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	names, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out []column
	for rows.Next() {
		dest := make([]any, len(names))
		ptrs := make([]any, len(names))
		for i := range dest {
			ptrs[i] = &dest[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		out = append(out, column{name: fmt.Sprint(dest[0]), typ: fmt.Sprint(dest[1])})
	}
	return out, rows.Err()
}

// runner holds one run: the columns, and the aggregates of the one scan.
type runner struct {
	ctx  context.Context
	d    Data
	env  Env
	cols []column
	aggs []string
	// keysPerQuery is how many distinct keys one query may count; 0 when
	// the data has no more rows than that, and keys are counted in the
	// shared scan (uniqueness.go).
	keysPerQuery int64
	// keySets are the key sets written in hash partitions under tmp, by
	// keys and rows, and gathered numbers the files of per-partition
	// results (keyset.go).
	keySets  map[string]*keySet
	tmp      string
	gathered int
}

// agg adds an aggregate to the scan and returns its position.
// The same aggregate asked for twice (every expectation's element count)
// is computed once.
func (r *runner) agg(expr string) int {
	for i, a := range r.aggs {
		if a == expr {
			return i
		}
	}
	r.aggs = append(r.aggs, expr)
	return len(r.aggs) - 1
}

func (r *runner) col(name string) (column, bool) {
	for _, c := range r.cols {
		if c.name == name {
			return c, true
		}
	}
	return column{}, false
}

func (r *runner) names() string {
	n := make([]string, len(r.cols))
	for i, c := range r.cols {
		n[i] = c.name
	}
	return strings.Join(n, ", ")
}

func (r *runner) scan() ([]any, error) {
	q := "SELECT " + strings.Join(r.aggs, ",\n  ") + "\nFROM " + r.d.Relation
	vals := make([]any, len(r.aggs))
	ptrs := make([]any, len(vals))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := r.d.DB.QueryRowContext(r.ctx, q).Scan(ptrs...); err != nil {
		return nil, fmt.Errorf("scan %s: %w", r.d.Name, err)
	}
	return vals, nil
}

// list runs a query returning one column and returns its values.
func (r *runner) list(q string) ([]any, error) {
	rows, err := r.d.DB.QueryContext(r.ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []any
	for rows.Next() {
		var v any
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, jsonValue(v))
	}
	return out, rows.Err()
}

// one runs a query returning one value.
func (r *runner) one(q string) (any, error) {
	var v any
	if err := r.d.DB.QueryRowContext(r.ctx, q).Scan(&v); err != nil {
		return nil, err
	}
	return v, nil
}
