package metrics

import (
	"encoding/json"
	"math"
)

// Confusion is the 2×2 confusion matrix at the report's threshold.
type Confusion struct {
	TN int `json:"tn"`
	FP int `json:"fp"`
	FN int `json:"fn"`
	TP int `json:"tp"`
}

// Report holds the binary classification metrics of one evaluation.
type Report struct {
	Accuracy  float64 `json:"accuracy"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	// ROCAUC is NaN when yTrue holds only one class (AUC is undefined);
	// it is written to JSON as null.
	ROCAUC  float64 `json:"roc_auc"`
	LogLoss float64 `json:"log_loss"`
	// Support is the number of samples; Positives the number with label 1.
	Support   int       `json:"support"`
	Positives int       `json:"positives"`
	Threshold float64   `json:"threshold"`
	Confusion Confusion `json:"confusion_matrix"`
}

// Metric names, as users write them in evaluation thresholds.
const (
	Accuracy  = "accuracy"
	Precision = "precision"
	Recall    = "recall"
	F1        = "f1"
	ROCAUC    = "roc_auc"
	LogLoss   = "log_loss"
)

// Names lists the metric names Get accepts, in report order.
func Names() []string {
	return []string{Accuracy, Precision, Recall, F1, ROCAUC, LogLoss}
}

// HigherIsBetter says which way a metric improves: false only for log_loss.
// Unknown names report true; check them with Report.Get first.
func HigherIsBetter(name string) bool { return name != LogLoss }

// Get returns the metric called name; ok is false for an unknown name. The
// value may be NaN (roc_auc on a one-class sample), which fails every
// comparison, so a threshold gate on it does not pass by accident.
func (r Report) Get(name string) (value float64, ok bool) {
	switch name {
	case Accuracy:
		return r.Accuracy, true
	case Precision:
		return r.Precision, true
	case Recall:
		return r.Recall, true
	case F1:
		return r.F1, true
	case ROCAUC:
		return r.ROCAUC, true
	case LogLoss:
		return r.LogLoss, true
	}
	return 0, false
}

// reportAlias drops Report's methods so the JSON methods don't recurse.
type reportAlias Report

// MarshalJSON writes an undefined roc_auc as null, since JSON has no NaN.
func (r Report) MarshalJSON() ([]byte, error) {
	w := struct {
		reportAlias
		ROCAUC *float64 `json:"roc_auc"`
	}{reportAlias: reportAlias(r)}
	if !math.IsNaN(r.ROCAUC) {
		w.ROCAUC = &r.ROCAUC
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads a null roc_auc back as NaN.
func (r *Report) UnmarshalJSON(b []byte) error {
	var w struct {
		reportAlias
		ROCAUC *float64 `json:"roc_auc"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*r = Report(w.reportAlias)
	r.ROCAUC = math.NaN()
	if w.ROCAUC != nil {
		r.ROCAUC = *w.ROCAUC
	}
	return nil
}
