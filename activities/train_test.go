package activities_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/activities"
	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/bundle"
	"github.com/mlpipe/mlpipe/internal/features"
	"github.com/mlpipe/mlpipe/internal/frame"
	"github.com/mlpipe/mlpipe/internal/model"
	"github.com/mlpipe/mlpipe/internal/testenv"
)

// exampleConfig is the example's hyperparameters.yaml.
func exampleConfig() model.Config {
	return model.Config{Kind: "logistic", Optimizer: "adam", Epochs: 40, LearningRate: 0.05, BatchSize: 128, L2: 0.0001, Seed: 7}
}

func train(t *testing.T, acts *activities.Activities, wf string, fs activities.FeatureSet, cfg model.Config, details ...any) activities.TrainedModel {
	t.Helper()
	res, err := execute[activities.TrainModelResult](t, acts, acts.TrainModel, activities.TrainModelInput{
		Pipeline: "churn", Model: "churn-classifier", WorkflowID: wf, Features: fs, Config: cfg,
	}, details...)
	require.NoError(t, err)
	return res.Model
}

func readBundle(t *testing.T, ref artifact.Ref) *bundle.Bundle {
	t.Helper()
	b, err := artifact.ReadAll(context.Background(), ref)
	require.NoError(t, err)
	bu, err := bundle.Decode(b)
	require.NoError(t, err)
	return bu
}

func TestTrainAndEvaluateOnChurn(t *testing.T) {
	acts, _ := newActs(t)
	data := churnCSV(t, 2000, genTime)
	res, err := execute[activities.IngestDataResult](t, acts, acts.IngestData, activities.IngestDataInput{
		Pipeline: "churn", Source: writeFile(t, "churn.csv", data), Target: "churned"})
	require.NoError(t, err)
	spec := churnFeatures()
	fs := engineer(t, acts, res.Dataset, spec)

	tm := train(t, acts, "wf-1", fs, exampleConfig())
	assert.Equal(t, 40, tm.Epochs)
	assert.Zero(t, tm.ResumedFrom)
	assert.Equal(t, fs, tm.Features)

	ev, err := execute[activities.EvaluateModelResult](t, acts, acts.EvaluateModel, activities.EvaluateModelInput{Model: tm})
	require.NoError(t, err)
	e := ev.Evaluation
	assert.Equal(t, 400, e.TestRows)
	assert.GreaterOrEqual(t, e.Metrics["f1"], 0.8)
	c := e.Confusion
	assert.Equal(t, 400, c.TN+c.FP+c.FN+c.TP)
	assert.InDelta(t, 2*float64(c.TP)/float64(2*c.TP+c.FP+c.FN), e.Metrics["f1"], 1e-12, "f1 agrees with the confusion matrix")
	var rep activities.EvaluationReport
	b, err := artifact.ReadAll(context.Background(), e.Report)
	require.NoError(t, err)
	require.NoError(t, jsonUnmarshal(b, &rep))
	assert.Equal(t, e.Metrics["f1"], rep.Evaluation.Report.F1)
	assert.Equal(t, fs.Version, rep.FeatureSet)

	// The bundle serves raw rows exactly as the model scores the
	// engineered test matrix.
	bu := readBundle(t, tm.Bundle)
	assert.Equal(t, [2]string{"no", "yes"}, bu.Labels)
	assert.Equal(t, "wf-1", bu.Metadata.WorkflowID)
	assert.Equal(t, res.Dataset.Ref.SHA256, bu.Metadata.DataDigest)
	test := readMatrix(t, fs.Test)
	want, err := bu.Model.PredictProba(test.X, test.Cols())
	require.NoError(t, err)
	got, err := bu.PredictProba(rawTestRows(t, data, spec))
	require.NoError(t, err)
	require.Len(t, got, len(want))
	assert.InDeltaSlice(t, want, got, 1e-12)

	// An external test CSV goes through the model's own transform.
	extRes, err := execute[activities.EvaluateModelResult](t, acts, acts.EvaluateModel, activities.EvaluateModelInput{
		Model: tm, TestSource: writeFile(t, "holdout.csv", churnCSV(t, 300, genTime))})
	require.NoError(t, err)
	assert.Equal(t, 300, extRes.Evaluation.TestRows)
	assert.Greater(t, extRes.Evaluation.Metrics["f1"], 0.7)
}

// rawTestRows returns the test split's raw CSV rows, in the stored order,
// as a JSON request body would carry them.
func rawTestRows(t *testing.T, data []byte, s features.Spec) []map[string]any {
	t.Helper()
	f, err := frame.ReadCSV(bytes.NewReader(data), frame.ReadOptions{Source: "churn.csv"})
	require.NoError(t, err)
	_, testIdx, err := features.Split(f, s)
	require.NoError(t, err)
	recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	require.NoError(t, err)
	out := make([]map[string]any, 0, len(testIdx))
	for _, i := range testIdx {
		row := map[string]any{}
		for j, name := range recs[0] {
			if v := recs[i+1][j]; strings.TrimSpace(v) != "" {
				row[name] = v
			}
		}
		out = append(out, row)
	}
	return out
}

func TestTrainModelResumesFromCheckpoint(t *testing.T) {
	acts, store := newActs(t)
	acts.CheckpointEvery = 2
	acts.Checkpoints.MinInterval = time.Nanosecond
	fs := engineer(t, acts, ingest(t, acts, 600), churnFeatures())
	cfg := exampleConfig()
	cfg.Epochs = 10

	whole := train(t, acts, "wf-whole", fs, cfg)
	wholeModel := readBundle(t, whole.Bundle).Model
	cks := keys(t, store, "checkpoints/churn-classifier/wf-whole/")
	// No heartbeat reaches a server here, so none of them may be deleted,
	// and a fourth (epoch 8) would be one too many.
	require.Len(t, cks, 3, "checkpoints after epochs 2, 4 and 6; the last epoch writes the model instead")
	require.True(t, strings.HasSuffix(cks[1], "/epoch-0004.json"), cks[1])
	ck, ok, err := store.Stat(context.Background(), cks[1])
	require.NoError(t, err)
	require.True(t, ok)

	// A retried attempt whose last heartbeat named the epoch-4 checkpoint.
	resumed := train(t, acts, "wf-resumed", fs, cfg, activities.TrainingProgress{Epoch: 4, Epochs: 10, Checkpoint: ck})
	assert.Equal(t, 4, resumed.ResumedFrom)
	assert.Equal(t, 10, resumed.Epochs)
	resumedModel := readBundle(t, resumed.Bundle).Model
	assert.Equal(t, wholeModel.Weights(), resumedModel.Weights(), "resuming gives the uninterrupted run's weights")
	assert.Equal(t, wholeModel.Bias(), resumedModel.Bias())
	assert.Equal(t, wholeModel, resumedModel)
	assert.Equal(t, whole.Loss, resumed.Loss)

	// The checkpoint's state is what training continues from: resuming
	// from another run's epoch-4 checkpoint (lower learning rate) ends
	// elsewhere.
	slow := cfg
	slow.LearningRate = 0.01
	train(t, acts, "wf-slow", fs, slow)
	runAndActivity := strings.Join(strings.Split(cks[1], "/")[3:5], "/")
	slowCk, ok, err := store.Stat(context.Background(), "checkpoints/churn-classifier/wf-slow/"+runAndActivity+"/epoch-0004.json")
	require.NoError(t, err)
	require.True(t, ok)
	other := train(t, acts, "wf-other", fs, cfg, activities.TrainingProgress{Epoch: 4, Epochs: 10, Checkpoint: slowCk})
	assert.Equal(t, 4, other.ResumedFrom)
	assert.NotEqual(t, wholeModel.Weights(), readBundle(t, other.Bundle).Model.Weights())
}

func TestTrainModelRefusesBadHyperparameters(t *testing.T) {
	acts, store := newActs(t)
	fs := engineer(t, acts, ingest(t, acts, 100), churnFeatures())
	cfg := exampleConfig()
	cfg.Optimizer = "rmsprop"
	_, err := execute[activities.TrainModelResult](t, acts, acts.TrainModel, activities.TrainModelInput{
		Model: "churn-classifier", WorkflowID: "wf", Features: fs, Config: cfg})
	ae := appError(t, err, activities.ErrInvalidInput)
	assert.Contains(t, ae.Error(), `hyperparameters: model config: optimizer "rmsprop" is not supported`)
	assert.Empty(t, keys(t, store, "models/"))
}

// checkpointCount is a store that counts the checkpoints written and
// deleted through it.
type checkpointCount struct {
	artifact.Store
	mu            sync.Mutex
	written, gone int
}

func (c *checkpointCount) Put(ctx context.Context, key string, r io.Reader, mediaType string) (artifact.Ref, error) {
	if _, ok := model.CheckpointEpoch(key); ok {
		c.mu.Lock()
		c.written++
		c.mu.Unlock()
	}
	return c.Store.Put(ctx, key, r, mediaType)
}

func (c *checkpointCount) Delete(ctx context.Context, key string) error {
	c.mu.Lock()
	c.gone++
	c.mu.Unlock()
	return c.Store.Delete(ctx, key)
}

// retentionCases trains 40 epochs with a checkpoint after every one on
// store. When each heartbeat reaches the server at once, checkpoints are
// written all along and only the newest is left (the one the last
// heartbeat named), and a retry resumes from it to the same model. When
// none is known to have arrived, nothing is deleted and writing stops at
// Keep, since a retry may resume from any of them.
func retentionCases(t *testing.T, acts *activities.Activities, store artifact.Store, fs activities.FeatureSet) {
	cfg := exampleConfig()
	cfg.Epochs = 40
	counted := &checkpointCount{Store: store}
	acts.Store, acts.CheckpointEvery = counted, 1
	acts.Checkpoints = activities.CheckpointPolicy{Keep: 3, MinInterval: time.Nanosecond, Delivery: time.Nanosecond}

	whole := train(t, acts, "wf-fast-beats", fs, cfg)
	cks := keys(t, store, "checkpoints/churn-classifier/wf-fast-beats/")
	require.Len(t, cks, 1, "only the checkpoint the last heartbeat names is left: %v", cks)
	assert.True(t, strings.HasSuffix(cks[0], "/epoch-0039.json"), cks[0])
	assert.Equal(t, 39, counted.written, "a checkpoint after every epoch but the last")
	assert.Equal(t, 38, counted.gone)

	last, ok, err := store.Stat(context.Background(), cks[0])
	require.NoError(t, err)
	require.True(t, ok)
	resumed := train(t, acts, "wf-fast-beats-retry", fs, cfg, activities.TrainingProgress{Epoch: 39, Epochs: 40, Checkpoint: last})
	assert.Equal(t, 39, resumed.ResumedFrom)
	assert.Equal(t, readBundle(t, whole.Bundle).Model, readBundle(t, resumed.Bundle).Model, "resumed from the kept checkpoint to the same model")

	acts.Checkpoints.Delivery = time.Hour
	train(t, acts, "wf-no-beats", fs, cfg)
	cks = keys(t, store, "checkpoints/churn-classifier/wf-no-beats/")
	require.Len(t, cks, 3, "%v", cks)
	for i, want := range []string{"/epoch-0001.json", "/epoch-0002.json", "/epoch-0003.json"} {
		assert.True(t, strings.HasSuffix(cks[i], want), cks[i])
	}
}

func TestTrainModelKeepsOnlyTheLastCheckpoints(t *testing.T) {
	acts, store := newActs(t)
	fs := engineer(t, acts, ingest(t, acts, 300), churnFeatures())
	retentionCases(t, acts, store, fs)
}

func TestTrainModelKeepsOnlyTheLastCheckpointsOnS3(t *testing.T) {
	if testing.Short() {
		t.Skip("starts versitygw")
	}
	acts, _ := newActs(t)
	fs := engineer(t, acts, ingest(t, acts, 300), churnFeatures())
	srv := testenv.StartS3(t)
	s3, err := artifact.Open(context.Background(), srv.URI(t.Name()))
	require.NoError(t, err)
	retentionCases(t, acts, s3, fs)
}

// A retry whose heartbeat named no checkpoint (the only heartbeat that
// did was lost) resumes from the newest one an earlier attempt of the same
// activity left. The older ones go; the one it resumed from stays until a
// heartbeat naming a newer one is known to have arrived.
func TestTrainModelResumesFromTheNewestCheckpointLeftBehind(t *testing.T) {
	acts, store := newActs(t)
	fs := engineer(t, acts, ingest(t, acts, 300), churnFeatures())
	cfg := exampleConfig()
	cfg.Epochs = 10
	acts.CheckpointEvery = 2
	acts.Checkpoints = activities.CheckpointPolicy{MinInterval: time.Nanosecond, Delivery: time.Hour}
	whole := readBundle(t, train(t, acts, "wf-lost-beat", fs, cfg).Bundle).Model
	cks := keys(t, store, "checkpoints/churn-classifier/wf-lost-beat/")
	require.Len(t, cks, 3)

	retry := train(t, acts, "wf-lost-beat", fs, cfg, activities.TrainingProgress{Epoch: 7, Epochs: 10})
	assert.Equal(t, 6, retry.ResumedFrom)
	assert.Equal(t, whole, readBundle(t, retry.Bundle).Model)
	left := keys(t, store, "checkpoints/churn-classifier/wf-lost-beat/")
	require.Len(t, left, 2, "%v", left)
	assert.Equal(t, cks[2], left[0], "epoch 6, resumed from")
	assert.True(t, strings.HasSuffix(left[1], "/epoch-0008.json"), left[1])
}
