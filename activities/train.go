package activities

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/bundle"
	"github.com/mlpipe/mlpipe/internal/features"
	"github.com/mlpipe/mlpipe/internal/model"
)

// CodeVersion is stamped into every model bundle.
var CodeVersion = "dev"

// TrainModel trains on a feature set's training split with Gorgonia. It
// writes a checkpoint every CheckpointEvery epochs and heartbeats every
// TrialHeartbeatInterval with the last epoch's progress and checkpoint,
// whatever an epoch's length (an L-BFGS iteration can be many passes over
// the data); a retried attempt resumes from the last checkpoint its
// heartbeat names instead of starting again.
func (a *Activities) TrainModel(ctx context.Context, in TrainModelInput) (TrainModelResult, error) {
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

	var resume *model.Checkpoint
	if progress.Checkpoint.URI != "" {
		var ck model.Checkpoint
		if err := readJSON(ctx, progress.Checkpoint, &ck); err != nil {
			logger.Warn("checkpoint unreadable; training from the start", "checkpoint", progress.Checkpoint.URI, "error", err)
		} else {
			resume = &ck
			logger.Info("resuming training", "epoch", ck.Epoch)
		}
	}
	every := a.CheckpointEvery
	if every <= 0 {
		every = 5
	}
	ckPrefix := fmt.Sprintf("checkpoints/%s/%s/%s/", in.Model, in.WorkflowID, info.ActivityID)
	progress.WaitingForSlot = true
	beat.set(progress)
	release, err := acquireSlot(ctx)
	if err != nil {
		return TrainModelResult{}, err
	}
	defer release(false)
	progress.WaitingForSlot = false
	beat.set(progress)
	start := time.Now()
	var last model.EpochStats
	m, err := model.Train(ctx, train.X, train.Y, train.Cols(), cfg, resume, func(st model.EpochStats, ck *model.Checkpoint) error {
		last = st
		progress.Epoch, progress.Epochs, progress.Loss = st.Epoch, cfg.Epochs, st.Loss
		if st.Epoch%every == 0 && st.Epoch < cfg.Epochs {
			ref, err := a.putJSON(ctx, fmt.Sprintf("%sepoch-%04d.json", ckPrefix, st.Epoch), ck)
			if err != nil {
				return err
			}
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
