package metrics

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
)

// MultiEvaluation is the full evaluation of a multi-class classifier on one
// sample. The threshold sweep, calibration and precision–recall curve are
// binary notions and are left out; ROC is drawn one-vs-rest per class.
type MultiEvaluation struct {
	Report   MultiReport `json:"report"`
	PerClass []ClassRow  `json:"per_class"`
	// ROC holds each class's one-vs-rest curve, in class order.
	ROC       []ClassCurve        `json:"roc_ovr"`
	Intervals map[string]Interval `json:"intervals,omitempty"`
}

// ClassCurve is one class's one-vs-rest curve. Points is nil and AUC NaN
// (null in JSON) when the class has no row, or every row, in the labels.
type ClassCurve struct {
	Class  int          `json:"class"`
	Label  string       `json:"label"`
	AUC    float64      `json:"auc"`
	Points []CurvePoint `json:"points"`
}

type classCurveAlias ClassCurve

type classCurveJSON struct {
	classCurveAlias
	AUC *float64 `json:"auc"`
}

// MarshalJSON writes an undefined AUC as null.
func (c ClassCurve) MarshalJSON() ([]byte, error) {
	return json.Marshal(classCurveJSON{classCurveAlias: classCurveAlias(c), AUC: finite(c.AUC)})
}

// UnmarshalJSON reads a null AUC back as NaN.
func (c *ClassCurve) UnmarshalJSON(b []byte) error {
	var w classCurveJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*c = ClassCurve(w.classCurveAlias)
	c.AUC = orElse(w.AUC, math.NaN())
	return nil
}

// EvaluateMultiClass computes everything this package offers for a
// multi-class sample: the report, per-class rows, one-vs-rest ROC curves
// and bootstrap intervals for opts.IntervalMetrics (names from
// MultiClassNames). opts.Thresholds and CalibrationBins do not apply.
func EvaluateMultiClass(yTrue []float64, proba [][]float64, classes []string, opts Options) (MultiEvaluation, error) {
	rep, err := MultiClass(yTrue, proba, classes)
	if err != nil {
		return MultiEvaluation{}, err
	}
	for _, m := range opts.IntervalMetrics {
		if _, ok := (MultiReport{}).Get(m); !ok {
			return MultiEvaluation{}, fmt.Errorf("metrics: interval_metrics: %q is not a multi-class metric; use one of %s", m, strings.Join(MultiClassNames(), ", "))
		}
	}
	if opts.Resamples < 0 {
		return MultiEvaluation{}, fmt.Errorf("metrics: resamples is %d; it must be positive (0 means %d)", opts.Resamples, DefaultResamples)
	}
	ev := MultiEvaluation{Report: rep, PerClass: rep.PerClass()}
	for c, label := range classes {
		y, p := oneVsRest(yTrue, proba, c)
		ev.ROC = append(ev.ROC, ClassCurve{Class: c, Label: label, AUC: rocAUC(y, p), Points: ROC(y, p)})
	}
	if len(opts.IntervalMetrics) > 0 {
		resamples := opts.Resamples
		if resamples == 0 {
			resamples = DefaultResamples
		}
		ev.Intervals = BootstrapMultiClass(yTrue, proba, classes, opts.IntervalMetrics, resamples, opts.Seed)
	}
	return ev, nil
}

// oneVsRest turns class c into a binary problem: label 1 for rows of c,
// scored by c's probability.
func oneVsRest(yTrue []float64, proba [][]float64, c int) (y, p []float64) {
	y, p = make([]float64, len(yTrue)), make([]float64, len(yTrue))
	for i := range yTrue {
		if int(yTrue[i]) == c {
			y[i] = 1
		}
		p[i] = proba[i][c]
	}
	return y, p
}

func rocAUC(y, p []float64) float64 {
	r, err := Binary(y, p, 0.5)
	if err != nil {
		return math.NaN()
	}
	return r.ROCAUC
}

// BootstrapMultiClass is Bootstrap for a multi-class sample: 95% intervals
// of the named metrics (from MultiClassNames) over resamples drawn with
// replacement from a PCG seeded with seed. A resample where a metric is
// undefined (roc_auc_ovr missing a class) is skipped for that metric.
// Nil when the input fails ValidateMultiClass, resamples < 1 or a name is
// unknown.
func BootstrapMultiClass(yTrue []float64, proba [][]float64, classes []string, names []string, resamples int, seed int64) map[string]Interval {
	if resamples < 1 || ValidateMultiClass(yTrue, proba, classes) != nil {
		return nil
	}
	ranking := false
	for _, name := range names {
		if _, ok := (MultiReport{}).Get(name); !ok {
			return nil
		}
		ranking = ranking || name == ROCAUCOVR
	}
	s := newMultiScorer(yTrue, proba, classes)
	point := s.report(nil, ranking)
	return resample(len(yTrue), names, point, resamples, seed, func(w []int32) getter {
		return s.report(w, ranking)
	})
}

// MultiSlice is the multi-class report on the rows that share one group
// value.
type MultiSlice struct {
	Group  string      `json:"group"`
	Rows   int         `json:"rows"`
	Report MultiReport `json:"report"`
}

// MultiClassSlices scores each distinct value of groups separately, in
// sorted order, as Slices does for a binary sample. A slice missing a class
// gets a NaN roc_auc_ovr, not an error.
func MultiClassSlices(yTrue []float64, proba [][]float64, classes []string, groups []string) ([]MultiSlice, error) {
	if err := ValidateMultiClass(yTrue, proba, classes); err != nil {
		return nil, err
	}
	if len(groups) != len(yTrue) {
		return nil, fmt.Errorf("metrics: %d group values for %d rows; give one per row", len(groups), len(yTrue))
	}
	keys, rows := groupRows(groups)
	out := make([]MultiSlice, 0, len(keys))
	for _, g := range keys {
		idx := rows[g]
		y, p := make([]float64, len(idx)), make([][]float64, len(idx))
		for k, i := range idx {
			y[k], p[k] = yTrue[i], proba[i]
		}
		r, err := MultiClass(y, p, classes)
		if err != nil {
			return nil, fmt.Errorf("metrics: slice %q: %w", g, err)
		}
		out = append(out, MultiSlice{Group: g, Rows: len(idx), Report: r})
	}
	return out, nil
}
