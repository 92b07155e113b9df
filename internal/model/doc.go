// Package model trains and applies classification models with Gorgonia.
//
// Training builds a Gorgonia expression graph once and runs it with a
// reusable TapeMachine: over shuffled mini-batches for sgd, momentum and
// adam, or over every training row at once for L-BFGS (lbfgs.go: one
// iteration per epoch, stopping when converged). It reports a resumable
// Checkpoint after every epoch. Kinds are logistic regression ("logistic")
// and a multi-layer perceptron ("mlp"), each binary (sigmoid) or
// multi-class (softmax, Config.Classes >= 3), with optional dropout, L2 and
// early stopping on a held-out validation share. Prediction is plain Go so
// that serving does not need a graph.
package model
