package activities

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/bundle"
	"github.com/mlpipe/mlpipe/internal/features"
	"github.com/mlpipe/mlpipe/internal/gbt"
	"github.com/mlpipe/mlpipe/internal/matrix"
	"github.com/mlpipe/mlpipe/internal/model"
	"github.com/mlpipe/mlpipe/internal/treeeval"
	"github.com/mlpipe/mlpipe/internal/tune"
)

// UnitRound is TrainingProgress.Unit for a boosted ensemble: Epoch counts
// boosting rounds.
const UnitRound = "round"

// gbtThreads is the XGBoost threads one training gets: the worker's cores
// shared among its slots, at least one. OpenMP threads spin while they
// wait, so more threads than cores (slots × nthread above the cores) slow
// every training on the worker many times over.
func gbtThreads(ctx context.Context) int {
	s, _ := ctx.Value(slotsKey{}).(*Slots)
	if s == nil {
		return 1
	}
	return max(1, runtime.NumCPU()/s.Len())
}

// gbtError turns a training error into the activity's: bad parameters or
// data cannot heal on a retry, so they are non-retryable ErrInvalidInput.
func gbtError(what string, err error) error {
	if errors.Is(err, gbt.ErrInvalidInput) || errors.Is(err, gbt.ErrUnavailable) {
		return invalid("%s: %v", what, err)
	}
	if errors.Is(err, gbt.ErrNoCUDA) {
		// The worker's library cannot change between attempts.
		return temporal.NewNonRetryableApplicationError(fmt.Sprintf("%s: %v", what, err), ErrNoCUDA, nil)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// trainBoosted is TrainModel for kind gradient_boosting. It heartbeats
// every gbt.DefaultEvery rounds with the round count in
// TrainingProgress.Epoch (of Epochs, n_estimators) and the validation
// loss, if any, in Loss; it checkpoints the booster (XGBoost's JSON model
// with its training state, epoch-NNNN.json named after the round) as the
// MLP's retention allows, and a retried attempt continues from the
// checkpoint its last heartbeat names, at that round, ending with the
// trees an uninterrupted run grows.
func (a *Activities) trainBoosted(ctx context.Context, in TrainModelInput, cfg model.Config, train matrix.Matrix, tr *features.Transform,
	ckc *checkpoints, ckPrefix string, progress TrainingProgress, beat *heartbeat) (TrainModelResult, error) {
	info := activity.GetInfo(ctx)
	logger := activity.GetLogger(ctx)
	resume, resumeRef, resumed := ckc.resumeTrees(ctx, progress.Checkpoint)
	switch {
	case resume == nil:
		progress = TrainingProgress{}
	case resumeRef != progress.Checkpoint:
		progress = TrainingProgress{Epoch: resumed, Epochs: cfg.NEstimators, Checkpoint: resumeRef, Unit: UnitRound}
	}
	if resume != nil {
		logger.Info("resuming training", "round", resumed, "checkpoint", resumeRef.URI)
	}
	ckc.restart(ctx, resumed)
	release, err := waitForSlot(ctx, beat, &progress)
	if err != nil {
		return TrainModelResult{}, err
	}
	defer release(false)

	p := cfg.GBT()
	p.NThread = gbtThreads(ctx)
	start := time.Now()
	onProgress := func(pr gbt.Progress) error {
		progress.Epoch, progress.Epochs, progress.Loss, progress.Unit = pr.Round, pr.Rounds, pr.ValidationLoss, UnitRound
		now := time.Now()
		ckc.prune(ctx, now) // deleting first frees the room a new checkpoint may need
		if pr.Round < pr.Rounds && ckc.ret.Due(now) {
			b, err := pr.Checkpoint()
			if err != nil {
				return err
			}
			key := ckPrefix + model.CheckpointFile(pr.Round)
			ref, err := artifact.PutBytes(ctx, a.Store, key, b, "application/json")
			if err != nil {
				return fmt.Errorf("store checkpoint %s: %w", key, err)
			}
			ckc.ret.Written(pr.Round, key, now)
			progress.Checkpoint = ref
		}
		beat.set(progress)
		return nil
	}
	res, err := gbt.Train(ctx, train.X, train.Y, nil, train.Cols(), p, gbt.Options{Every: gbt.DefaultEvery, OnProgress: onProgress, Resume: resume, Device: a.TreeDevice})
	if errors.Is(err, gbt.ErrCheckpoint) {
		// The same input from the start trains the same trees; only the
		// rounds already grown are lost.
		logger.Warn("checkpoint unusable; training from the start", "checkpoint", resumeRef.URI, "error", err)
		resume, resumed = nil, 0
		res, err = gbt.Train(ctx, train.X, train.Y, nil, train.Cols(), p, gbt.Options{Every: gbt.DefaultEvery, OnProgress: onProgress, Device: a.TreeDevice})
	}
	if err != nil {
		return TrainModelResult{}, gbtError(fmt.Sprintf("train %s (hyperparameters, kind %s)", in.Model, cfg.Kind), err)
	}
	release(true)
	trees, err := treeeval.Parse(res.Model)
	if err != nil {
		return TrainModelResult{}, fmt.Errorf("train %s: read the trained trees: %w", in.Model, err)
	}
	metrics := map[string]float64{"rounds": float64(res.Rounds), "trees": float64(res.Trees)}
	if p.ValidationFraction > 0 {
		metrics["validation_loss"] = res.ValidationLoss
	}
	b := bundle.Bundle{
		Format: bundle.Format, Name: in.Model, Labels: in.Features.Labels, Threshold: 0.5,
		Transform: tr, Trees: trees,
		Metadata: bundle.Metadata{
			Params: cfg, Metrics: metrics,
			DataDigest: in.Features.DataDigest, FeatureSet: in.Features.Version,
			WorkflowID: in.WorkflowID, CodeVersion: CodeVersion, CreatedAt: time.Now().UTC(),
		},
	}
	ref, err := a.putJSON(ctx, fmt.Sprintf("models/%s/%s/%s/bundle.json", in.Model, in.WorkflowID, info.ActivityID), b)
	if err != nil {
		return TrainModelResult{}, err
	}
	// Epochs carries the rounds kept (the best round's with early
	// stopping), as the pipeline reports a model's epochs.
	out := TrainedModel{Bundle: ref, Features: in.Features, Config: cfg, Epochs: res.Trees, Loss: res.ValidationLoss,
		Seconds: time.Since(start).Seconds(), ResumedFrom: resumed}
	return TrainModelResult{Model: out, Attempt: info.Attempt}, nil
}

// resumeTrees reads the booster checkpoint the last heartbeat named, or,
// should it be unreadable or none be named, the newest one an earlier
// attempt left. It returns the checkpoint, its reference and its round.
func (c *checkpoints) resumeTrees(ctx context.Context, named artifact.Ref) ([]byte, artifact.Ref, int) {
	if named.URI != "" {
		b, err := artifact.ReadAll(ctx, named)
		round, ok := model.CheckpointEpoch(named.URI)
		if err == nil && ok {
			return b, named, round
		}
		c.logger.Warn("checkpoint unreadable", "checkpoint", named.URI, "error", err)
	}
	for i := len(c.existing) - 1; i >= 0; i-- {
		key := c.existing[i]
		b, err := artifact.GetBytes(ctx, c.a.Store, key)
		if err != nil {
			c.logger.Warn("checkpoint unreadable", "checkpoint", c.a.Store.URI(key), "error", err)
			continue
		}
		round, _ := model.CheckpointEpoch(key)
		ref, _, err := c.a.Store.Stat(ctx, key)
		if err != nil || ref.URI == "" {
			ref = artifact.Ref{URI: c.a.Store.URI(key)}
		}
		return b, ref, round
	}
	return nil, artifact.Ref{}, 0
}

// trainTrialBoosted is TrainTrial's fit for kind gradient_boosting: the
// booster on the other folds, scored on the held-out one by the same
// plain-Go evaluation the gateway serves with.
func (a *Activities) trainTrialBoosted(ctx context.Context, in TrainTrialInput, cfg model.Config, trainX, trainY, valX, valY []float64, cols int,
	beat *heartbeat, res *TrainTrialResult) error {
	release, err := acquireSlot(ctx)
	if err != nil {
		return err
	}
	defer release(false)
	beat.set(TrialProgress{})
	p := cfg.GBT()
	p.NThread = gbtThreads(ctx)
	start := time.Now()
	fit, err := gbt.Train(ctx, trainX, trainY, nil, cols, p, gbt.Options{Device: a.TreeDevice, OnProgress: func(pr gbt.Progress) error {
		beat.set(TrialProgress{EpochStats: model.EpochStats{Epoch: pr.Round, ValidationLoss: pr.ValidationLoss, Seconds: pr.Seconds}})
		return nil
	}})
	release(err == nil)
	res.Seconds = time.Since(start).Seconds()
	if err != nil {
		return gbtError(fmt.Sprintf("trial %d fold %d (kind %s)", in.TrialID, in.Fold, cfg.Kind), err)
	}
	res.Epochs, res.Loss = fit.Trees, fit.ValidationLoss
	trees, err := treeeval.Parse(fit.Model)
	if err != nil {
		return fmt.Errorf("trial %d fold %d: read the trained trees: %w", in.TrialID, in.Fold, err)
	}
	if res.Score, err = scoreTrees(trees, in.Scoring, valX, valY, cols, cfg.Classes); err != nil {
		res.Status, res.Reason = tune.StatusFailed, err.Error()
	}
	return nil
}

// scoreTrees is score for a tree ensemble.
func scoreTrees(m *treeeval.Model, scoring string, X, y []float64, cols, classes int) (float64, error) {
	if classes < 3 {
		proba, err := m.PredictProba(X, cols)
		if err != nil {
			return 0, err
		}
		return tune.Score(scoring, y, proba)
	}
	proba, err := m.PredictClassProba(X, cols)
	if err != nil {
		return 0, err
	}
	return tune.ScoreMultiClass(scoring, y, proba, classes)
}
