package gen

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
)

// Drift kinds: what a drifted window of data or traffic looks like.
const (
	// DriftMeanShift adds AMOUNT standard deviations (of the column as
	// generated) to every value of a numeric column.
	DriftMeanShift = "mean_shift"
	// DriftNewCategory replaces a share AMOUNT of a string column's values
	// with a category the reference never saw (DriftUnseenValue).
	DriftNewCategory = "new_category"
	// DriftNulls empties a share AMOUNT of a column's values.
	DriftNulls = "nulls"
	// DriftLabelShift moves AMOUNT percentage points of rows to the
	// positive label (negative AMOUNT: away from it).
	DriftLabelShift = "label_shift"
)

// DriftKinds lists the kinds in the order usage texts name them.
var DriftKinds = []string{DriftMeanShift, DriftNewCategory, DriftNulls, DriftLabelShift}

// DriftUnseenValue is the category DriftNewCategory writes.
const DriftUnseenValue = "unseen"

// DriftUsage is the syntax of a drift, for flag help and errors.
const DriftUsage = "KIND:AMOUNT[:COLUMN] with KIND mean_shift (AMOUNT in standard deviations, -100 to 100), " +
	"new_category (share of rows, 0 to 1), nulls (share of rows, 0 to 1) or label_shift (percentage points, -100 to 100)"

// Drift is one change applied to generated data.
type Drift struct {
	Kind   string
	Amount float64
	// Column is the column changed; empty picks a default (DefaultColumn).
	Column string
}

func (d Drift) String() string {
	s := d.Kind + ":" + strconv.FormatFloat(d.Amount, 'g', -1, 64)
	if d.Column != "" {
		s += ":" + d.Column
	}
	return s
}

// ParseDrift reads KIND:AMOUNT or KIND:AMOUNT:COLUMN and checks the amount
// against the kind's range.
func ParseDrift(s string) (Drift, error) {
	parts := strings.SplitN(s, ":", 3)
	if len(parts) < 2 || parts[0] == "" || parts[1] == "" {
		return Drift{}, fmt.Errorf("drift %q: want %s", s, DriftUsage)
	}
	d := Drift{Kind: parts[0]}
	if len(parts) == 3 {
		d.Column = parts[2]
	}
	v, err := strconv.ParseFloat(parts[1], 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return Drift{}, fmt.Errorf("drift %q: amount %q is not a number; want %s", s, parts[1], DriftUsage)
	}
	d.Amount = v
	if err := d.Validate(); err != nil {
		return Drift{}, fmt.Errorf("drift %q: %w", s, err)
	}
	return d, nil
}

// Validate checks the kind and the amount's range.
func (d Drift) Validate() error {
	switch d.Kind {
	case DriftMeanShift:
		if d.Amount == 0 || math.Abs(d.Amount) > 100 {
			return fmt.Errorf("mean_shift amount %g: want standard deviations from -100 to 100, not 0", d.Amount)
		}
	case DriftNewCategory, DriftNulls:
		if d.Amount <= 0 || d.Amount > 1 {
			return fmt.Errorf("%s amount %g: want a share of rows above 0 and at most 1 (0.2 is 20%%)", d.Kind, d.Amount)
		}
	case DriftLabelShift:
		if d.Amount == 0 || math.Abs(d.Amount) > 100 {
			return fmt.Errorf("label_shift amount %g: want percentage points from -100 to 100, not 0 (5 is +5 points)", d.Amount)
		}
	default:
		return fmt.Errorf("unknown drift kind %q: want one of %s", d.Kind, strings.Join(DriftKinds, ", "))
	}
	return nil
}

// DriftOptions say which column is the label and what a positive label is.
type DriftOptions struct {
	// Label is the label column; label_shift needs it, and the other kinds
	// never pick it by default.
	Label string
	// Positive and Negative are the label's two values.
	Positive, Negative string
	// Seed makes the rows chosen reproducible.
	Seed int64
}

// ChurnDriftOptions are the options for data written by Churn.
func ChurnDriftOptions(seed int64) DriftOptions {
	return DriftOptions{Label: "churned", Positive: "yes", Negative: "no", Seed: seed}
}

// ApplyDrift changes rows (CSV records under header, values as text, ""
// for null) in place, one drift after the other.
func ApplyDrift(header []string, rows [][]string, drifts []Drift, o DriftOptions) error {
	rng := rand.New(rand.NewPCG(uint64(o.Seed), 0x6472696674)) // "drift"
	var errs []error
	for _, d := range drifts {
		if err := applyOne(header, rows, d, o, rng); err != nil {
			errs = append(errs, fmt.Errorf("drift %s: %w", d, err))
		}
	}
	return errors.Join(errs...)
}

func applyOne(header []string, rows [][]string, d Drift, o DriftOptions, rng *rand.Rand) error {
	if err := d.Validate(); err != nil {
		return err
	}
	col := d.Column
	if col == "" {
		var err error
		if col, err = DefaultColumn(header, rows, d.Kind, o.Label); err != nil {
			return err
		}
	}
	j := indexOf(header, col)
	if j < 0 {
		return fmt.Errorf("column %q is not in the data; it has %s", col, strings.Join(header, ", "))
	}
	switch d.Kind {
	case DriftMeanShift:
		vals, ok := numbers(rows, j)
		if !ok {
			return fmt.Errorf("column %q is not numeric: mean_shift needs a numeric column", col)
		}
		shift := d.Amount * stddev(vals)
		for _, r := range rows {
			if v, err := strconv.ParseFloat(r[j], 64); err == nil {
				r[j] = strconv.FormatFloat(math.Round((v+shift)*1e4)/1e4, 'f', -1, 64)
			}
		}
	case DriftNewCategory:
		if _, ok := numbers(rows, j); ok {
			return fmt.Errorf("column %q is numeric: new_category needs a string column", col)
		}
		for _, r := range rows {
			if rng.Float64() < d.Amount {
				r[j] = DriftUnseenValue
			}
		}
	case DriftNulls:
		for _, r := range rows {
			if rng.Float64() < d.Amount {
				r[j] = ""
			}
		}
	case DriftLabelShift:
		return shiftLabel(rows, j, col, d.Amount, o, rng)
	}
	return nil
}

// shiftLabel moves pp percentage points of all rows from one label to the
// other, choosing rows at random among those with the other label.
func shiftLabel(rows [][]string, j int, col string, pp float64, o DriftOptions, rng *rand.Rand) error {
	if o.Positive == "" || (pp < 0 && o.Negative == "") {
		return fmt.Errorf("label_shift on %q: the label's positive (and, to shift away from it, negative) value is not known", col)
	}
	// Towards the positive label, any other label moves; away from it,
	// positive rows become negative.
	to, from := o.Positive, "any label but "+o.Positive
	moves := func(v string) bool { return v != "" && v != o.Positive }
	if pp < 0 {
		to, from = o.Negative, o.Positive
		moves = func(v string) bool { return v == o.Positive }
	}
	var idx []int
	for i, r := range rows {
		if moves(r[j]) {
			idx = append(idx, i)
		}
	}
	want := int(math.Round(math.Abs(pp) / 100 * float64(len(rows))))
	if want > len(idx) {
		return fmt.Errorf("label_shift %g on %q: only %d of %d rows have %s, fewer than the %d to move",
			pp, col, len(idx), len(rows), from, want)
	}
	rng.Shuffle(len(idx), func(a, b int) { idx[a], idx[b] = idx[b], idx[a] })
	for _, i := range idx[:want] {
		rows[i][j] = to
	}
	return nil
}

// DefaultColumn is the column a drift without one changes: the label for
// label_shift; else the first feature column of the right type (numeric
// for mean_shift, string for new_category, any for nulls), never the
// label and never an identifier (a string column whose values are all
// distinct).
func DefaultColumn(header []string, rows [][]string, kind, label string) (string, error) {
	if kind == DriftLabelShift {
		if label == "" {
			return "", errors.New("label_shift needs the label column: name it")
		}
		return label, nil
	}
	for j, c := range header {
		if c == label || isIdentifier(rows, j) {
			continue
		}
		_, numeric := numbers(rows, j)
		switch {
		case kind == DriftMeanShift && numeric, kind == DriftNewCategory && !numeric, kind == DriftNulls:
			return c, nil
		}
	}
	return "", fmt.Errorf("no column fits %s; name one", kind)
}

func isIdentifier(rows [][]string, j int) bool {
	if _, numeric := numbers(rows, j); numeric || len(rows) < 2 {
		return false
	}
	seen := make(map[string]struct{}, len(rows))
	for _, r := range rows {
		if _, dup := seen[r[j]]; dup {
			return false
		}
		seen[r[j]] = struct{}{}
	}
	return true
}

// numbers returns column j's values; ok is false when a non-empty cell is
// not a number or no cell is.
func numbers(rows [][]string, j int) ([]float64, bool) {
	var out []float64
	for _, r := range rows {
		if r[j] == "" {
			continue
		}
		v, err := strconv.ParseFloat(r[j], 64)
		if err != nil {
			return nil, false
		}
		out = append(out, v)
	}
	return out, len(out) > 0
}

func stddev(v []float64) float64 {
	if len(v) < 2 {
		return 0
	}
	var mean float64
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	var ss float64
	for _, x := range v {
		ss += (x - mean) * (x - mean)
	}
	return math.Sqrt(ss / float64(len(v)-1))
}

func indexOf(xs []string, s string) int {
	for i, x := range xs {
		if x == s {
			return i
		}
	}
	return -1
}

// DriftCSV reads CSV with a header row from in, applies drifts and writes
// the result to out.
func DriftCSV(in io.Reader, out io.Writer, drifts []Drift, o DriftOptions) error {
	recs, err := csv.NewReader(in).ReadAll()
	if err != nil {
		return fmt.Errorf("read CSV to drift: %w", err)
	}
	if len(recs) == 0 {
		return errors.New("read CSV to drift: no header row")
	}
	header, rows := recs[0], recs[1:]
	if err := ApplyDrift(header, rows, drifts, o); err != nil {
		return err
	}
	return writeCSV(out, "drifted", header, len(rows), func(i int, rec []string) { copy(rec, rows[i]) })
}
