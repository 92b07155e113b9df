package serving

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/mlpipe/mlpipe/internal/inferlog"
	"github.com/mlpipe/mlpipe/internal/registry"
)

// Predictor scores rows of raw feature values, one Prediction per row in order.
// It must be safe for concurrent use; the gateway calls it from many requests.
type Predictor interface {
	Predict(rows []map[string]any) ([]Prediction, error)
}

// ClassLabeler is optionally implemented by a Predictor of a binary model to
// name its classes, negative first. The gateway then counts a row as predicted
// positive when its label is the positive class, and rejects feedback whose
// label is neither class. Without it, a row is predicted positive when its
// probability is above 0.5. (The method is not called Labels because
// bundle.Bundle already has a field of that name.)
type ClassLabeler interface {
	ClassLabels() [2]string
}

// ClassLister is optionally implemented by a Predictor to name every class
// it predicts, in model order. Three or more make it multi-class: the
// gateway then counts feedback per class (accuracy and macro F1), refuses
// feedback labels not in the list, answers /v2 with the probability matrix
// in this order, and ignores ClassLabeler.
type ClassLister interface {
	ClassList() []string
}

// Prediction is one row's answer. Probability is P(positive) for a binary
// model and the predicted label's probability for a multi-class one, which
// also gives every class's in Probabilities (left out for binary).
type Prediction struct {
	Label         string             `json:"label"`
	Probability   float64            `json:"probability"`
	Probabilities map[string]float64 `json:"probabilities,omitempty"`
}

// Input is a raw column a Predictor reads.
type Input struct {
	Name string `json:"name"`
	// Type is InputNumber, InputString or InputTime.
	Type string `json:"type"`
}

// Input types. A number must be finite; a time is an RFC 3339 string.
const (
	InputNumber = "number"
	InputString = "string"
	InputTime   = "time"
)

// InputLister is optionally implemented by a Predictor to name the raw
// columns it reads, in model order. The gateway then refuses a request
// that leaves one out (an explicit null is "unknown", which the model
// imputes as it was trained to), that sends a key no served version of the
// model reads (unless the request says strict: false), or that sends a
// number that is not finite, each with a 400 naming the row and column.
// Without it the gateway passes rows through unchecked.
type InputLister interface {
	InputColumns() []Input
}

// RowError is a Predictor's refusal of one value: the gateway answers 400
// naming the row (0-based) and column. Use it for bad input, so that it is
// not mistaken for a broken model.
type RowError struct {
	Row    int
	Column string
	Reason string
}

func (e *RowError) Error() string {
	return fmt.Sprintf("row %d, column %q: %s", e.Row, e.Column, e.Reason)
}

// Loader builds the Predictor for a registered version, typically by reading
// v.Model from the artifact store. An error keeps the previous version serving.
type Loader func(ctx context.Context, v registry.Version) (Predictor, error)

// Options tune a Gateway; the zero value is usable.
type Options struct {
	// RefreshInterval is how often Run polls the registry (default 2s).
	RefreshInterval time.Duration
	// Alias is the registry alias served for each model (default "production").
	Alias string
	// MaxBodyBytes bounds a predict request body (default 32 MiB).
	MaxBodyBytes int64
	// MaxRowsPerRequest bounds the rows of one predict request (default
	// 10,000); a request with more is answered 413.
	MaxRowsPerRequest int
	// MaxRowsInFlight bounds the rows decoded and being scored across all
	// requests at once (default 100,000), and separately the rows queued
	// for the shadow; a request that would go over it is answered 503 with
	// Retry-After, and a mirror over it is dropped. It keeps the gateway's
	// memory bounded under large concurrent batches.
	MaxRowsInFlight int
	// Logger receives reload results and errors (default slog.Default()).
	Logger *slog.Logger
	// AdminToken guards every /admin/ route as a bearer token; when empty
	// the admin API answers 403.
	AdminToken string
	// PredictionLog is how many predicted rows are kept in memory for
	// joining feedback to this gateway's canary and shadow counters
	// (default 100,000); older rows are forgotten. The durable record is
	// InferenceLog.
	PredictionLog int
	// InferenceLog writes every predicted row and every feedback to the
	// artifact store (the durable inference log, package inferlog); off
	// when its Store is nil. Its Logger defaults to Logger.
	InferenceLog inferlog.WriterOptions
	// ShadowWorkers score mirrored requests (default 4).
	ShadowWorkers int
	// ShadowQueue bounds mirrored requests waiting for a worker (default
	// 1,000); a mirror that finds it full is dropped and counted.
	ShadowQueue int
}

func (o Options) withDefaults() Options {
	if o.RefreshInterval <= 0 {
		o.RefreshInterval = 2 * time.Second
	}
	if o.Alias == "" {
		o.Alias = registry.AliasProduction
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 32 << 20
	}
	if o.MaxRowsPerRequest <= 0 {
		o.MaxRowsPerRequest = 10_000
	}
	if o.MaxRowsInFlight <= 0 {
		o.MaxRowsInFlight = 100_000
	}
	// One request of the largest size must always fit.
	o.MaxRowsInFlight = max(o.MaxRowsInFlight, o.MaxRowsPerRequest)
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.PredictionLog <= 0 {
		o.PredictionLog = 100_000
	}
	if o.ShadowWorkers <= 0 {
		o.ShadowWorkers = 4
	}
	if o.ShadowQueue <= 0 {
		o.ShadowQueue = 1000
	}
	return o
}
