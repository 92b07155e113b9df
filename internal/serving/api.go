package serving

import (
	"context"
	"log/slog"
	"time"

	"github.com/mlpipe/mlpipe/internal/registry"
)

// Predictor scores rows of raw feature values, one Prediction per row in order.
// It must be safe for concurrent use; the gateway calls it from many requests.
type Predictor interface {
	Predict(rows []map[string]any) ([]Prediction, error)
}

// Prediction is one row's answer.
type Prediction struct {
	Label       string  `json:"label"`
	Probability float64 `json:"probability"`
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
	// Logger receives reload results and errors (default slog.Default()).
	Logger *slog.Logger
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
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}
