// Package gbt trains gradient-boosted tree classifiers through XGBoost's C
// API (Debian's libxgboost-dev 1.7, cgo): binary:logistic for two classes,
// multi:softprob for three or more, with tree_method hist, or gpu_hist on
// the GPU that Options.Device names (which needs a libxgboost built with
// CUDA; without it Train returns ErrNoCUDA). Train returns
// the model in XGBoost's JSON format, which package treeeval evaluates in
// plain Go for serving; Predict is XGBoost's own prediction, the reference
// treeeval is tested against. Without cgo (or with the noxgboost build
// tag) the package still validates parameters and data, and Train and
// Predict return ErrUnavailable.
//
// # Parameters
//
// Params use the scikit-learn wrapper's names and map one to one onto
// XGBoost's: n_estimators rounds, learning_rate (eta), min_child_weight,
// subsample, colsample_bytree, reg_alpha (alpha), reg_lambda (lambda),
// max_bin, seed, nthread. max_depth null is unlimited depth, which
// XGBoost 1.7 spells max_depth 0; its documentation allows 0 ("no limit")
// for hist but not for the depthwise growth policy, so an unlimited tree
// grows with grow_policy lossguide and no leaf limit (max_leaves 0).
// Without a limit both policies make every split whose gain is positive,
// so the tree is the same; lossguide is only the order. class_weight
// balanced multiplies the sample weights by n / (k·n_c), computed on the
// training rows. Early stopping holds out validation_fraction of the rows
// (stratified, drawn from seed), evaluates the weighted log-loss there
// after every round (XGBoost's logloss/mlogloss at full precision) and,
// after early_stopping_rounds rounds without a lower one, keeps the trees
// of the best round, as XGBoost's own EarlyStopping callback does.
// Params.Set and Tunable let a search set parameters by name.
//
// # Durability
//
// Train grows one round at a time and calls Options.OnProgress every
// Options.Every rounds (heartbeats); Progress.Checkpoint serialises the
// booster (XGBoosterSaveModelToBuffer, JSON) with the training state in
// its attributes, and Options.Resume continues from such bytes at their
// round count. A resumed run ends with the model an uninterrupted run
// trains, tree for tree, with row and column sampling too: XGBoost is told
// to reseed its generator from (seed, round) before every round
// (seed_per_iteration), and, when sampling, to rebuild its tree updater
// each round (see trainer.resample), whose column sampler would otherwise
// carry its position from one round to the next.
//
// # Threads and memory
//
// XGBoost keeps its random engine, last error, prediction cache, log
// callback and returned buffers per OS thread, so each Train and Predict
// runs on a goroutine locked to a thread of its own that exits at the end
// (which also frees the thread's OpenMP team). Trainings may run
// concurrently; each gets the model it gets alone. nthread threads work
// inside each. OpenMP's threads spin while they wait for each other, which
// on cores that other work keeps busy costs far more than the work: give
// a worker nthread × concurrent trainings <= its cores, and run it with
// OMP_WAIT_POLICY=passive where its cores are shared (OpenMP reads the
// variable when the process starts, so it cannot be set from here).
//
// The rows go into a QuantileDMatrix, as XGBoost's scikit-learn wrapper
// does for hist: their histogram bins (1 byte per value for up to 256
// bins), not a copy of the values. The caller's rows are read in place;
// with a validation split the two parts are copied first. Every handle is
// freed before Train returns.
package gbt
