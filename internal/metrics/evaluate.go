package metrics

import (
	"fmt"
	"strings"
)

// Options tunes Evaluate; the zero value gives the defaults.
type Options struct {
	// IntervalMetrics names the metrics (from Names()) that get a bootstrap
	// interval; none when empty.
	IntervalMetrics []string `json:"interval_metrics,omitempty"`
	// Resamples is the number of bootstrap resamples; 0 means 1000.
	Resamples int `json:"resamples,omitempty"`
	// Seed makes the bootstrap repeatable.
	Seed int64 `json:"seed"`
	// Thresholds for the sweep; nil means DefaultSweep().
	Thresholds []float64 `json:"thresholds,omitempty"`
	// CalibrationBins is the number of calibration bins; 0 means 10.
	CalibrationBins int `json:"calibration_bins,omitempty"`
}

// Defaults Evaluate uses for zero Options fields.
const (
	DefaultResamples       = 1000
	DefaultCalibrationBins = 10
)

// Evaluation is the full evaluation of a binary classifier on one sample.
// Curves are null in JSON when undefined (ROC with one class, PR with no
// positive); Intervals is omitted when none were asked for.
type Evaluation struct {
	Report      Report              `json:"report"`
	PerClass    []ClassRow          `json:"per_class"`
	ROC         []CurvePoint        `json:"roc"`
	PR          []CurvePoint        `json:"pr"`
	Sweep       []SweepRow          `json:"threshold_sweep"`
	Calibration []CalibrationBin    `json:"calibration"`
	Intervals   map[string]Interval `json:"intervals,omitempty"`
}

// Evaluate computes everything this package offers at the given threshold;
// labels[k] names class k in the per-class rows. It returns an error, and
// no partial result, for input Validate rejects or options out of range.
func Evaluate(yTrue, proba []float64, threshold float64, labels [2]string, opts Options) (Evaluation, error) {
	rep, err := Binary(yTrue, proba, threshold)
	if err != nil {
		return Evaluation{}, err
	}
	if err := opts.check(); err != nil {
		return Evaluation{}, err
	}
	resamples := opts.Resamples
	if resamples == 0 {
		resamples = DefaultResamples
	}
	bins := opts.CalibrationBins
	if bins == 0 {
		bins = DefaultCalibrationBins
	}
	ev := Evaluation{
		Report:      rep,
		PerClass:    PerClass(yTrue, proba, threshold, labels),
		ROC:         ROC(yTrue, proba),
		PR:          PR(yTrue, proba),
		Sweep:       ThresholdSweep(yTrue, proba, opts.Thresholds),
		Calibration: Calibration(yTrue, proba, bins),
	}
	if len(opts.IntervalMetrics) > 0 {
		ev.Intervals = Bootstrap(yTrue, proba, threshold, opts.IntervalMetrics, resamples, opts.Seed)
	}
	return ev, nil
}

func (o Options) check() error {
	for _, m := range o.IntervalMetrics {
		if _, ok := (Report{}).Get(m); !ok {
			return fmt.Errorf("metrics: interval_metrics: unknown metric %q; use one of %s", m, strings.Join(Names(), ", "))
		}
	}
	if o.Resamples < 0 {
		return fmt.Errorf("metrics: resamples is %d; it must be positive (0 means %d)", o.Resamples, DefaultResamples)
	}
	if o.CalibrationBins < 0 {
		return fmt.Errorf("metrics: calibration_bins is %d; it must be positive (0 means %d)", o.CalibrationBins, DefaultCalibrationBins)
	}
	for i, t := range o.Thresholds {
		if !(t >= 0 && t <= 1) {
			return fmt.Errorf("metrics: thresholds[%d] is %v; it must be in [0, 1]", i, t)
		}
	}
	return nil
}
