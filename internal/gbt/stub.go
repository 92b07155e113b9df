//go:build !cgo || noxgboost

package gbt

import (
	"context"
	"time"
)

// Available reports whether this build trains with XGBoost (cgo and
// libxgboost); without them Train and Predict return ErrUnavailable.
const Available = false

// LibraryVersion is empty without XGBoost.
func LibraryVersion() string { return "" }

// onThread is never reached without XGBoost: Train stops before it.
func onThread(func() error) error { return ErrUnavailable }

// trainer stands in for the cgo trainer so that Train compiles.
type trainer[T float32 | float64] struct {
	ctx        context.Context
	p          Params
	o          Options
	gpu        int // the GPU's ordinal; -1 grows on the CPU
	cols       int
	began      time.Time
	train, val part[T]
}

func (t *trainer[T]) run() (*Result, error) { return nil, ErrUnavailable }

// Predict needs XGBoost; see the cgo build.
func Predict(model []byte, X []float64, cols int) ([]float64, error) { return nil, ErrUnavailable }
