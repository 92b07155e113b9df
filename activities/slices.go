package activities

import (
	"fmt"
	"strconv"

	"github.com/mlpipe/mlpipe/internal/frame"
	"github.com/mlpipe/mlpipe/internal/metrics"
	"github.com/mlpipe/mlpipe/internal/spec"
)

// sliceReports scores each value (or bucket) of each slice column.
func sliceReports(raw *frame.Frame, specs []spec.Slice, y, proba []float64, threshold float64) ([]SliceReport, error) {
	var out []SliceReport
	for _, s := range specs {
		groups, err := sliceGroups(raw, s)
		if err != nil {
			return nil, err
		}
		rows, err := metrics.Slices(y, proba, threshold, groups)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			out = append(out, SliceReport{Column: s.Column, Value: r.Group, Rows: r.Rows, Report: &r.Report})
		}
	}
	return out, nil
}

// multiClassSliceReports is sliceReports for a multi-class model.
func multiClassSliceReports(raw *frame.Frame, specs []spec.Slice, y []float64, proba [][]float64, classes []string) ([]SliceReport, error) {
	var out []SliceReport
	for _, s := range specs {
		groups, err := sliceGroups(raw, s)
		if err != nil {
			return nil, err
		}
		rows, err := metrics.MultiClassSlices(y, proba, classes, groups)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			out = append(out, SliceReport{Column: s.Column, Value: r.Group, Rows: r.Rows, Multiclass: &r.Report})
		}
	}
	return out, nil
}

// sliceGroups names the slice of every row: the value itself, or for
// bucketed numeric columns "[lo, hi)"; missing values are "(null)".
func sliceGroups(raw *frame.Frame, s spec.Slice) ([]string, error) {
	c, ok := raw.Col(s.Column)
	if !ok {
		return nil, fmt.Errorf("column %q is not in the test data (columns: %v)", s.Column, raw.Names())
	}
	if c.Kind == frame.Float && len(s.Buckets) == 0 {
		return nil, fmt.Errorf("column %q is numeric: give buckets, e.g. {column: %s, buckets: [0, 30, 50, 150]}", s.Column, s.Column)
	}
	out := make([]string, raw.NumRows())
	for i := range out {
		switch {
		case c.Null[i]:
			out[i] = "(null)"
		case len(s.Buckets) > 0 && c.Kind == frame.Float:
			out[i] = bucket(c.Floats[i], s.Buckets)
		default:
			out[i] = c.Format(i)
		}
	}
	return out, nil
}

func bucket(v float64, edges []float64) string {
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	if v < edges[0] {
		return "< " + f(edges[0])
	}
	for i := 1; i < len(edges); i++ {
		if v < edges[i] {
			return "[" + f(edges[i-1]) + ", " + f(edges[i]) + ")"
		}
	}
	return ">= " + f(edges[len(edges)-1])
}
