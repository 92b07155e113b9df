// Package tune is the hyperparameter search library behind the
// HyperparameterSearch workflow, in the shape of scikit-learn's
// RandomizedSearchCV: a search space of named distributions (Space), a
// deterministic sampler of trials (Sample), stratified k-fold splits
// (StratifiedKFold, over any number of classes), fold scoring (Score for a
// binary model, ScoreMultiClass for three or more classes, CheckScoring to
// match a scoring to the model), ranking and a Markdown table of the
// results (Rank, Table), and a successive-halving planner (Halving.Plan,
// Promote) that stops weak trials early.
//
// Everything here is deterministic for a given input and seed, does no I/O,
// reads no clock and never ranges over a map, so a Temporal workflow may call
// it directly. Values that cross the workflow boundary (Search, Space,
// Trial, TrialResult) round-trip through JSON exactly.
package tune
