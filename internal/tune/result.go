package tune

import (
	"math"
	"slices"
)

// Trial statuses.
const (
	// StatusOK: every fold trained and scored.
	StatusOK = "ok"
	// StatusFailed: training or scoring failed; Reason says why.
	StatusFailed = "failed"
	// StatusStopped: successive halving cancelled the trial after a rung;
	// its scores are from that rung's (smaller) epoch budget.
	StatusStopped = "stopped"
)

// TrialResult is the outcome of one trial (at one rung, under successive
// halving). Mean and Std are always finite so the value encodes to JSON;
// they are 0 for a failed trial.
type TrialResult struct {
	TrialID    int          `json:"trial_id"`
	Params     []ParamValue `json:"params"`
	FoldScores []float64    `json:"fold_scores"`
	Mean       float64      `json:"mean"`
	// Std is the population standard deviation of FoldScores (ddof=0), as
	// scikit-learn's std_test_score.
	Std float64 `json:"std"`
	// Seconds is the wall time of all folds, as measured by the activity.
	Seconds float64 `json:"seconds"`
	// Epochs is the number of epochs each fold trained for.
	Epochs int    `json:"epochs"`
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
}

// Summarize returns the mean and population standard deviation of scores,
// (0, 0) for none.
func Summarize(scores []float64) (mean, std float64) {
	if len(scores) == 0 {
		return 0, 0
	}
	for _, s := range scores {
		mean += s
	}
	mean /= float64(len(scores))
	for _, s := range scores {
		std += (s - mean) * (s - mean)
	}
	return mean, math.Sqrt(std / float64(len(scores)))
}

// statusOrder places ok trials first, then stopped, then failed (and any
// unknown status).
func statusOrder(s string) int {
	switch s {
	case StatusOK:
		return 0
	case StatusStopped:
		return 1
	}
	return 2
}

// Rank returns a copy of results, best first, by this rule:
//  1. ok trials, by Mean in scoring's direction (GreaterIsBetter);
//  2. then stopped trials, those that reached more epochs first, then by
//     Mean: a score at fewer epochs is not comparable to a full one;
//  3. then failed trials.
//
// Ties, and order within failed trials, go to the lower TrialID. A NaN mean
// ranks below every number. results is not modified.
func Rank(results []TrialResult, scoring string) []TrialResult {
	greater := GreaterIsBetter(scoring)
	out := slices.Clone(results)
	slices.SortStableFunc(out, func(a, b TrialResult) int {
		if c := statusOrder(a.Status) - statusOrder(b.Status); c != 0 {
			return c
		}
		if a.Status == StatusOK || a.Status == StatusStopped {
			if a.Status == StatusStopped && a.Epochs != b.Epochs {
				return b.Epochs - a.Epochs
			}
			if c := better(a.Mean, b.Mean, greater); c != 0 {
				return c
			}
		}
		return a.TrialID - b.TrialID
	})
	return out
}

// better returns -1 when a is the better score, 1 when b is, 0 when tied.
func better(a, b float64, greater bool) int {
	switch an, bn := math.IsNaN(a), math.IsNaN(b); {
	case an && bn:
		return 0
	case an:
		return 1
	case bn:
		return -1
	}
	if !greater {
		a, b = -a, -b
	}
	return cmpFloat(b, a)
}
