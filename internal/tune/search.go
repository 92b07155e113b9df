package tune

import (
	"fmt"
)

// Search strategies.
const (
	// StrategyRandom trains every sampled trial on every fold for the full
	// budget, as RandomizedSearchCV does.
	StrategyRandom = "random"
	// StrategySuccessiveHalving trains trials in rungs of growing epochs and
	// stops the weaker ones after each rung (see Halving).
	StrategySuccessiveHalving = "successive_halving"
)

// Search is the search: section of a spec, the HyperparameterSearch
// workflow's input together with the base model config.
type Search struct {
	Strategy string `json:"strategy" yaml:"strategy"`
	// NIter is the number of trials to sample (rung 0's size under
	// successive halving).
	NIter int `json:"n_iter" yaml:"n_iter"`
	// CV is the number of stratified folds each trial is scored on.
	CV      int    `json:"cv" yaml:"cv"`
	Scoring string `json:"scoring" yaml:"scoring"`
	Seed    int64  `json:"seed" yaml:"seed"`
	// MaxParallel bounds the trial×fold activities scheduled at once,
	// queued or running; the GPU workers' slots bound the fits running at
	// once. Keep it well above the slots (the default, 16, is 8× a 2-slot
	// worker's): the queue must hold the next trials while the workflow
	// schedules more, or freed slots idle, and short trials lose most of
	// the throughput (parallel efficiency 0.5 at 4, 0.8 at 16, with 20 ms
	// fits on a 2-slot worker).
	MaxParallel        int   `json:"max_parallel" yaml:"max_parallel"`
	ParamDistributions Space `json:"param_distributions" yaml:"param_distributions"`
	// Halving configures successive_halving; it is ignored (but validated)
	// under strategy random.
	Halving *Halving `json:"halving,omitempty" yaml:"halving,omitempty"`
}

// DefaultMaxParallel is max_parallel when the spec leaves it out.
const DefaultMaxParallel = 16

// Defaults returns a copy of s with zero fields filled in as
// RandomizedSearchCV's: strategy random, n_iter 10, cv 5, scoring accuracy;
// and max_parallel DefaultMaxParallel. The seed stays as given (0 is a valid seed). For a
// multi-class model use DefaultsFor, whose scoring is f1_macro.
//
// The HyperparameterSearch workflow applies these defaults to its input, so
// changing one changes what a running search schedules on replay: gate such
// a change with workflow.GetVersion.
func (s Search) Defaults() Search {
	if s.Strategy == "" {
		s.Strategy = StrategyRandom
	}
	if s.NIter == 0 {
		s.NIter = 10
	}
	if s.CV == 0 {
		s.CV = 5
	}
	if s.Scoring == "" {
		s.Scoring = DefaultScoring(2)
	}
	if s.MaxParallel == 0 {
		s.MaxParallel = DefaultMaxParallel
	}
	return s
}

// DefaultsFor is Defaults for a model of classes classes (0 or 2: binary):
// with three or more the scoring defaults to f1_macro (DefaultScoring).
func (s Search) DefaultsFor(classes int) Search {
	if s.Scoring == "" {
		s.Scoring = DefaultScoring(classes)
	}
	return s.Defaults()
}

// Validate reports the first field that is wrong, named as in YAML. It
// accepts any scoring name of a binary or a multi-class model; whether the
// name suits the model searched is CheckScoring's to say, since the search
// alone does not know the model's classes.
func (s Search) Validate() error {
	switch {
	case s.Strategy != StrategyRandom && s.Strategy != StrategySuccessiveHalving:
		return fmt.Errorf("tune: search.strategy %q is not supported; use %q or %q", s.Strategy, StrategyRandom, StrategySuccessiveHalving)
	case s.NIter < 1:
		return fmt.Errorf("tune: search.n_iter is %d; it must be >= 1", s.NIter)
	case s.CV < 2:
		return fmt.Errorf("tune: search.cv is %d; it must be >= 2 folds", s.CV)
	case s.MaxParallel < 1:
		return fmt.Errorf("tune: search.max_parallel is %d; it must be >= 1", s.MaxParallel)
	}
	if err := checkScoring(s.Scoring); err != nil {
		return fmt.Errorf("search.scoring: %w", err)
	}
	if err := s.ParamDistributions.Validate(); err != nil {
		return fmt.Errorf("search: %w", err)
	}
	if s.Strategy != StrategySuccessiveHalving {
		// A halving block beside strategy: random is kept for switching
		// strategies back and forth; it is unused but must still be valid.
		if s.Halving != nil {
			return s.Halving.Validate()
		}
		return nil
	}
	if s.Halving == nil {
		return fmt.Errorf("tune: search.strategy is %s but search.halving is missing; add e.g. halving: {min_epochs: 5, max_epochs: 60, eta: 3}", s.Strategy)
	}
	if _, ok := s.ParamDistributions.Get("epochs"); ok {
		return fmt.Errorf("tune: search.param_distributions.epochs conflicts with successive_halving, which sets epochs per rung; remove it or use strategy: random")
	}
	if _, ok := s.ParamDistributions.Get("n_estimators"); ok {
		return fmt.Errorf("tune: search.param_distributions.n_estimators conflicts with successive_halving, which sets the boosting rounds of gradient_boosting per rung (halving's min_epochs and max_epochs count rounds); remove it or use strategy: random")
	}
	return s.Halving.Validate()
}
