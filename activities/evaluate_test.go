package activities_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/activities"
	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/registry"
	"github.com/mlpipe/mlpipe/internal/spec"
)

// trained ingests generated churn data, engineers features and trains.
func trained(t *testing.T, acts *activities.Activities, wf string, epochs int) activities.TrainedModel {
	t.Helper()
	res, err := execute[activities.IngestDataResult](t, acts, acts.IngestData, activities.IngestDataInput{
		Pipeline: "churn", Source: writeFile(t, "churn.csv", churnCSV(t, 2000, genTime)), Target: "churned"})
	require.NoError(t, err)
	cfg := exampleConfig()
	cfg.Epochs = epochs
	return train(t, acts, wf, engineer(t, acts, res.Dataset, churnFeatures()), cfg)
}

func evaluate(t *testing.T, acts *activities.Activities, in activities.EvaluateModelInput) (activities.Evaluation, activities.EvaluationReport) {
	t.Helper()
	res, err := execute[activities.EvaluateModelResult](t, acts, acts.EvaluateModel, in)
	require.NoError(t, err)
	b, err := artifact.ReadAll(context.Background(), res.Evaluation.Report)
	require.NoError(t, err)
	var doc activities.EvaluationReport
	require.NoError(t, json.Unmarshal(b, &doc))
	return res.Evaluation, doc
}

func TestEvaluationReportHasIntervalsSlicesLatencyAndAPage(t *testing.T) {
	acts, _ := newActs(t)
	tm := trained(t, acts, "wf-1", 40)
	ev, doc := evaluate(t, acts, activities.EvaluateModelInput{
		Model: tm, ModelName: "churn-classifier", WorkflowID: "wf-1",
		EvaluationThreshold: map[string]float64{"f1": 0.8, "log_loss": 0.5},
		Settings: spec.Evaluation{Bootstrap: 200, Slices: []spec.Slice{
			{Column: "status"}, {Column: "age", Buckets: []float64{0, 40, 60, 150}},
		}},
	})

	// Intervals for the gate's metrics bracket the point estimate.
	for _, m := range []string{"f1", "log_loss"} {
		require.Contains(t, ev.Low, m)
		assert.LessOrEqual(t, ev.Low[m], ev.Metrics[m], m)
		assert.GreaterOrEqual(t, ev.High[m], ev.Metrics[m], m)
		assert.Less(t, ev.Low[m], ev.High[m], m)
	}
	assert.NotContains(t, ev.Low, "accuracy", "intervals only for the metrics the gate uses")
	for _, m := range []string{"accuracy", "balanced_accuracy", "precision", "recall", "f1", "f1_macro", "f1_weighted", "roc_auc", "pr_auc", "log_loss", "brier"} {
		assert.Contains(t, ev.Metrics, m)
	}
	assert.Nil(t, ev.Champion, "the first model of a name has no champion")

	// Slices: every status value and age bucket, rows adding up.
	var statusRows, ageRows int
	values := map[string]bool{}
	for _, s := range doc.Slices {
		values[s.Column+"="+s.Value] = true
		switch s.Column {
		case "status":
			statusRows += s.Rows
		case "age":
			ageRows += s.Rows
		}
	}
	assert.Equal(t, 400, statusRows)
	assert.Equal(t, 400, ageRows)
	for _, v := range []string{"status=active", "status=inactive", "age=[0, 40)", "age=[40, 60)", "age=[60, 150)"} {
		assert.True(t, values[v], "slice %s", v)
	}

	require.NotNil(t, doc.Latency)
	assert.Positive(t, doc.Latency.P50Single)
	assert.GreaterOrEqual(t, doc.Latency.P99Single, doc.Latency.P50Single)
	assert.Positive(t, doc.Latency.BatchRowsPerSecond)
	require.Len(t, doc.Gate, 2)
	assert.Equal(t, "f1 >= 0.8", doc.Gate[0].Rule)

	page, err := artifact.ReadAll(context.Background(), ev.HTML)
	require.NoError(t, err)
	assert.True(t, strings.HasSuffix(ev.HTML.URI, ".html"))
	assert.Equal(t, 4, strings.Count(string(page), "data:image/png;base64,"), "ROC, PR, confusion and calibration plots")
	assert.Contains(t, string(page), "churn-classifier")
	assert.Contains(t, string(page), "[40, 60)")
}

func TestEvaluationScoresTheChampionOnTheSameRows(t *testing.T) {
	acts, _ := newActs(t)
	weak := trained(t, acts, "wf-old", 1)
	ctx := context.Background()
	v, err := acts.Registry.Register(ctx, registry.Version{Name: "churn-classifier", Model: weak.Bundle, ModelURI: weak.Bundle.URI})
	require.NoError(t, err)
	require.NoError(t, acts.Registry.Promote(ctx, "churn-classifier", v.Version))

	strong := trained(t, acts, "wf-new", 40)
	ev, doc := evaluate(t, acts, activities.EvaluateModelInput{
		Model: strong, ModelName: "churn-classifier", WorkflowID: "wf-new",
		EvaluationThreshold: map[string]float64{"f1": 0.8},
		ChampionThreshold:   map[string]float64{"f1": 0.01},
	})
	require.NotNil(t, ev.Champion)
	assert.Empty(t, ev.Champion.Error)
	assert.Equal(t, v.Version, ev.Champion.Version)

	// The champion's numbers are its own model on the same test rows.
	_, alone := evaluate(t, acts, activities.EvaluateModelInput{Model: weak})
	assert.InDelta(t, alone.Evaluation.Report.F1, ev.Champion.Metrics["f1"], 1e-12)
	assert.NotEqual(t, ev.Metrics["log_loss"], ev.Champion.Metrics["log_loss"])

	require.Len(t, doc.Gate, 2)
	assert.Equal(t, "change", doc.Gate[1].Kind)
	page, err := artifact.ReadAll(context.Background(), ev.HTML)
	require.NoError(t, err)
	assert.Contains(t, string(page), "churn-classifier v1")
}
