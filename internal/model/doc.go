// Package model trains and applies classification models with Gorgonia.
//
// Training builds a Gorgonia expression graph once, runs it over shuffled
// mini-batches with a reusable TapeMachine, and reports a resumable
// Checkpoint after every epoch. Prediction is plain Go so that serving does
// not need a graph. Only binary logistic regression ("logistic") exists
// today; Config.Kind and Model.Params leave room for an MLP and softmax.
package model
