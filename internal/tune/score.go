package tune

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/mlpipe/mlpipe/internal/metrics"
)

// scoreThreshold turns probabilities into labels for the threshold metrics,
// as scikit-learn's predict does.
const scoreThreshold = 0.5

// Scorings lists the names Score accepts: every metric of metrics.Names
// (f1, accuracy, roc_auc, precision, recall, log_loss, and more).
func Scorings() []string { return metrics.Names() }

// GreaterIsBetter says which way a scoring improves: false for log_loss and
// brier, true otherwise (scikit-learn's make_scorer greater_is_better).
func GreaterIsBetter(name string) bool { return metrics.HigherIsBetter(name) }

// checkScoring reports an unknown scoring name with the names it accepts.
func checkScoring(name string) error {
	if !slices.Contains(metrics.Names(), name) {
		return fmt.Errorf("tune: scoring %q is not supported; use one of %s", name, strings.Join(metrics.Names(), ", "))
	}
	return nil
}

// Score computes the named metric of one fold's predicted probabilities of
// the positive class against 0/1 labels, predicting positive above 0.5. It
// fails on an unknown name, bad input (see metrics.Validate), and a metric
// that is undefined on the fold (roc_auc when the fold holds one class), so
// a fold score is always a finite number.
func Score(name string, yTrue, proba []float64) (float64, error) {
	if err := checkScoring(name); err != nil {
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
