package activities

import (
	"net/http"

	"go.temporal.io/sdk/client"

	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/registry"
)

// Activities holds what the activities need: where artifacts go and the
// model registry. Methods on it are registered by name (IngestData,
// ValidateData, ...); those names are a public API.
type Activities struct {
	Store    artifact.Store
	Registry *registry.Registry
	// Temporal, when set, is the client the deployment creates each
	// production model's ModelMonitor Schedule with, and the monitor
	// describes the task queues with.
	Temporal client.Client
	// HTTP calls the serving gateway after a promotion.
	HTTP *http.Client
	// AdminToken authenticates to the gateway's admin API.
	AdminToken string
	// matrices caches training matrices for search trials.
	matrices matrixCache
	// CheckpointEvery is how many epochs pass between training
	// checkpoints (default 5).
	CheckpointEvery int
	// Checkpoints bounds how many training checkpoints are kept and how
	// often they are written.
	Checkpoints CheckpointPolicy
	// TreeDevice is where gradient-boosted trees grow on this worker:
	// "" or "cpu", or "cuda"/"cuda:N" for XGBoost's gpu_hist (gbt.Options).
	TreeDevice string
	// OnSourceRead, when set, runs once IngestData has read the first
	// bytes of a source; tests change the source there, mid-read.
	OnSourceRead func(source string)
}
