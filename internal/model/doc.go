// Package model trains and applies classification models with Gorgonia.
//
// Training builds a Gorgonia expression graph once, runs it over shuffled
// mini-batches with a reusable TapeMachine, and reports a resumable
// Checkpoint after every epoch. Kinds are logistic regression ("logistic")
// and a multi-layer perceptron ("mlp"), each binary (sigmoid) or
// multi-class (softmax, Config.Classes >= 3), with optional dropout, L2 and
// early stopping on a held-out validation share. Prediction is plain Go so
// that serving does not need a graph.
package model
