package workers

import (
	"context"
	"fmt"
	"log/slog"

	"go.temporal.io/sdk/client"

	"github.com/mlpipe/mlpipe/internal/promexport"
)

// MetricsEndpoint serves the SDK's worker metrics (task latencies,
// schedule-to-start, slots, polls: temporal_*) with the Go runtime and
// process metrics on addr's /metrics until ctx ends. It returns the
// handler to dial with (DialMetrics) and the address it listens on.
func MetricsEndpoint(ctx context.Context, addr string, logger *slog.Logger) (client.MetricsHandler, string, error) {
	if logger == nil {
		logger = slog.Default()
	}
	reg := promexport.NewRegistry()
	mh, err := promexport.NewTemporalMetrics(reg)
	if err != nil {
		return nil, "", fmt.Errorf("worker metrics: %w", err)
	}
	listen, done, err := promexport.Serve(ctx, addr, reg, logger)
	if err != nil {
		return nil, "", err
	}
	go func() {
		if err := <-done; err != nil {
			logger.Error("worker metrics endpoint stopped", "addr", listen, "error", err)
		}
	}()
	logger.Info("worker metrics", "url", "http://"+listen+"/metrics")
	return mh, listen, nil
}
