package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/mlpipe/mlpipe/activities"
	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/bundle"
	"github.com/mlpipe/mlpipe/internal/config"
	"github.com/mlpipe/mlpipe/internal/inferlog"
	"github.com/mlpipe/mlpipe/internal/model"
	"github.com/mlpipe/mlpipe/internal/registry"
	"github.com/mlpipe/mlpipe/internal/serving"
	"github.com/mlpipe/mlpipe/workers"
)

// newActivities opens the artifact store and registry the settings name.
func newActivities(ctx context.Context, s config.Settings) (*activities.Activities, error) {
	store, err := artifact.Open(ctx, s.Artifacts)
	if err != nil {
		return nil, fmt.Errorf("artifact store %s: %w", s.Artifacts, err)
	}
	return &activities.Activities{Store: store, Registry: registry.New(store), HTTP: &http.Client{Timeout: 10 * time.Second}, AdminToken: s.AdminToken}, nil
}

// startWorkers runs the CPU and/or GPU workers until ctx ends.
func startWorkers(ctx context.Context, c client.Client, acts *activities.Activities, queues []string, gpu workers.GPUOptions, logger *slog.Logger) (func(), error) {
	if err := workers.EnsureSearchAttributes(ctx, c, ""); err != nil {
		logger.Warn("search attributes", "error", err)
	}
	var started []worker.Worker
	stop := func() {
		for _, w := range started {
			w.Stop()
		}
	}
	for _, q := range queues {
		var w worker.Worker
		switch q {
		case "cpu":
			w = workers.NewCPU(c, acts)
		case "gpu":
			o, err := gpu.Resolve()
			if err != nil {
				stop()
				return nil, usageErr("--%v", err)
			}
			logger.Info("training engine", "engine", model.Engine, "slots", o.Slots, "prefetch", o.Prefetch,
				"prefetch_fits_under", o.PrefetchFitsUnder)
			if w, err = workers.NewGPU(c, acts, o); err != nil {
				stop()
				return nil, err
			}
		default:
			stop()
			return nil, usageErr("--queue %q: use cpu or gpu", q)
		}
		if err := w.Start(); err != nil {
			stop()
			return nil, fmt.Errorf("start %s worker: %w", q, err)
		}
		started = append(started, w)
		logger.Info("worker started", "queue", "mlpipe-"+q)
	}
	return stop, nil
}

// loadBundle is the gateway's loader: a registry version's model bundle.
func loadBundle(ctx context.Context, v registry.Version) (serving.Predictor, error) {
	b, err := artifact.ReadAll(ctx, v.Model)
	if err != nil {
		return nil, fmt.Errorf("model %s version %d: %w", v.Name, v.Version, err)
	}
	return bundle.Decode(b)
}

// runGateway serves the gateway on addr until ctx ends; tune adjusts its
// options (mlpipe serve's flags).
func runGateway(ctx context.Context, s config.Settings, addr string, logger *slog.Logger, ready chan<- string, tune ...func(*serving.Options)) error {
	store, err := artifact.Open(ctx, s.Artifacts)
	if err != nil {
		return fmt.Errorf("artifact store %s: %w", s.Artifacts, err)
	}
	artifact.SweepTempsInBackground(ctx, store, logger)
	opts := serving.Options{RefreshInterval: s.Refresh, Logger: logger, AdminToken: s.AdminToken,
		InferenceLog: inferlog.WriterOptions{Store: store}}
	for _, t := range tune {
		t(&opts)
	}
	gw := serving.New(registry.New(store), loadBundle, opts)
	defer gw.Close()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("gateway: listen on %s (set --addr or MLPIPE_GATEWAY_ADDR): %w", addr, err)
	}
	srv := &http.Server{Handler: gw.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := gw.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
			logger.Error("gateway registry loop stopped", "error", err)
		}
	}()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	logger.Info("gateway listening", "addr", ln.Addr().String())
	if ready != nil {
		ready <- ln.Addr().String()
	}
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
