package report

import (
	"math"
	"time"
)

// samplePage is a realistic evaluation of a churn model against a champion,
// with one failed gate rule and the gaps a real run has (NaN values).
func samplePage() Page {
	nan := math.NaN()
	return Page{
		Model:      "churn-classifier",
		Version:    "v4 (cand-7f3a)",
		WorkflowID: "churn-training-2025-06-01",
		CreatedAt:  time.Date(2025, 6, 1, 14, 30, 0, 0, time.UTC),
		TestData:   "s3://mlpipe/churn/test/sha256-9c1e.csv",
		Rows:       12480,
		Champion:   "churn-classifier v3",
		Gate: []GateRow{
			{Rule: "f1 >= 0.80", Measured: 0.8312, Passed: true, Detail: "threshold from evaluation_threshold"},
			{Rule: "roc_auc >= champion - 0.01", Measured: 0.9121, Passed: true},
			{Rule: "p99 latency <= 20ms", Measured: 27.4, Passed: false, Detail: "p99 single-row latency 27.4 ms exceeds 20 ms"},
		},
		Metrics: []MetricRow{
			{Name: "accuracy", Value: 0.8921, Low: 0.8866, High: 0.8975, Champion: 0.8850, Delta: 0.0071},
			{Name: "precision", Value: 0.8104, Low: 0.7980, High: 0.8226, Champion: 0.8230, Delta: -0.0126},
			{Name: "recall", Value: 0.8532, Low: 0.8411, High: 0.8650, Champion: 0.8010, Delta: 0.0522},
			{Name: "f1", Value: 0.8312, Low: 0.8220, High: 0.8401, Champion: 0.8118, Delta: 0.0194},
			{Name: "roc_auc", Value: 0.9121, Low: 0.9060, High: 0.9180, Champion: 0.9050, Delta: 0.0071},
			{Name: "log_loss", Value: 0.2874, Low: nan, High: nan, Champion: nan, Delta: nan},
		},
		Confusion: [2][2]int{{7904, 716}, {566, 3294}},
		Labels:    [2]string{"stayed", "churned"},
		PerClass: []ClassRow{
			{Label: "stayed", Precision: 0.9332, Recall: 0.9169, F1: 0.9250, Support: 8620},
			{Label: "churned", Precision: 0.8214, Recall: 0.8534, F1: 0.8371, Support: 3860},
		},
		ROC: []Point{{0, 0}, {0.02, 0.35}, {0.05, 0.58}, {0.083, 0.853}, {0.15, 0.90}, {0.3, 0.95}, {0.5, 0.98}, {1, 1}},
		AUC: 0.9121,
		PR:  []Point{{0, 1}, {0.2, 0.97}, {0.4, 0.93}, {0.6, 0.88}, {0.853, 0.821}, {0.95, 0.6}, {1, 0.309}},
		AP:  0.8790,
		Calibration: []CalBin{
			{Lower: 0, Upper: 0.2, Count: 6200, MeanPredicted: 0.06, Observed: 0.05},
			{Lower: 0.2, Upper: 0.4, Count: 1900, MeanPredicted: 0.29, Observed: 0.24},
			{Lower: 0.4, Upper: 0.6, Count: 1300, MeanPredicted: 0.50, Observed: 0.47},
			{Lower: 0.6, Upper: 0.8, Count: 1500, MeanPredicted: 0.71, Observed: 0.76},
			{Lower: 0.8, Upper: 1, Count: 1580, MeanPredicted: 0.90, Observed: 0.93},
		},
		Sweep: []SweepRow{
			{Threshold: 0.3, Precision: 0.71, Recall: 0.93, F1: 0.8053, Accuracy: 0.85, PositiveRate: 0.405},
			{Threshold: 0.5, Precision: 0.8214, Recall: 0.8534, F1: 0.8371, Accuracy: 0.8973, PositiveRate: 0.3213},
			{Threshold: 0.7, Precision: 0.90, Recall: 0.70, F1: 0.7875, Accuracy: 0.88, PositiveRate: 0.2407},
		},
		Slices: []SliceRow{
			{Column: "plan", Value: "monthly", Rows: 7020, Accuracy: 0.87, Precision: 0.82, Recall: 0.88, F1: 0.85, ROCAUC: 0.90},
			{Column: "plan", Value: "annual", Rows: 5460, Accuracy: 0.92, Precision: 0.76, Recall: 0.70, F1: 0.7288, ROCAUC: 0.93},
			{Column: "region", Value: "antarctica", Rows: 12, Accuracy: 1, Precision: nan, Recall: nan, F1: nan, ROCAUC: nan},
		},
		Latency: &Latency{P50Single: 3200 * time.Microsecond, P99Single: 27400 * time.Microsecond, BatchRowsPerSecond: 84213.7, BatchSize: 512},
	}
}
