package activities

import (
	"context"
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
// (for late labels) into eng, and counts them.
func openWindow(ctx context.Context, store artifact.Store, eng *dataplane.Engine, model string, from, to time.Time) (monitor.Traffic, error) {
	w, err := inferlog.Read(ctx, store, eng, inferlog.Query{Model: model, From: from, To: to, KeysFrom: from.Add(-LateLabels)})
	if err != nil {
		return monitor.Traffic{}, err
	}
	return monitor.Traffic{
		Predictions: w.Predictions, Feedback: w.Feedback, Joined: w.Joined,
		UnknownFeedback: w.UnknownFeedback, Skipped: w.Skipped,
	}, nil
}
