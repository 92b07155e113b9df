package main

import (
	"context"

	"go.temporal.io/sdk/client"

	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/config"
	"github.com/mlpipe/mlpipe/internal/gbt"
	"github.com/mlpipe/mlpipe/workers"
)

// worker runs one worker until interrupted.
func (m *Main) worker(ctx context.Context, args []string) error {
	fs := newFlags("worker")
	queue := fs.String("queue", "cpu", "task queue: cpu (mlpipe-cpu) or gpu (mlpipe-gpu)")
	slots := fs.Int("slots", 0, "fits running at once on the gpu queue (default: one per CUDA device, or one per CPU core on the CPU build)")
	prefetch := fs.Int("prefetch", workers.PrefetchPerSlot, "training activities held beyond the slots, ready to fit when a slot frees, while fits take under 10s (-1: one per slot; 0: none)")
	treeDevice := fs.String("xgboost-device", "cpu", "where the gpu queue grows gradient-boosted trees: cpu, or cuda / cuda:N for XGBoost's gpu_hist (needs a libxgboost built with CUDA)")
	metricsAddr := fs.String("metrics-addr", "", "serve the Temporal SDK's worker metrics on HOST:PORT/metrics for Prometheus (e.g. 127.0.0.1:9101)")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if _, err := gbt.ParseDevice(*treeDevice); err != nil {
		return usageErr("--xgboost-device: %v", err)
	}
	s := config.FromEnv()
	acts, err := newActivities(ctx, s)
	if err != nil {
		return err
	}
	acts.TreeDevice = *treeDevice
	artifact.SweepTempsInBackground(ctx, acts.Store, m.Logger)
	var mh client.MetricsHandler
	if *metricsAddr != "" {
		if mh, _, err = workers.MetricsEndpoint(ctx, *metricsAddr, m.Logger); err != nil {
			return err
		}
	}
	c, err := workers.DialMetrics(ctx, "", m.Logger, mh)
	if err != nil {
		return err
	}
	defer c.Close()
	stop, err := startWorkers(ctx, c, acts, []string{*queue}, workers.GPUOptions{Slots: *slots, Prefetch: *prefetch}, m.Logger)
	if err != nil {
		return err
	}
	defer stop()
	<-ctx.Done()
	return nil
}
