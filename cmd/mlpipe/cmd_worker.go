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
	slots := fs.Int("slots", 0, "concurrent training activities on the gpu queue (default: one per CPU core on this CPU build)")
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
	stop, err := startWorkers(ctx, c, acts, []string{*queue}, *slots, m.Logger)
	if err != nil {
		return err
	}
	defer stop()
	<-ctx.Done()
	return nil
}
