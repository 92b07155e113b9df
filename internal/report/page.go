package report

import "time"

// Page is everything one evaluation report shows. Float fields may be NaN
// where a value is unknown (no champion, an undefined metric); they render
// as "—". Empty slices and a nil Latency render as a short note.
type Page struct {
	Title      string
	Model      string
	Version    string // candidate id or version
	WorkflowID string
	CreatedAt  time.Time

	TestData string // where the test data came from, e.g. an artifact URI
	Rows     int

	// Champion names the model in production, e.g. "churn-classifier v3";
	// empty when there is none, which hides the champion columns.
	Champion string

	Gate    []GateRow
	Metrics []MetricRow

	Confusion [2][2]int // [actual][predicted]; index 0 is the negative class
	Labels    [2]string // negative, positive; defaults to "negative", "positive"

	// Classes names a multi-class model's classes (three or more) and
	// switches the page to its layout: the K×K ConfusionK and one-vs-rest
	// ClassROC curves (AUC is then their macro mean) replace the binary
	// plots, and the threshold sweep and calibration, which are binary
	// notions, are not shown. Slice columns are then macro averages.
	Classes    []string
	ConfusionK [][]int // [actual][predicted], in Classes order
	ClassROC   []ClassCurve

	PerClass    []ClassRow
	ROC         []Point
	AUC         float64
	PR          []Point
	AP          float64
	Calibration []CalBin
	Sweep       []SweepRow
	Slices      []SliceRow
	// Search is the hyperparameter search's trials, best first.
	Search  []SearchRow
	Latency *Latency
}

// MultiClass reports whether the page shows a multi-class model.
func (p Page) MultiClass() bool { return len(p.Classes) >= 3 }

// Point is one point of a curve: (false positive rate, true positive rate)
// for ROC, (recall, precision) for precision-recall.
type Point struct{ X, Y float64 }

// MetricRow is one metric of the candidate, with its confidence interval and
// the champion's value on the same data. Low, High, Champion and Delta may be NaN.
type MetricRow struct {
	Name      string
	Value     float64
	Low, High float64 // confidence interval
	Champion  float64
	Delta     float64 // Value - Champion
}

// ClassRow holds the per-class scores of one label.
type ClassRow struct {
	Label                 string
	Precision, Recall, F1 float64
	Support               int
}

// CalBin is one bin of the reliability diagram: predictions whose score falls
// in (Lower, Upper] (the first bin includes 0, as scikit-learn bins them) and the fraction of them that were actually positive.
type CalBin struct {
	Lower, Upper  float64
	Count         int
	MeanPredicted float64 // NaN when Count is 0
	Observed      float64 // NaN when Count is 0
}

// SweepRow holds the scores obtained at one decision threshold.
type SweepRow struct {
	Threshold                       float64
	Precision, Recall, F1, Accuracy float64
	PositiveRate                    float64 // fraction of rows predicted positive
}

// SearchRow is one trial of a hyperparameter search.
type SearchRow struct {
	Trial     int
	Params    string
	Mean, Std float64
	Epochs    int
	Seconds   float64
	// Status is "ok", or "failed"/"stopped" with the reason.
	Status string
}

// SliceRow holds the scores on the rows where Column equals Value.
type SliceRow struct {
	Column, Value                   string
	Rows                            int
	Accuracy, Precision, Recall, F1 float64
	ROCAUC                          float64 // NaN when the slice holds one class only
}

// GateRow is one promotion rule and its outcome.
type GateRow struct {
	Rule     string // e.g. "f1 >= 0.80"
	Measured float64
	Passed   bool
	Detail   string
}

// Latency is what serving the model costs.
type Latency struct {
	P50Single, P99Single time.Duration // one row per request
	BatchRowsPerSecond   float64
	BatchSize            int
}
