package expect

import (
	"fmt"
	"strings"
	"time"

	"github.com/mlpipe/mlpipe/internal/frame"
)

// Checks are mlpipe's table-level checks from the seed playbook, run beside
// the expectations, in the same scan.
type Checks struct {
	// Schema maps a column to the kind it must have ("float", "string",
	// "time", or any spelling frame.ParseKind accepts).
	Schema map[string]string `yaml:"schema,omitempty" json:"schema,omitempty"`
	// Completeness bounds the fraction of nulls per column.
	Completeness *Completeness `yaml:"completeness,omitempty" json:"completeness,omitempty"`
	// Freshness bounds the age of the data.
	Freshness *Freshness `yaml:"freshness,omitempty" json:"freshness,omitempty"`
}

// Completeness fails a column whose null fraction exceeds its bound.
type Completeness struct {
	// MaxNullFraction applies to every column not listed in Columns.
	MaxNullFraction float64 `yaml:"max_null_fraction" json:"max_null_fraction"`
	// Columns overrides the bound per column.
	Columns map[string]float64 `yaml:"columns,omitempty" json:"columns,omitempty"`
}

// Freshness fails when the data is older than MaxAge: the newest value of
// Column, or, with no Column, the source's modification time (a file's
// mtime, an S3 object's LastModified, an HTTP Last-Modified).
type Freshness struct {
	Column string `yaml:"column,omitempty" json:"column,omitempty"`
	// MaxAge is a Go duration such as "72h" or "720h".
	MaxAge string `yaml:"max_age" json:"max_age"`
}

// The check names used as the expectation type of their results.
const (
	CheckSchema       = "schema"
	CheckCompleteness = "completeness"
	CheckFreshness    = "freshness"
)

// Validate reports malformed checks, naming the field to fix.
func (c Checks) Validate() error {
	var problems []string
	for _, col := range sortedKeys(c.Schema) {
		if _, err := frame.ParseKind(c.Schema[col]); err != nil {
			problems = append(problems, fmt.Sprintf("schema.%s: %v", col, err))
		}
	}
	if c.Completeness != nil {
		if f := c.Completeness.MaxNullFraction; f < 0 || f > 1 {
			problems = append(problems, fmt.Sprintf("completeness.max_null_fraction must be in [0, 1], got %g", f))
		}
		for _, col := range sortedKeys(c.Completeness.Columns) {
			if f := c.Completeness.Columns[col]; f < 0 || f > 1 {
				problems = append(problems, fmt.Sprintf("completeness.columns.%s must be in [0, 1], got %g", col, f))
			}
		}
	}
	if c.Freshness != nil {
		if _, err := c.Freshness.maxAge(); err != nil {
			problems = append(problems, err.Error())
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("checks: %s", strings.Join(problems, "; "))
	}
	return nil
}

func (f Freshness) maxAge() (time.Duration, error) {
	d, err := time.ParseDuration(f.MaxAge)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("freshness.max_age %q must be a positive Go duration such as 72h or 720h", f.MaxAge)
	}
	return d, nil
}

// checkPlan turns the scan's values into a check's results.
type checkPlan func(vals []any) ([]Result, error)

func checkResult(name, where string, kw map[string]any) Result {
	return Result{Where: where, Config: Config{Type: name, Kwargs: kw, Meta: ConfigMeta{Severity: SeverityError}}}
}

func (r *runner) compileChecks(c Checks) []checkPlan {
	var out []checkPlan
	if len(c.Schema) > 0 {
		out = append(out, r.schema(c.Schema))
	}
	if c.Completeness != nil {
		out = append(out, r.completeness(c.Completeness))
	}
	if c.Freshness != nil {
		out = append(out, r.freshness(c.Freshness))
	}
	return out
}

var kindFamily = map[frame.Kind]string{frame.Float: "numeric", frame.String: "string", frame.Time: "time"}

func (r *runner) schema(schema map[string]string) checkPlan {
	return func([]any) ([]Result, error) {
		var out []Result
		for _, name := range sortedKeys(schema) {
			res := checkResult(CheckSchema, "validation.schema."+name, map[string]any{"column": name, "kind": schema[name]})
			want, _ := frame.ParseKind(schema[name]) // Validate refused bad kinds
			c, ok := r.col(name)
			switch {
			case !ok:
				res.Message = fmt.Sprintf("expected %s column, but it is missing (columns: %s)", want, r.names())
			case sqlFamily(c.typ) != kindFamily[want]:
				res.Result.ObservedValue = c.typ
				res.Message = fmt.Sprintf("expected %s, got %s", want, kindName(c.typ))
				if want == frame.Float && sqlFamily(c.typ) == "string" {
					why, err := r.notNumbers(name)
					if err != nil {
						return nil, err
					}
					if why != "" {
						res.Message += fmt.Sprintf(": %s; or change validation.schema.%s", why, name)
					}
				}
			default:
				res.Success = true
				res.Result.ObservedValue = c.typ
				res.Message = want.String()
			}
			out = append(out, res)
		}
		return out, nil
	}
}

// kindName names a SQL type as mlpipe's kinds do where one fits.
func kindName(sqlType string) string {
	switch sqlFamily(sqlType) {
	case "numeric":
		return "float"
	case "string":
		return "string"
	case "time":
		return "time"
	}
	return strings.ToLower(sqlType)
}

// notNumbers says which cells keep a text column from being numeric, in
// frame.NotNumbers' words: "" for a column none of whose cells is a number.
func (r *runner) notNumbers(name string) (string, error) {
	if r.env.NotNumbers != nil {
		// The loader read every cell and knows; trust it.
		return r.env.NotNumbers[name], nil
	}
	c := ident(name)
	bad := "TRY_CAST(" + c + " AS DOUBLE) IS NULL"
	var nBad, total int64
	q := fmt.Sprintf("SELECT count(*) FILTER (WHERE %s AND %s IS NOT NULL), count(%s) FROM %s", bad, c, c, r.d.Relation)
	if err := r.d.DB.QueryRowContext(r.ctx, q).Scan(&nBad, &total); err != nil {
		return "", fmt.Errorf("column %s: count non-numbers: %w", name, err)
	}
	if nBad == 0 || nBad == total {
		return "", nil
	}
	rows, err := r.d.DB.QueryContext(r.ctx, fmt.Sprintf(
		"SELECT __mlpipe_row, CAST(%s AS VARCHAR) FROM (SELECT row_number() OVER () AS __mlpipe_row, * FROM %s) WHERE %s IS NOT NULL AND %s ORDER BY 1 LIMIT %d",
		c, r.d.Relation, c, bad, maxShown))
	if err != nil {
		return "", fmt.Errorf("column %s: find non-numbers: %w", name, err)
	}
	defer rows.Close()
	var shown []string
	for rows.Next() {
		var row int64
		var v string
		if err := rows.Scan(&row, &v); err != nil {
			return "", fmt.Errorf("column %s: find non-numbers: %w", name, err)
		}
		shown = append(shown, fmt.Sprintf("row %d %q", row, v))
	}
	if err := rows.Err(); err != nil {
		return "", fmt.Errorf("column %s: find non-numbers: %w", name, err)
	}
	more := ""
	if nBad > int64(len(shown)) {
		more = ", ..."
	}
	return fmt.Sprintf("%d of its %d values are not numbers (%s%s); if they mean missing, write them as %s",
		nBad, total, strings.Join(shown, ", "), more, frame.NullTokensText), nil
}

// maxShown bounds the cells a not-numbers hint quotes, as frame's does.
const maxShown = 3

func (r *runner) completeness(c *Completeness) checkPlan {
	nulls := make([]int, len(r.cols))
	for i, col := range r.cols {
		nulls[i] = r.agg("count(*) - count(" + ident(col.name) + ")")
	}
	rows := r.agg("count(*)")
	return func(vals []any) ([]Result, error) {
		var out []Result
		n := asInt(vals[rows])
		for i, col := range r.cols {
			bound, ok := c.Columns[col.name]
			where := "validation.completeness.columns." + col.name
			if !ok {
				bound, where = c.MaxNullFraction, "validation.completeness.max_null_fraction"
			}
			res := checkResult(CheckCompleteness, where, map[string]any{"column": col.name, "max_null_fraction": bound})
			missing := asInt(vals[nulls[i]])
			frac := 0.0
			if n > 0 {
				frac = float64(missing) / float64(n)
			}
			pct := 100 * frac
			res.Result.ElementCount, res.Result.UnexpectedCount, res.Result.UnexpectedPercent = &n, &missing, &pct
			res.Result.ObservedValue = frac
			res.Success = frac <= bound
			op := "<="
			if !res.Success {
				op = ">"
			}
			res.Message = fmt.Sprintf("null fraction %s %s %s", fmtFrac(frac), op, fmtFrac(bound))
			out = append(out, res)
		}
		// An override for a column the data lacks is most likely a typo or a
		// dropped column; either way the user asked about it.
		for _, name := range sortedKeys(c.Columns) {
			if _, ok := r.col(name); !ok {
				res := checkResult(CheckCompleteness, "validation.completeness.columns."+name, map[string]any{"column": name, "max_null_fraction": c.Columns[name]})
				res.Message = fmt.Sprintf("column not found (columns: %s)", r.names())
				out = append(out, res)
			}
		}
		return out, nil
	}
}

func (r *runner) freshness(f *Freshness) checkPlan {
	maxAge, _ := f.maxAge() // Validate refused a bad one
	kw := map[string]any{"max_age": f.MaxAge}
	if f.Column != "" {
		kw["column"] = f.Column
	}
	res := checkResult(CheckFreshness, "validation.freshness", kw)
	now := r.env.Now
	if now.IsZero() {
		now = time.Now()
	}
	judge := func(newest time.Time, what string) []Result {
		age := now.Sub(newest)
		res.Success = age <= maxAge
		op := "<="
		if !res.Success {
			op = ">"
		}
		res.Result.ObservedValue = newest.UTC().Format(time.RFC3339)
		res.Message = fmt.Sprintf("%s %s is %s old %s %s", what, newest.UTC().Format(time.RFC3339), fmtDuration(age), op, fmtDuration(maxAge))
		return []Result{res}
	}
	if f.Column == "" {
		return func([]any) ([]Result, error) {
			if r.env.ModTime.IsZero() {
				res.Message = "the source reports no modification time: name a timestamp column in validation.freshness.column"
				return []Result{res}, nil
			}
			return judge(r.env.ModTime, "source modified"), nil
		}
	}
	c, ok := r.col(f.Column)
	if !ok {
		return func([]any) ([]Result, error) {
			res.Message = fmt.Sprintf("column not found (columns: %s)", r.names())
			return []Result{res}, nil
		}
	}
	if sqlFamily(c.typ) != "time" {
		return func([]any) ([]Result, error) {
			res.Message = fmt.Sprintf("column is %s, freshness needs a time column (or no column, to use the source's modification time)", kindName(c.typ))
			return []Result{res}, nil
		}
	}
	at := r.agg("max(" + ident(f.Column) + ")")
	return func(vals []any) ([]Result, error) {
		newest, ok := vals[at].(time.Time)
		if !ok {
			res.Message = "no non-null timestamps"
			return []Result{res}, nil
		}
		return judge(newest, "newest"), nil
	}
}

// fmtDuration drops the zero tails of time.Duration.String: 400h, not 400h0m0s.
func fmtDuration(d time.Duration) string {
	s := d.Round(time.Second).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
