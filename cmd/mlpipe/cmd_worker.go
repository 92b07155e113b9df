package main

import (
	"context"

	"github.com/mlpipe/mlpipe/internal/config"
	"github.com/mlpipe/mlpipe/workers"
)

// worker runs one worker until interrupted.
func (m *Main) worker(ctx context.Context, args []string) error {
	fs := newFlags("worker")
	queue := fs.String("queue", "cpu", "task queue: cpu (mlpipe-cpu) or gpu (mlpipe-gpu)")
	slots := fs.Int("slots", 0, "fits running at once on the gpu queue (default: one per CUDA device, or one per CPU core on the CPU build)")
	prefetch := fs.Int("prefetch", workers.PrefetchPerSlot, "training activities held beyond the slots, ready to fit when a slot frees, while fits take under 10s (-1: one per slot; 0: none)")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	s := config.FromEnv()
	acts, err := newActivities(ctx, s)
	if err != nil {
		return err
	}
	c, err := workers.Dial(ctx, "", m.Logger)
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
