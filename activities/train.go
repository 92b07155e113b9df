package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"

	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/bundle"
	"github.com/mlpipe/mlpipe/internal/features"
	"github.com/mlpipe/mlpipe/internal/model"
)

// CodeVersion is stamped into every model bundle.
var CodeVersion = buildVersion()

// TrainModel trains on a feature set's training split with Gorgonia, or,
// for kind gradient_boosting, with XGBoost (see trainBoosted). It
// writes a checkpoint every CheckpointEvery epochs, no more often than
// Checkpoints allows, and heartbeats every TrialHeartbeatInterval with the
// last epoch's progress and checkpoint, whatever an epoch's length (an
// L-BFGS iteration can be many passes over the data); a retried attempt
// resumes from the last checkpoint its heartbeat names instead of starting
// again. Only the last few checkpoints are kept (see CheckpointPolicy).
// With in.Cache.Read, a model the stage cache holds for the same feature
// set, hyperparameters and code version is returned instead of training;
// every trained model is recorded there.
func (a *Activities) TrainModel(ctx context.Context, in TrainModelInput) (TrainModelResult, error) {
	f := in.Features
	key, err := cacheKey(cacheTraining, in.Model, f.Version, f.Train.SHA256, f.Transform.SHA256, f.Labels, f.Classes, in.Config.Defaults())
	if err != nil {
		return TrainModelResult{}, err
	}
	var rec TrainedModel
	if from, ok := a.cached(ctx, in.Cache, cacheTraining, key, &rec); ok {
		return TrainModelResult{Model: rec, Attempt: activity.GetInfo(ctx).Attempt, Cached: from}, nil
	}
	res, err := a.trainModel(ctx, in)
	if err != nil {
		return res, err
	}
	a.record(ctx, cacheTraining, key, []artifact.Ref{res.Model.Bundle}, res.Model)
	return res, nil
}

// trainModel trains, as TrainModel says.
func (a *Activities) trainModel(ctx context.Context, in TrainModelInput) (TrainModelResult, error) {
	info := activity.GetInfo(ctx)
	logger := activity.GetLogger(ctx)
	// The previous attempt's progress is what this one heartbeats until its
	// first epoch, so a retry killed early still names the checkpoint.
	var progress TrainingProgress
	if activity.HasHeartbeatDetails(ctx) {
		if err := activity.GetHeartbeatDetails(ctx, &progress); err != nil {
			logger.Warn("heartbeat details unreadable; training from the start", "error", err)
			progress = TrainingProgress{}
		}
	}
	beat := startHeartbeat(ctx, TrialHeartbeatInterval, progress)
	defer beat.stop()
	cfg := in.Config.Defaults()
	if err := cfg.Validate(); err != nil {
		return TrainModelResult{}, invalid("hyperparameters: %v", err)
	}
	if err := checkClasses(cfg, in.Features); err != nil {
		return TrainModelResult{}, err
	}
	train, err := readMatrix(ctx, in.Features.Train)
	if err != nil {
		return TrainModelResult{}, err
	}
	var tr features.Transform
	if err := readJSON(ctx, in.Features.Transform, &tr); err != nil {
		return TrainModelResult{}, err
	}

	// Every attempt of this activity, and nothing else, writes under
	// ckPrefix: the run ID keeps a later run under the same workflow ID
	// (and activity ID) apart.
	ckPrefix := fmt.Sprintf("checkpoints/%s/%s/%s/%s/", in.Model, in.WorkflowID, info.WorkflowExecution.RunID, info.ActivityID)
	ckc, err := a.openCheckpoints(ctx, ckPrefix, info.HeartbeatTimeout)
	if err != nil {
		return TrainModelResult{}, err
	}
	if cfg.Kind == model.KindGradientBoosting {
		return a.trainBoosted(ctx, in, cfg, train, &tr, ckc, ckPrefix, progress, beat)
	}
	resume, resumeRef := ckc.resume(ctx, progress.Checkpoint)
	switch {
	case resume == nil:
		progress = TrainingProgress{}
	case resumeRef != progress.Checkpoint:
		progress = TrainingProgress{Epoch: resume.Epoch, Epochs: cfg.Epochs, Checkpoint: resumeRef}
	}
	if resume != nil {
		logger.Info("resuming training", "epoch", resume.Epoch, "checkpoint", resumeRef.URI)
	}
	from := 0
	if resume != nil {
		from = resume.Epoch
	}
	ckc.restart(ctx, from)
	beat.set(progress)
	every := a.CheckpointEvery
	if every <= 0 {
		every = 5
	}
	release, err := waitForSlot(ctx, beat, &progress)
	if err != nil {
		return TrainModelResult{}, err
	}
	defer release(false)
	start := time.Now()
	var last model.EpochStats
	m, err := model.Train(ctx, train.X, train.Y, train.Cols(), cfg, resume, func(st model.EpochStats, ck *model.Checkpoint) error {
		last = st
		progress.Epoch, progress.Epochs, progress.Loss = st.Epoch, cfg.Epochs, st.Loss
		now := time.Now()
		// Deleting first frees the room a new checkpoint may need.
		ckc.prune(ctx, now)
		if st.Epoch%every == 0 && st.Epoch < cfg.Epochs && ckc.ret.Due(now) {
			ref, err := a.putJSON(ctx, ckPrefix+model.CheckpointFile(st.Epoch), ck)
			if err != nil {
				return err
			}
			ckc.ret.Written(st.Epoch, ckPrefix+model.CheckpointFile(st.Epoch), now)
			progress.Checkpoint = ref
		}
		beat.set(progress)
		return nil
	})
	if errors.Is(err, model.ErrDiverged) {
		return TrainModelResult{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrDiverged, nil)
	}
	if err != nil {
		return TrainModelResult{}, fmt.Errorf("train %s: %w", in.Model, err)
	}
	release(true)
	b := bundle.Bundle{
		Format: bundle.Format, Name: in.Model, Labels: in.Features.Labels, Threshold: 0.5,
		Transform: &tr, Model: m,
		Metadata: bundle.Metadata{
			Params: cfg, Metrics: map[string]float64{"train_loss": last.Loss},
			DataDigest: in.Features.DataDigest, FeatureSet: in.Features.Version,
			WorkflowID: in.WorkflowID, CodeVersion: CodeVersion, CreatedAt: time.Now().UTC(),
		},
	}
	ref, err := a.putJSON(ctx, fmt.Sprintf("models/%s/%s/%s/bundle.json", in.Model, in.WorkflowID, info.ActivityID), b)
	if err != nil {
		return TrainModelResult{}, err
	}
	out := TrainedModel{Bundle: ref, Features: in.Features, Config: cfg, Epochs: m.Epoch, Loss: last.Loss, Seconds: time.Since(start).Seconds()}
	if resume != nil {
		out.ResumedFrom = resume.Epoch
	}
	return TrainModelResult{Model: out, Attempt: info.Attempt}, nil
}

// CheckpointPolicy bounds a training's checkpoints: how many are kept and
// how often they are written (model.Retention says why and how).
type CheckpointPolicy struct {
	// Keep is how many checkpoints one training activity keeps at most
	// (default model.DefaultKeepCheckpoints, 3).
	Keep int
	// MinInterval is the least time between two checkpoints (default
	// model.DefaultCheckpointInterval, 10 s).
	MinInterval time.Duration
	// Delivery is how long after a checkpoint is written its heartbeat is
	// taken to have reached the server; 0 derives it from the activity's
	// heartbeat timeout (heartbeatDelivery).
	Delivery time.Duration
}

// heartbeatDelivery bounds how long a heartbeat detail set now takes to
// reach the server: the heartbeat goroutine records it within
// TrialHeartbeatInterval, the SDK sends the latest recorded detail at the
// end of its throttle window (0.8 of the heartbeat timeout, 30 s without
// one, at most 60 s: the SDK's defaults, which the workers keep), and the
// call may take as long again before it gives up.
func heartbeatDelivery(timeout time.Duration) time.Duration {
	throttle := 30 * time.Second
	if timeout > 0 {
		throttle = time.Duration(0.8 * float64(timeout))
	}
	throttle = max(min(throttle, time.Minute), time.Second)
	return TrialHeartbeatInterval + 2*throttle + time.Second
}

// checkpoints are one training activity's checkpoints in the store.
type checkpoints struct {
	a *Activities
	// existing are the keys earlier attempts left, oldest first.
	existing []string
	ret      *model.Retention
	logger   log.Logger
}

func (a *Activities) openCheckpoints(ctx context.Context, prefix string, heartbeatTimeout time.Duration) (*checkpoints, error) {
	p := a.Checkpoints
	if p.MinInterval == 0 {
		p.MinInterval = model.DefaultCheckpointInterval
	}
	if p.Delivery == 0 {
		p.Delivery = heartbeatDelivery(heartbeatTimeout)
	}
	keys, err := a.Store.List(ctx, prefix)
	if err != nil {
		return nil, fmt.Errorf("list checkpoints: %w", err)
	}
	var existing []string
	for _, k := range keys {
		if _, ok := model.CheckpointEpoch(k); ok {
			existing = append(existing, k)
		}
	}
	slices.SortFunc(existing, func(x, y string) int {
		ex, _ := model.CheckpointEpoch(x)
		ey, _ := model.CheckpointEpoch(y)
		return ex - ey
	})
	return &checkpoints{a: a, existing: existing, ret: model.NewRetention(p.Keep, p.MinInterval, p.Delivery),
		logger: activity.GetLogger(ctx)}, nil
}

// resume reads the checkpoint the last heartbeat named. Should it be
// unreadable or none be named, the newest one an earlier attempt of this
// activity left will do: the same input from the same state trains the
// same model, and a heartbeat may have been lost in flight.
func (c *checkpoints) resume(ctx context.Context, named artifact.Ref) (*model.Checkpoint, artifact.Ref) {
	if named.URI != "" {
		var ck model.Checkpoint
		err := readJSON(ctx, named, &ck)
		if err == nil {
			return &ck, named
		}
		c.logger.Warn("checkpoint unreadable", "checkpoint", named.URI, "error", err)
	}
	for i := len(c.existing) - 1; i >= 0; i-- {
		key := c.existing[i]
		b, err := artifact.GetBytes(ctx, c.a.Store, key)
		var ck model.Checkpoint
		if err == nil {
			err = json.Unmarshal(b, &ck)
		}
		if err != nil {
			c.logger.Warn("checkpoint unreadable", "checkpoint", c.a.Store.URI(key), "error", err)
			continue
		}
		ref, _, err := c.a.Store.Stat(ctx, key)
		if err != nil || ref.URI == "" {
			ref = artifact.Ref{URI: c.a.Store.URI(key)}
		}
		return &ck, ref
	}
	return nil, artifact.Ref{}
}

// restart adopts what earlier attempts left and deletes what this attempt
// does not resume from and will write anew.
func (c *checkpoints) restart(ctx context.Context, from int) {
	for _, k := range c.ret.Restart(c.existing, from) {
		c.delete(ctx, k)
	}
}

// prune deletes the checkpoints older than the one a retry would now
// resume from.
func (c *checkpoints) prune(ctx context.Context, now time.Time) {
	for _, k := range c.ret.Deletable(now) {
		c.delete(ctx, k)
	}
}

// delete removes one checkpoint. A failure only costs space, so training
// goes on; the key stays listed and is tried again at the next prune.
func (c *checkpoints) delete(ctx context.Context, key string) {
	if err := c.a.Store.Delete(ctx, key); err != nil {
		c.logger.Warn("old checkpoint not deleted", "checkpoint", c.a.Store.URI(key), "error", err)
		return
	}
	c.ret.Deleted(key)
}

// checkClasses refuses a configuration whose number of outputs is not the
// feature set's number of classes. Training would fail on the labels (or
// train a model whose bundle names the wrong classes) on every attempt, so
// it is bad input, not something a retry can mend.
func checkClasses(cfg model.Config, fs FeatureSet) error {
	k := len(fs.Classes)
	switch {
	case k >= 3 && cfg.Classes == 0:
		return invalid("hyperparameters.classes is not set (a binary model) but feature set %s has %d classes (%s); set hyperparameters.classes: %d, or list data.classes in the spec, which sets it",
			fs.Version, k, strings.Join(fs.Classes, ", "), k)
	case k >= 3 && cfg.Classes != k:
		return invalid("hyperparameters.classes is %d but feature set %s has %d classes (%s); set hyperparameters.classes: %d or remove it and list data.classes",
			cfg.Classes, fs.Version, k, strings.Join(fs.Classes, ", "), k)
	case k < 3 && cfg.Classes >= 3:
		return invalid("hyperparameters.classes is %d but feature set %s is binary (%s, %s); remove hyperparameters.classes, or list the classes in data.classes",
			cfg.Classes, fs.Version, fs.Labels[0], fs.Labels[1])
	}
	return nil
}

// loadBundle reads a stored model bundle.
func loadBundle(ctx context.Context, ref artifact.Ref) (*bundle.Bundle, error) {
	b, err := artifact.ReadAll(ctx, ref)
	if err != nil {
		return nil, fmt.Errorf("read model %s: %w", ref.URI, err)
	}
	return bundle.Decode(b)
}

// waitForSlot takes one of the worker's training slots, heartbeating
// waiting_for_slot meanwhile so the Web UI tells a waiting training from a
// running one.
func waitForSlot(ctx context.Context, beat *heartbeat, progress *TrainingProgress) (func(bool), error) {
	progress.WaitingForSlot = true
	beat.set(*progress)
	release, err := acquireSlot(ctx)
	if err != nil {
		return nil, err
	}
	progress.WaitingForSlot = false
	beat.set(*progress)
	return release, nil
}
