package activities

import (
	"context"
	"fmt"
	"time"

	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/dataplane"
	"github.com/mlpipe/mlpipe/internal/inferlog"
	"github.com/mlpipe/mlpipe/internal/monitor"
)

// LateLabels is how far before a window the predictions that its
// feedback may join were made: churn labels come days late, and a
// longer look-back reads more of the log's key columns.
const LateLabels = 7 * 24 * time.Hour

// openWindow loads the model's logged predictions made in [from, to), the
// feedback received then, and the predictions of the LateLabels before
// (for late labels) into eng, counts them, and parses their input rows.
func openWindow(ctx context.Context, store artifact.Store, eng *dataplane.Engine, model string, from, to time.Time) (monitor.Traffic, *inferlog.Inputs, error) {
	w, err := inferlog.Read(ctx, store, eng, inferlog.Query{Model: model, From: from, To: to, KeysFrom: from.Add(-LateLabels), Requests: true, ParseInputs: true})
	if err != nil {
		return monitor.Traffic{}, nil, err
	}
	return monitor.Traffic{
		Predictions: w.Predictions, Feedback: w.Feedback, Joined: w.Joined,
		UnknownFeedback: w.UnknownFeedback, Skipped: w.Skipped,
	}, w.Inputs, nil
}

// AnalyzeLog is the analysis AnalyzeWindow runs, without Temporal: it
// loads the window [in.From, in.To) of the model's logs from store into
// an engine of its own and measures it into snap. progress, when not nil,
// hears each step (the activity heartbeats with it).
func AnalyzeLog(ctx context.Context, store artifact.Store, in monitor.Input, snap *monitor.Snapshot, progress func(step string)) error {
	if progress == nil {
		progress = func(string) {}
	}
	eng, err := dataplane.Open(dataplane.Options{})
	if err != nil {
		return err
	}
	defer eng.Close()
	traffic, inputs, err := openWindow(ctx, store, eng, in.Model, in.From, in.To)
	if err != nil {
		return fmt.Errorf("read the inference log of %s from %s to %s: %w", in.Model, in.From.Format(time.RFC3339), in.To.Format(time.RFC3339), err)
	}
	snap.Traffic, in.Inputs = traffic, inputs
	progress("analysing the window")
	if err := monitor.Analyze(ctx, eng.DB(), in, snap); err != nil {
		return fmt.Errorf("analyse %s from %s to %s: %w", in.Model, in.From.Format(time.RFC3339), in.To.Format(time.RFC3339), err)
	}
	return nil
}
