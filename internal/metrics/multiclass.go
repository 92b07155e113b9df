package metrics

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
)

// Metric names that only a multi-class report has. Accuracy,
// BalancedAccuracy, F1Macro, F1Weighted and LogLoss mean the same in both.
const (
	PrecisionMacro    = "precision_macro"
	RecallMacro       = "recall_macro"
	PrecisionWeighted = "precision_weighted"
	RecallWeighted    = "recall_weighted"
	// ROCAUCOVR is the one-vs-rest ROC AUC averaged over the classes
	// (scikit-learn's roc_auc_score(multi_class="ovr", average="macro")).
	ROCAUCOVR = "roc_auc_ovr"
)

// MultiClassNames lists the metric names MultiReport.Get accepts, in report
// order.
func MultiClassNames() []string {
	return []string{Accuracy, BalancedAccuracy, PrecisionMacro, RecallMacro, F1Macro,
		PrecisionWeighted, RecallWeighted, F1Weighted, ROCAUCOVR, LogLoss}
}

// MultiClassEquivalent names the multi-class metric to use in place of a
// binary-only one (f1 → f1_macro); "" when there is none (pr_auc, brier)
// or name is not binary-only.
func MultiClassEquivalent(name string) string {
	switch name {
	case F1:
		return F1Macro
	case Precision:
		return PrecisionMacro
	case Recall:
		return RecallMacro
	case ROCAUC:
		return ROCAUCOVR
	}
	return ""
}

// MultiReport holds the metrics of a classifier over K >= 3 classes, where
// each row is predicted as its most probable class (the first on a tie, as
// numpy's argmax). Macro averages are unweighted means over the classes
// present in the labels or the predictions (scikit-learn's default labels);
// weighted averages weigh each class by its support. Precision, recall and
// F1 are 0 where their denominator is 0 (zero_division=0).
type MultiReport struct {
	Classes           []string `json:"classes"`
	Accuracy          float64  `json:"accuracy"`
	BalancedAccuracy  float64  `json:"balanced_accuracy"`
	PrecisionMacro    float64  `json:"precision_macro"`
	RecallMacro       float64  `json:"recall_macro"`
	F1Macro           float64  `json:"f1_macro"`
	PrecisionWeighted float64  `json:"precision_weighted"`
	RecallWeighted    float64  `json:"recall_weighted"`
	F1Weighted        float64  `json:"f1_weighted"`
	// ROCAUCOVR is NaN (null in JSON) when some class has no row, or
	// every row, in the labels: its one-vs-rest AUC is then undefined.
	ROCAUCOVR float64 `json:"roc_auc_ovr"`
	// LogLoss is the multinomial log-loss, −mean log p(true class), with p
	// clipped to [1e-15, 1−1e-15].
	LogLoss float64 `json:"log_loss"`
	Support int     `json:"support"`
	// Confusion counts rows by [actual][predicted] class index.
	Confusion [][]int `json:"confusion_matrix"`
}

// Get returns the metric called name; ok is false for a name not in
// MultiClassNames. The value may be NaN (roc_auc_ovr), which fails every
// gate comparison.
func (r MultiReport) Get(name string) (value float64, ok bool) {
	switch name {
	case Accuracy:
		return r.Accuracy, true
	case BalancedAccuracy:
		return r.BalancedAccuracy, true
	case PrecisionMacro:
		return r.PrecisionMacro, true
	case RecallMacro:
		return r.RecallMacro, true
	case F1Macro:
		return r.F1Macro, true
	case PrecisionWeighted:
		return r.PrecisionWeighted, true
	case RecallWeighted:
		return r.RecallWeighted, true
	case F1Weighted:
		return r.F1Weighted, true
	case ROCAUCOVR:
		return r.ROCAUCOVR, true
	case LogLoss:
		return r.LogLoss, true
	}
	return 0, false
}

// PerClass is scikit-learn's classification_report for the report's
// confusion matrix: each class scored one-vs-rest.
func (r MultiReport) PerClass() []ClassRow {
	out := make([]ClassRow, len(r.Confusion))
	for k := range r.Confusion {
		tp, fp, fn := r.classCounts(k)
		out[k] = ClassRow{Class: k, Precision: ratio(tp, tp+fp), Recall: ratio(tp, tp+fn), F1: ratio(2*tp, 2*tp+fp+fn), Support: tp + fn}
		if k < len(r.Classes) {
			out[k].Label = r.Classes[k]
		}
	}
	return out
}

// classCounts are class k's one-vs-rest true positives, false positives
// and false negatives.
func (r MultiReport) classCounts(k int) (tp, fp, fn int) {
	tp = r.Confusion[k][k]
	for j := range r.Confusion {
		if j != k {
			fp += r.Confusion[j][k]
			fn += r.Confusion[k][j]
		}
	}
	return tp, fp, fn
}

type multiReportAlias MultiReport

type multiReportJSON struct {
	multiReportAlias
	ROCAUCOVR *float64 `json:"roc_auc_ovr"`
}

// MarshalJSON writes an undefined roc_auc_ovr as null.
func (r MultiReport) MarshalJSON() ([]byte, error) {
	return json.Marshal(multiReportJSON{multiReportAlias: multiReportAlias(r), ROCAUCOVR: finite(r.ROCAUCOVR)})
}

// UnmarshalJSON reads a null roc_auc_ovr back as NaN.
func (r *MultiReport) UnmarshalJSON(b []byte) error {
	var w multiReportJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*r = MultiReport(w.multiReportAlias)
	r.ROCAUCOVR = orElse(w.ROCAUCOVR, math.NaN())
	return nil
}

// ValidateMultiClass reports why yTrue (class indices) and proba (one row
// of len(classes) probabilities per sample) cannot be scored.
func ValidateMultiClass(yTrue []float64, proba [][]float64, classes []string) error {
	k := len(classes)
	switch {
	case k < 3:
		return fmt.Errorf("metrics: %d classes; a multi-class report needs 3 or more (use Binary for 2)", k)
	case len(yTrue) == 0:
		return fmt.Errorf("metrics: no samples to score")
	case len(yTrue) != len(proba):
		return fmt.Errorf("metrics: %d labels but %d predictions; they must pair up row by row", len(yTrue), len(proba))
	}
	for i, y := range yTrue {
		if y != math.Trunc(y) || y < 0 || y >= float64(k) {
			return fmt.Errorf("metrics: label at row %d is %v; labels must be class indices 0..%d", i, y, k-1)
		}
		if len(proba[i]) != k {
			return fmt.Errorf("metrics: row %d has %d probabilities for %d classes", i, len(proba[i]), k)
		}
		for c, p := range proba[i] {
			if !(p >= 0 && p <= 1) {
				return fmt.Errorf("metrics: probability of class %d at row %d is %v; it must be in [0, 1]", c, i, p)
			}
		}
	}
	return nil
}

// MultiClass scores class probabilities against class indices; classes[k]
// names class k.
func MultiClass(yTrue []float64, proba [][]float64, classes []string) (MultiReport, error) {
	if err := ValidateMultiClass(yTrue, proba, classes); err != nil {
		return MultiReport{}, err
	}
	return newMultiScorer(yTrue, proba, classes).report(nil, true), nil
}

// Argmax returns the index of the largest probability, the first on a tie:
// the class a multi-class model predicts.
func Argmax(p []float64) int {
	best := 0
	for k := 1; k < len(p); k++ {
		if p[k] > p[best] {
			best = k
		}
	}
	return best
}

// multiScorer holds a validated sample prepared once, so that any multiset
// of its rows (a bootstrap resample) is scored in O(n·K) without sorting.
type multiScorer struct {
	classes []string
	y, pred []int
	loss    []float64
	// order[k] lists the rows by class k's probability, highest first;
	// groupEnd[k] ends each run of equal probabilities in it, so ties
	// are ranked together.
	order, groupEnd [][]int
	pk              [][]float64
}

func newMultiScorer(yTrue []float64, proba [][]float64, classes []string) *multiScorer {
	n, k := len(yTrue), len(classes)
	s := &multiScorer{classes: classes, y: make([]int, n), pred: make([]int, n), loss: make([]float64, n),
		order: make([][]int, k), groupEnd: make([][]int, k), pk: make([][]float64, k)}
	for i, y := range yTrue {
		s.y[i] = int(y)
		s.pred[i] = Argmax(proba[i])
		p := math.Min(math.Max(proba[i][s.y[i]], logLossEps), 1-logLossEps)
		s.loss[i] = -math.Log(p)
	}
	for c := range k {
		col := make([]float64, n)
		for i := range proba {
			col[i] = proba[i][c]
		}
		s.pk[c] = col
		order, ends := rankDescending(col)
		s.order[c], s.groupEnd[c] = order, ends
	}
	return s
}

// report scores the sample where row i counts w[i] times (once each when w
// is nil); ranking=false leaves roc_auc_ovr NaN.
func (s *multiScorer) report(w []int32, ranking bool) MultiReport {
	k := len(s.classes)
	r := MultiReport{Classes: s.classes, Confusion: make([][]int, k)}
	for c := range r.Confusion {
		r.Confusion[c] = make([]int, k)
	}
	var ll float64
	for i := range s.y {
		c := 1
		if w != nil {
			c = int(w[i])
		}
		r.Confusion[s.y[i]][s.pred[i]] += c
		ll += float64(c) * s.loss[i]
		r.Support += c
	}
	n := float64(r.Support)
	r.LogLoss = ll / n
	var correct int
	var recalls, precM, recM, f1M []float64
	for c := range k {
		tp, fp, fn := r.classCounts(c)
		correct += tp
		support, predicted := tp+fn, tp+fp
		prec, rec, f1 := ratio(tp, predicted), ratio(tp, support), ratio(2*tp, 2*tp+fp+fn)
		if support > 0 {
			recalls = append(recalls, rec)
		}
		if support > 0 || predicted > 0 {
			precM, recM, f1M = append(precM, prec), append(recM, rec), append(f1M, f1)
		}
		wt := float64(support) / n
		r.PrecisionWeighted += wt * prec
		r.RecallWeighted += wt * rec
		r.F1Weighted += wt * f1
	}
	r.Accuracy = float64(correct) / n
	r.BalancedAccuracy = mean(recalls)
	r.PrecisionMacro, r.RecallMacro, r.F1Macro = mean(precM), mean(recM), mean(f1M)
	r.ROCAUCOVR = math.NaN()
	if ranking {
		r.ROCAUCOVR = s.aucOVR(w)
	}
	return r
}

// aucOVR is the mean over classes of each class's one-vs-rest ROC AUC (the
// Mann–Whitney count, as scorer.report computes it); NaN when any class's
// is undefined.
func (s *multiScorer) aucOVR(w []int32) float64 {
	var sum float64
	for c := range s.classes {
		var pos, neg, negAbove, above2 int
		k := 0
		for _, end := range s.groupEnd[c] {
			gp, gn := 0, 0
			for ; k < end; k++ {
				i := s.order[c][k]
				m := 1
				if w != nil {
					m = int(w[i])
				}
				if s.y[i] == c {
					gp += m
				} else {
					gn += m
				}
			}
			above2 += gp * (2*negAbove + gn)
			negAbove += gn
			pos += gp
			neg += gn
		}
		if pos == 0 || neg == 0 {
			return math.NaN()
		}
		sum += float64(2*pos*neg-above2) / float64(2*pos*neg)
	}
	return sum / float64(len(s.classes))
}

// rankDescending orders indices by score, highest first (stable, so equal
// scores keep row order), and returns where each run of equal scores ends.
func rankDescending(score []float64) (order, groupEnd []int) {
	order = make([]int, len(score))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool { return score[order[i]] > score[order[j]] })
	for k := 1; k < len(order); k++ {
		if score[order[k]] != score[order[k-1]] {
			groupEnd = append(groupEnd, k)
		}
	}
	return order, append(groupEnd, len(order))
}
