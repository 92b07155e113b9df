package activities_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/activities"
	"github.com/mlpipe/mlpipe/internal/gbt"
	"github.com/mlpipe/mlpipe/internal/model"
	"github.com/mlpipe/mlpipe/internal/tune"
)

// gbtConfig is a small gradient_boosting config, defaults filled in as the
// spec does.
func gbtConfig() model.Config {
	return model.Config{Kind: model.KindGradientBoosting, NEstimators: 40, MaxDepth: 4, LearningRate: 0.1,
		Subsample: 0.8, ColsampleByTree: 0.8, Seed: 7}.Defaults()
}

// The bundle carries the trees and scores raw rows through its transform
// in plain Go, as XGBoost itself scores the test split (within 1e-6); the
// evaluation scores it like any model.
func TestGBTTrainEvaluateAndBundleParity(t *testing.T) {
	acts, _ := newActs(t)
	data := churnCSV(t, 2000, genTime)
	res, err := execute[activities.IngestDataResult](t, acts, acts.IngestData, activities.IngestDataInput{
		Pipeline: "churn", Source: writeFile(t, "churn.csv", data), Target: "churned"})
	require.NoError(t, err)
	spec := churnFeatures()
	fs := engineer(t, acts, res.Dataset, spec)

	tm := train(t, acts, "wf-gbt", fs, gbtConfig())
	assert.Equal(t, 40, tm.Epochs, "rounds kept")
	bu := readBundle(t, tm.Bundle)
	require.Nil(t, bu.Model)
	require.NotNil(t, bu.Trees)
	assert.Equal(t, 40, bu.Trees.Trees())
	assert.Equal(t, model.KindGradientBoosting, bu.Metadata.Params.Kind)

	test := readMatrix(t, fs.Test)
	b, err := bu.Trees.MarshalJSON()
	require.NoError(t, err)
	want, err := gbt.Predict(b, test.X, test.Cols())
	require.NoError(t, err)
	got, err := bu.PredictProba(rawTestRows(t, data, spec))
	require.NoError(t, err)
	require.Len(t, got, len(want))
	assert.InDeltaSlice(t, want, got, 1e-6, "bundle (plain Go, raw rows) against XGBoost's own predictions")

	ev, err := execute[activities.EvaluateModelResult](t, acts, acts.EvaluateModel, activities.EvaluateModelInput{Model: tm})
	require.NoError(t, err)
	assert.Equal(t, 400, ev.Evaluation.TestRows)
	assert.Greater(t, ev.Evaluation.Metrics["f1"], 0.8)
}

// A retried attempt continues from the checkpoint its last heartbeat names,
// at that round, and ends with the trees of an uninterrupted run.
func TestGBTTrainModelResumesFromCheckpoint(t *testing.T) {
	acts, store := newActs(t)
	acts.Checkpoints.MinInterval = time.Nanosecond
	fs := engineer(t, acts, ingest(t, acts, 600), churnFeatures())
	cfg := gbtConfig()

	whole := train(t, acts, "wf-whole", fs, cfg)
	cks := keys(t, store, "checkpoints/churn-classifier/wf-whole/")
	require.Len(t, cks, 3, "the last few checkpoints: rounds 10, 20, 30")
	require.True(t, strings.HasSuffix(cks[1], "/epoch-0020.json"), cks[1])
	ck, ok, err := store.Stat(context.Background(), cks[1])
	require.NoError(t, err)
	require.True(t, ok)

	resumed := train(t, acts, "wf-resumed", fs, cfg, activities.TrainingProgress{Epoch: 20, Epochs: 40, Checkpoint: ck, Unit: activities.UnitRound})
	assert.Equal(t, 20, resumed.ResumedFrom)
	assert.Equal(t, 40, resumed.Epochs)
	a, err := readBundle(t, whole.Bundle).Trees.MarshalJSON()
	require.NoError(t, err)
	b, err := readBundle(t, resumed.Bundle).Trees.MarshalJSON()
	require.NoError(t, err)
	test := readMatrix(t, fs.Test)
	pa, err := gbt.Predict(a, test.X, test.Cols())
	require.NoError(t, err)
	pb, err := gbt.Predict(b, test.X, test.Cols())
	require.NoError(t, err)
	assert.Equal(t, pa, pb, "resuming gives the uninterrupted run's model")
}

// Bad values that reach the worker anyway (a workflow started from JSON)
// fail at once, not after five retries.
func TestGBTInvalidConfigIsNonRetryable(t *testing.T) {
	acts, _ := newActs(t)
	fs := engineer(t, acts, ingest(t, acts, 600), churnFeatures())
	cfg := gbtConfig()
	cfg.LearningRate = 2
	_, err := execute[activities.TrainModelResult](t, acts, acts.TrainModel, activities.TrainModelInput{
		Pipeline: "churn", Model: "churn-classifier", WorkflowID: "wf", Features: fs, Config: cfg})
	ae := appError(t, err, activities.ErrInvalidInput)
	assert.Contains(t, ae.Error(), "gradient_boosting: learning_rate is 2; it must be > 0 and <= 1")
}

// Every trial×fold of a boosted search is a TrainTrial, scored on its
// held-out fold; max_depth None trains unlimited trees.
func TestGBTTrainTrialScoresAFold(t *testing.T) {
	acts, _ := newActs(t)
	fs := engineer(t, acts, ingest(t, acts, 600), churnFeatures())
	cfg, err := tune.Apply(gbtConfig(), tune.Trial{ID: 3, Params: []tune.ParamValue{{Name: "max_depth", Value: "None"}, {Name: "n_estimators", Value: 20.0}}})
	require.NoError(t, err)
	res, err := execute[activities.TrainTrialResult](t, acts, acts.TrainTrial, activities.TrainTrialInput{
		Train: fs.Train, TrialID: 3, Config: cfg, Fold: 1, Folds: 3, CVSeed: 42, Scoring: "f1"})
	require.NoError(t, err)
	assert.Equal(t, tune.StatusOK, res.Status, res.Reason)
	assert.Equal(t, 20, res.Epochs)
	assert.Greater(t, res.Score, 0.6)
}

// A three-class booster (multi:softprob) trains, its bundle names the
// classes and scores as XGBoost does, and the evaluation reports the
// multi-class metrics.
func TestGBTMultiClassTrainsAndServes(t *testing.T) {
	acts, _ := newActs(t)
	data := plansCSV(t, 1200, 3)
	res, err := execute[activities.IngestDataResult](t, acts, acts.IngestData, activities.IngestDataInput{
		Pipeline: "plans", Source: writeFile(t, "plans.csv", data), Target: "plan"})
	require.NoError(t, err)
	fs := engineer(t, acts, res.Dataset, planFeatures())
	cfg := model.Config{Kind: model.KindGradientBoosting, Classes: 3, NEstimators: 30, MaxDepth: 3, LearningRate: 0.2, Seed: 7}.Defaults()
	tr, err := execute[activities.TrainModelResult](t, acts, acts.TrainModel, activities.TrainModelInput{
		Pipeline: "plans", Model: "plan-classifier", WorkflowID: "wf-plans-gbt", Features: fs, Config: cfg})
	require.NoError(t, err)
	bu := readBundle(t, tr.Model.Bundle)
	require.True(t, bu.MultiClass())
	assert.Equal(t, fs.Classes, bu.ClassList())
	assert.Equal(t, 90, bu.Trees.Trees(), "one tree per class per round")

	test := readMatrix(t, fs.Test)
	b, err := bu.Trees.MarshalJSON()
	require.NoError(t, err)
	want, err := gbt.Predict(b, test.X, test.Cols())
	require.NoError(t, err)
	got, err := bu.ScoreClassProba(test.X, test.Cols())
	require.NoError(t, err)
	for i, row := range got {
		assert.InDeltaSlice(t, want[i*3:(i+1)*3], row, 1e-6, "row %d", i)
	}

	ev, err := execute[activities.EvaluateModelResult](t, acts, acts.EvaluateModel, activities.EvaluateModelInput{Model: tr.Model})
	require.NoError(t, err)
	assert.Greater(t, ev.Evaluation.Metrics["accuracy"], 0.5)
	assert.Contains(t, ev.Evaluation.Metrics, "f1_macro")
}

// A GPU worker started with --xgboost-device cuda passes gpu_hist to
// XGBoost for TrainModel and for every trial. This machine's libxgboost has
// no CUDA, so each fails at once, non-retryable, saying what to do; a
// worker without the setting trains on the CPU as before.
func TestGBTOnADeviceWithoutCUDAFailsSayingSo(t *testing.T) {
	acts, _ := newActs(t)
	fs := engineer(t, acts, ingest(t, acts, 600), churnFeatures())
	acts.TreeDevice = "cuda"
	_, err := execute[activities.TrainModelResult](t, acts, acts.TrainModel, activities.TrainModelInput{
		Pipeline: "churn", Model: "churn-classifier", WorkflowID: "wf", Features: fs, Config: gbtConfig()})
	ae := appError(t, err, activities.ErrNoCUDA)
	assert.Contains(t, ae.Error(), "no CUDA support")
	assert.Contains(t, ae.Error(), "--xgboost-device")

	_, err = execute[activities.TrainTrialResult](t, acts, acts.TrainTrial, activities.TrainTrialInput{
		Train: fs.Train, TrialID: 1, Config: gbtConfig(), Fold: 0, Folds: 3, CVSeed: 42, Scoring: "f1"})
	ae = appError(t, err, activities.ErrNoCUDA)
	assert.Contains(t, ae.Error(), "trial 1 fold 0")

	acts.TreeDevice = "cpu"
	res, err := execute[activities.TrainModelResult](t, acts, acts.TrainModel, activities.TrainModelInput{
		Pipeline: "churn", Model: "churn-classifier", WorkflowID: "wf2", Features: fs, Config: gbtConfig()})
	require.NoError(t, err)
	assert.Equal(t, 40, res.Model.Epochs)
}
