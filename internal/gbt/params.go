package gbt

import (
	"fmt"
	"math"
)

// ClassWeightBalanced weights each class by n / (k·n_c) for k classes, as
// scikit-learn's class_weight="balanced" does; the weights multiply the
// sample weights.
const ClassWeightBalanced = "balanced"

// DefaultMaxDepth is XGBoost's default tree depth, which DefaultParams
// sets. A nil Params.MaxDepth means unlimited depth instead.
const DefaultMaxDepth = 6

// Params are the booster's hyperparameters, named as XGBoost and its
// scikit-learn wrapper name them. Start from DefaultParams and decode the
// user's values over it: a key the user leaves out keeps its default, and
// every value given is checked by Validate, so an explicit
// learning_rate: 0 is refused rather than replaced.
type Params struct {
	// Classes is 0 or 2 for binary (binary:logistic) and the number of
	// classes, 3 or more, for multi-class (multi:softprob); labels are
	// class indices 0..Classes-1.
	Classes int `json:"classes,omitempty"`
	// NEstimators is the number of boosting rounds; a multi-class model
	// grows one tree per class in every round.
	NEstimators int `json:"n_estimators"`
	// MaxDepth limits each tree's depth; nil (JSON null) grows trees
	// without a depth limit, as scikit-learn's max_depth=None does.
	MaxDepth *int `json:"max_depth"`
	// LearningRate (XGBoost's eta) shrinks every tree's leaf values.
	LearningRate float64 `json:"learning_rate"`
	// MinChildWeight is the least hessian sum a child may hold.
	MinChildWeight float64 `json:"min_child_weight"`
	// Subsample is the share of training rows each tree sees.
	Subsample float64 `json:"subsample"`
	// ColsampleByTree is the share of feature columns each tree may split on.
	ColsampleByTree float64 `json:"colsample_bytree"`
	// RegAlpha and RegLambda are the L1 and L2 penalties on leaf weights.
	RegAlpha  float64 `json:"reg_alpha"`
	RegLambda float64 `json:"reg_lambda"`
	// MaxBin is the most histogram bins per feature (tree_method hist).
	MaxBin int `json:"max_bin"`
	// ValidationFraction holds out this share of the training rows,
	// stratified and drawn from Seed, to measure the validation log-loss
	// for early stopping.
	ValidationFraction float64 `json:"validation_fraction,omitempty"`
	// EarlyStoppingRounds stops training after this many rounds without a
	// lower validation log-loss and keeps the trees of the best round; 0
	// never stops early.
	EarlyStoppingRounds int `json:"early_stopping_rounds,omitempty"`
	// ClassWeight is "" or "balanced".
	ClassWeight string `json:"class_weight,omitempty"`
	// Seed drives the validation split and XGBoost's row and column
	// sampling.
	Seed int64 `json:"seed"`
	// NThread is how many threads XGBoost uses; 0 means every core. It is
	// how the run is done, not what is learned, but histogram sums are
	// added per thread, so a different count can change the last bits.
	NThread int `json:"nthread,omitempty"`
}

// DefaultParams are XGBoost 1.7's defaults for a binary model:
// 100 rounds (the scikit-learn wrapper's n_estimators), depth 6, learning
// rate 0.3, min_child_weight 1, no sampling, reg_alpha 0, reg_lambda 1,
// 256 bins, seed 0, no early stopping.
func DefaultParams() Params {
	depth := DefaultMaxDepth
	return Params{
		NEstimators:     100,
		MaxDepth:        &depth,
		LearningRate:    0.3,
		MinChildWeight:  1,
		Subsample:       1,
		ColsampleByTree: 1,
		RegLambda:       1,
		MaxBin:          256,
	}
}

// Depth returns a pointer to d, for Params.MaxDepth.
func Depth(d int) *int { return &d }

// Validate reports the first parameter out of range, naming it as the
// spec spells it and saying what it accepts.
func (p Params) Validate() error {
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	switch {
	case p.Classes < 0 || p.Classes == 1:
		return fmt.Errorf("gradient_boosting: classes is %d; use 0 or 2 for binary, or the number of classes (>= 3)", p.Classes)
	case p.NEstimators < 1:
		return fmt.Errorf("gradient_boosting: n_estimators is %d; it must be an integer >= 1 (e.g. 100)", p.NEstimators)
	case p.MaxDepth != nil && *p.MaxDepth < 1:
		return fmt.Errorf("gradient_boosting: max_depth is %d; it must be an integer >= 1, or null for unlimited depth", *p.MaxDepth)
	case !(p.LearningRate > 0 && p.LearningRate <= 1):
		return fmt.Errorf("gradient_boosting: learning_rate is %v; it must be > 0 and <= 1 (e.g. 0.1)", p.LearningRate)
	case !(p.MinChildWeight >= 0) || !finite(p.MinChildWeight):
		return fmt.Errorf("gradient_boosting: min_child_weight is %v; it must be a finite number >= 0 (default 1)", p.MinChildWeight)
	case !(p.Subsample > 0 && p.Subsample <= 1):
		return fmt.Errorf("gradient_boosting: subsample is %v; it must be > 0 and <= 1 (1 uses every row)", p.Subsample)
	case !(p.ColsampleByTree > 0 && p.ColsampleByTree <= 1):
		return fmt.Errorf("gradient_boosting: colsample_bytree is %v; it must be > 0 and <= 1 (1 uses every column)", p.ColsampleByTree)
	case !(p.RegAlpha >= 0) || !finite(p.RegAlpha):
		return fmt.Errorf("gradient_boosting: reg_alpha is %v; it must be a finite number >= 0 (default 0)", p.RegAlpha)
	case !(p.RegLambda >= 0) || !finite(p.RegLambda):
		return fmt.Errorf("gradient_boosting: reg_lambda is %v; it must be a finite number >= 0 (default 1)", p.RegLambda)
	case p.MaxBin < 2 || p.MaxBin > 65536:
		return fmt.Errorf("gradient_boosting: max_bin is %d; it must be an integer from 2 to 65536 (default 256)", p.MaxBin)
	case !(p.ValidationFraction >= 0 && p.ValidationFraction < 1):
		return fmt.Errorf("gradient_boosting: validation_fraction is %v; it must be >= 0 and < 1 (e.g. 0.1)", p.ValidationFraction)
	case p.EarlyStoppingRounds < 0:
		return fmt.Errorf("gradient_boosting: early_stopping_rounds is %d; it must be an integer >= 0", p.EarlyStoppingRounds)
	case p.EarlyStoppingRounds > 0 && p.ValidationFraction == 0:
		return fmt.Errorf("gradient_boosting: early_stopping_rounds is %d but validation_fraction is 0; set validation_fraction (e.g. 0.1) to stop early", p.EarlyStoppingRounds)
	case p.ClassWeight != "" && p.ClassWeight != ClassWeightBalanced:
		return fmt.Errorf("gradient_boosting: class_weight %q is not supported; use %q or leave it empty", p.ClassWeight, ClassWeightBalanced)
	case p.NThread < 0:
		return fmt.Errorf("gradient_boosting: nthread is %d; it must be >= 0 (0 uses every core)", p.NThread)
	}
	return nil
}

// classes is the number of model outputs' classes: 2 for binary.
func (p Params) classes() int { return max(p.Classes, 2) }
