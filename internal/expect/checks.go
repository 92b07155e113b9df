package expect

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/mlpipe/mlpipe/internal/frame"
)

// Checks are mlpipe's table-level checks from the seed playbook, run beside
// the expectations.
type Checks struct {
	// Schema maps a column to the kind it must have ("float", "string",
	// "time", or any spelling frame.ParseKind accepts).
	Schema map[string]string `yaml:"schema,omitempty" json:"schema,omitempty"`
	// Completeness bounds the fraction of nulls per column.
	Completeness *Completeness `yaml:"completeness,omitempty" json:"completeness,omitempty"`
	// Freshness bounds the age of the newest timestamp in a column.
	Freshness *Freshness `yaml:"freshness,omitempty" json:"freshness,omitempty"`
}

// Completeness fails a column whose null fraction exceeds its bound.
type Completeness struct {
	// MaxNullFraction applies to every column not listed in Columns.
	MaxNullFraction float64 `yaml:"max_null_fraction" json:"max_null_fraction"`
	// Columns overrides the bound per column.
	Columns map[string]float64 `yaml:"columns,omitempty" json:"columns,omitempty"`
}

// Freshness fails when the newest value of Column is older than MaxAge.
type Freshness struct {
	Column string `yaml:"column" json:"column"`
	// MaxAge is a Go duration such as "72h" or "720h".
	MaxAge string `yaml:"max_age" json:"max_age"`
}

// The check names used in Result.Expectation.
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
		if c.Freshness.Column == "" {
			problems = append(problems, "freshness.column is required: name a timestamp column")
		}
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

func runSchema(f *frame.Frame, schema map[string]string) []Result {
	var out []Result
	for _, name := range sortedKeys(schema) {
		r := Result{Expectation: CheckSchema, Column: name, ElementCount: f.NumRows()}
		want, err := frame.ParseKind(schema[name])
		c, ok := f.Col(name)
		switch {
		case err != nil:
			r.Observed = err.Error()
		case !ok:
			r.Observed = fmt.Sprintf("expected %s column, but it is missing (columns: %s)", want, strings.Join(f.Names(), ", "))
		case c.Kind != want:
			r.Observed = fmt.Sprintf("expected %s, got %s", want, c.Kind)
			if want == frame.Float {
				if why := frame.NotNumbers(c); why != "" {
					r.Observed += fmt.Sprintf(": %s; or change validation.schema.%s", why, name)
				}
			}
		default:
			r.Success = true
			r.Observed = want.String()
		}
		out = append(out, r)
	}
	return out
}

func runCompleteness(f *frame.Frame, c *Completeness) []Result {
	var out []Result
	for _, col := range f.Columns() {
		bound, ok := c.Columns[col.Name]
		if !ok {
			bound = c.MaxNullFraction
		}
		out = append(out, completenessResult(col, bound))
	}
	// An override for a column the data lacks is most likely a typo or a
	// dropped column; either way the user asked about it.
	for _, name := range sortedKeys(c.Columns) {
		if _, ok := f.Col(name); !ok {
			out = append(out, missingColumn(CheckCompleteness, name, f))
		}
	}
	return out
}

func completenessResult(col *frame.Column, bound float64) Result {
	n := col.Len()
	nulls := col.NullCount()
	r := Result{Expectation: CheckCompleteness, Column: col.Name, ElementCount: n, UnexpectedCount: nulls}
	frac := 0.0
	if n > 0 {
		frac = float64(nulls) / float64(n)
	}
	r.UnexpectedPercent = 100 * frac
	r.Success = frac <= bound
	op := "<="
	if !r.Success {
		op = ">"
	}
	r.Observed = fmt.Sprintf("null fraction %s %s %s", fmtFrac(frac), op, fmtFrac(bound))
	return r
}

func runFreshness(f *frame.Frame, fr *Freshness, now time.Time) Result {
	r := Result{Expectation: CheckFreshness, Column: fr.Column, ElementCount: f.NumRows()}
	maxAge, err := fr.maxAge()
	if err != nil {
		r.Observed = err.Error()
		return r
	}
	c, ok := f.Col(fr.Column)
	if !ok {
		return missingColumn(CheckFreshness, fr.Column, f)
	}
	if c.Kind != frame.Time {
		r.Observed = fmt.Sprintf("column is %s, freshness needs a time column", c.Kind)
		return r
	}
	var newest time.Time
	found := false
	for i, t := range c.Times {
		if !c.Null[i] && (!found || t.After(newest)) {
			newest, found = t, true
		}
	}
	if !found {
		r.Observed = "no non-null timestamps"
		return r
	}
	age := now.Sub(newest)
	r.Success = age <= maxAge
	op := "<="
	if !r.Success {
		op = ">"
	}
	r.Observed = fmt.Sprintf("newest %s is %s old %s %s", newest.UTC().Format(time.RFC3339), fmtDuration(age), op, fmtDuration(maxAge))
	return r
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
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

func fmtFrac(f float64) string {
	return fmt.Sprintf("%.4g", f)
}
