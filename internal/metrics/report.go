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
	Accuracy float64 `json:"accuracy"`
	// BalancedAccuracy is the mean recall over the classes present in yTrue.
	BalancedAccuracy float64 `json:"balanced_accuracy"`
	Precision        float64 `json:"precision"`
	Recall           float64 `json:"recall"`
	F1               float64 `json:"f1"`
	// F1Macro is the unweighted mean of both classes' F1; F1Weighted weighs
	// them by support. A class absent from both labels and predictions is
	// left out, as scikit-learn does.
	F1Macro    float64 `json:"f1_macro"`
	F1Weighted float64 `json:"f1_weighted"`
	// ROCAUC is NaN when yTrue holds only one class (AUC is undefined);
	// it is written to JSON as null.
	ROCAUC float64 `json:"roc_auc"`
	// PRAUC is the average precision; NaN (null in JSON) when yTrue holds no
	// positive, since recall is then undefined.
	PRAUC   float64 `json:"pr_auc"`
	LogLoss float64 `json:"log_loss"`
	// Brier is the mean squared difference between probability and label.
	Brier float64 `json:"brier"`
	// Support is the number of samples; Positives the number with label 1.
	Support   int       `json:"support"`
	Positives int       `json:"positives"`
	Threshold float64   `json:"threshold"`
	Confusion Confusion `json:"confusion_matrix"`
}

// Metric names, as users write them in evaluation thresholds.
const (
	Accuracy         = "accuracy"
	BalancedAccuracy = "balanced_accuracy"
	Precision        = "precision"
	Recall           = "recall"
	F1               = "f1"
	F1Macro          = "f1_macro"
	F1Weighted       = "f1_weighted"
	ROCAUC           = "roc_auc"
	PRAUC            = "pr_auc"
	LogLoss          = "log_loss"
	Brier            = "brier"
)

// Names lists the metric names Get accepts, in report order.
func Names() []string {
	return []string{Accuracy, BalancedAccuracy, Precision, Recall, F1, F1Macro, F1Weighted, ROCAUC, PRAUC, LogLoss, Brier}
}

// HigherIsBetter says which way a metric improves: false for log_loss and
// brier. Unknown names report true; check them with Report.Get first.
func HigherIsBetter(name string) bool { return name != LogLoss && name != Brier }

// Get returns the metric called name; ok is false for an unknown name. The
// value may be NaN (roc_auc on a one-class sample), which fails every
// comparison, so a threshold gate on it does not pass by accident.
func (r Report) Get(name string) (value float64, ok bool) {
	switch name {
	case Accuracy:
		return r.Accuracy, true
	case BalancedAccuracy:
		return r.BalancedAccuracy, true
	case Precision:
		return r.Precision, true
	case Recall:
		return r.Recall, true
	case F1:
		return r.F1, true
	case F1Macro:
		return r.F1Macro, true
	case F1Weighted:
		return r.F1Weighted, true
	case ROCAUC:
		return r.ROCAUC, true
	case PRAUC:
		return r.PRAUC, true
	case LogLoss:
		return r.LogLoss, true
	case Brier:
		return r.Brier, true
	}
	return 0, false
}

// reportAlias drops Report's methods so the JSON methods don't recurse.
type reportAlias Report

// reportJSON shadows the fields that can be undefined with pointers.
type reportJSON struct {
	reportAlias
	ROCAUC *float64 `json:"roc_auc"`
	PRAUC  *float64 `json:"pr_auc"`
}

// MarshalJSON writes an undefined roc_auc or pr_auc as null, since JSON has
// no NaN.
func (r Report) MarshalJSON() ([]byte, error) {
	return json.Marshal(reportJSON{reportAlias: reportAlias(r), ROCAUC: finite(r.ROCAUC), PRAUC: finite(r.PRAUC)})
}

// UnmarshalJSON reads a null roc_auc or pr_auc back as NaN.
func (r *Report) UnmarshalJSON(b []byte) error {
	var w reportJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*r = Report(w.reportAlias)
	r.ROCAUC = orElse(w.ROCAUC, math.NaN())
	r.PRAUC = orElse(w.PRAUC, math.NaN())
	return nil
}
