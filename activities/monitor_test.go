package activities_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/mlpipe/mlpipe/activities"
	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/monitor"
	"github.com/mlpipe/mlpipe/internal/registry"
)

// A model with no production version fails the analysis at once, saying
// what to do.
func TestAnalyzeWindowWithoutProductionIsNotRetried(t *testing.T) {
	acts, _ := newActs(t)
	_, err := execute[activities.AnalyzeWindowResult](t, acts, acts.AnalyzeWindow, activities.AnalyzeWindowInput{
		MonitorInput: activities.MonitorInput{Model: "churn"}, End: genTime,
	})
	var ae *temporal.ApplicationError
	require.True(t, errors.As(err, &ae), "%v", err)
	assert.Equal(t, activities.ErrNoProductionVersion, ae.Type())
	assert.True(t, ae.NonRetryable())
	assert.Contains(t, ae.Error(), `model "churn" has no production version to monitor: deploy one first`)
}

// An empty window is a "no traffic" snapshot, not a failure; the next run
// reads from where it ended.
func TestAnalyzeWindowEmptyThenSincePrevious(t *testing.T) {
	acts, _ := newActs(t)
	ctx := context.Background()
	v, err := acts.Registry.Register(ctx, registry.Version{Name: "churn", Model: artifact.Ref{URI: "file:///m", SHA256: "00"}, CreatedAt: genTime})
	require.NoError(t, err)
	require.NoError(t, acts.Registry.Promote(ctx, "churn", v.Version))

	in := activities.AnalyzeWindowInput{MonitorInput: activities.MonitorInput{Model: "churn"}, End: genTime}
	res, err := execute[activities.AnalyzeWindowResult](t, acts, acts.AnalyzeWindow, in)
	require.NoError(t, err)
	assert.Equal(t, monitor.VerdictNoTraffic, res.Verdict)
	assert.Equal(t, genTime.Add(-activities.DefaultMonitorEvery), res.WindowStart, "a first window is one interval")
	assert.Contains(t, res.Snapshot.URI, "monitoring/churn/20250301T120000.000Z/snapshot.json")
	assert.Contains(t, res.Page.URI, "report.html")

	in.End = genTime.Add(5 * time.Minute)
	res, err = execute[activities.AnalyzeWindowResult](t, acts, acts.AnalyzeWindow, in)
	require.NoError(t, err)
	assert.Equal(t, genTime, res.WindowStart, "the next window starts where the last ended")

	in.End = genTime.Add(time.Hour)
	res, err = execute[activities.AnalyzeWindowResult](t, acts, acts.AnalyzeWindow, in)
	require.NoError(t, err)
	assert.Equal(t, in.End.Add(-activities.DefaultMonitorEvery), res.WindowStart, "but never more than one interval back")
}
