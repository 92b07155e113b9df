package tune

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/mlpipe/mlpipe/internal/metrics"
)

// scoreThreshold turns probabilities into labels for the threshold metrics,
// as scikit-learn's predict does.
const scoreThreshold = 0.5

// Scorings lists the names Score accepts for a binary model: every metric
// of metrics.Names (f1, accuracy, roc_auc, precision, recall, log_loss, and
// more).
func Scorings() []string { return metrics.Names() }

// MultiClassScorings lists the names ScoreMultiClass accepts for a model of
// three or more classes: metrics.MultiClassNames (accuracy,
// balanced_accuracy, f1_macro, f1_weighted, precision_macro, recall_macro,
// roc_auc_ovr, log_loss, and the weighted precision and recall).
func MultiClassScorings() []string { return metrics.MultiClassNames() }

// DefaultScoring is the scoring a search uses when none is given:
// accuracy for a binary model (RandomizedSearchCV scores with the
// estimator's accuracy), f1_macro for three or more classes, where accuracy
// hides the small classes.
func DefaultScoring(classes int) string {
	if classes >= 3 {
		return metrics.F1Macro
	}
	return metrics.Accuracy
}

// GreaterIsBetter says which way a scoring improves: false for log_loss and
// brier, true otherwise (scikit-learn's make_scorer greater_is_better).
func GreaterIsBetter(name string) bool { return metrics.HigherIsBetter(name) }

// checkScoring reports a name that is a scoring for no model, with the
// names each kind of model accepts. Whether it fits the model being
// searched is CheckScoring's question.
func checkScoring(name string) error {
	if slices.Contains(Scorings(), name) || slices.Contains(MultiClassScorings(), name) {
		return nil
	}
	return fmt.Errorf("tune: scoring %q is not supported; use one of %s (binary) or %s (three or more classes)",
		name, strings.Join(Scorings(), ", "), strings.Join(MultiClassScorings(), ", "))
}

// CheckScoring reports whether scoring name can score a model of classes
// classes (0 or 2: binary). A binary-only name on a multi-class model names
// its multi-class counterpart (f1 → f1_macro), as the evaluation gate does;
// a multi-class-only name on a binary model names the binary ones. The
// message starts with the name, to follow the field it came from
// ("search.scoring: ...").
func CheckScoring(name string, classes int) error {
	if err := checkScoring(name); err != nil {
		return err
	}
	if classes < 3 {
		if !slices.Contains(Scorings(), name) {
			return fmt.Errorf("%s is a multi-class metric and this model is binary; use one of %s", name, strings.Join(Scorings(), ", "))
		}
		return nil
	}
	names := MultiClassScorings()
	if slices.Contains(names, name) {
		return nil
	}
	if eq := metrics.MultiClassEquivalent(name); eq != "" {
		return fmt.Errorf("%s is a binary metric and this model has %d classes; use %s (or another of %s)", name, classes, eq, strings.Join(names, ", "))
	}
	return fmt.Errorf("%s is a binary metric with no multi-class counterpart; use one of %s", name, strings.Join(names, ", "))
}

// Score computes the named metric of one fold's predicted probabilities of
// the positive class against 0/1 labels, predicting positive above 0.5. It
// fails on a name that is not a binary scoring (see CheckScoring), bad input
// (see metrics.Validate), and a metric that is undefined on the fold
// (roc_auc when the fold holds one class), so a fold score is always a
// finite number.
func Score(name string, yTrue, proba []float64) (float64, error) {
	if err := CheckScoring(name, 2); err != nil {
		return 0, err
	}
	r, err := metrics.Binary(yTrue, proba, scoreThreshold)
	if err != nil {
		return 0, fmt.Errorf("tune: score %s: %w", name, err)
	}
	v, _ := r.Get(name)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("tune: %s is undefined on this fold (%d rows, %d positive); it needs both classes present", name, r.Support, r.Positives)
	}
	return v, nil
}

// ScoreMultiClass computes the named metric of one fold of a model over
// classes >= 3 classes: proba holds one row of class probabilities per
// label, labels are class indices, and each row is predicted as its most
// probable class (metrics.MultiClass). It fails on a name that is not a
// multi-class scoring, bad input (see metrics.ValidateMultiClass), and a
// metric that is undefined on the fold (roc_auc_ovr when a class is
// missing from it), so a fold score is always a finite number.
func ScoreMultiClass(name string, yTrue []float64, proba [][]float64, classes int) (float64, error) {
	if err := CheckScoring(name, classes); err != nil {
		return 0, err
	}
	// Only the count matters for the scores; the names label reports.
	names := make([]string, classes)
	for k := range names {
		names[k] = strconv.Itoa(k)
	}
	r, err := metrics.MultiClass(yTrue, proba, names)
	if err != nil {
		return 0, fmt.Errorf("tune: score %s: %w", name, err)
	}
	v, _ := r.Get(name)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("tune: %s is undefined on this fold (%d rows, %d of %d classes present); it needs every class present",
			name, r.Support, present(r.Confusion), classes)
	}
	return v, nil
}

// present counts the classes that have at least one row.
func present(confusion [][]int) int {
	n := 0
	for _, row := range confusion {
		for _, c := range row {
			if c > 0 {
				n++
				break
			}
		}
	}
	return n
}
