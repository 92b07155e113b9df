package activities

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/matrix"
	"github.com/mlpipe/mlpipe/internal/model"
	"github.com/mlpipe/mlpipe/internal/tune"
)

// TrainTrialInput is one trial of a hyperparameter search on one fold.
type TrainTrialInput struct {
	Train   artifact.Ref `json:"train"`
	TrialID int          `json:"trial_id"`
	Config  model.Config `json:"config"`
	Fold    int          `json:"fold"`
	Folds   int          `json:"folds"`
	// CVSeed fixes the folds, so every trial sees the same ones.
	CVSeed  int64  `json:"cv_seed"`
	Scoring string `json:"scoring"`
}

// TrainTrialResult is the fold's score. A trial that diverges is a
// result with status failed and the reason, not an error: the search
// records it and goes on.
type TrainTrialResult struct {
	TrialID int     `json:"trial_id"`
	Fold    int     `json:"fold"`
	Score   float64 `json:"score"`
	Loss    float64 `json:"loss"`
	Epochs  int     `json:"epochs"`
	Seconds float64 `json:"seconds"`
	Status  string  `json:"status"`
	Reason  string  `json:"reason,omitempty"`
}

// TrainTrial trains one configuration on all folds but one and scores it
// on the held-out fold, heartbeating every epoch (a cancelled search stops
// it between mini-batches).
func (a *Activities) TrainTrial(ctx context.Context, in TrainTrialInput) (TrainTrialResult, error) {
	res := TrainTrialResult{TrialID: in.TrialID, Fold: in.Fold, Status: tune.StatusOK}
	cfg := in.Config.Defaults()
	if err := cfg.Validate(); err != nil {
		res.Status, res.Reason = tune.StatusFailed, err.Error()
		return res, nil
	}
	m, err := a.trainMatrix(ctx, in.Train)
	if err != nil {
		return res, err
	}
	folds, err := tune.StratifiedKFold(m.Y, in.Folds, in.CVSeed)
	if err != nil {
		return res, invalid("search: %v", err)
	}
	if in.Fold < 0 || in.Fold >= len(folds) {
		return res, invalid("search: fold %d of %d", in.Fold, len(folds))
	}
	val := folds[in.Fold]
	trainX, trainY := rows(m, tune.TrainRows(m.Rows(), val))
	valX, valY := rows(m, val)
	start := time.Now()
	var last model.EpochStats
	fit, err := model.Train(ctx, trainX, trainY, m.Cols(), cfg, nil, func(st model.EpochStats, _ *model.Checkpoint) error {
		last = st
		activity.RecordHeartbeat(ctx, st)
		return nil
	})
	res.Seconds, res.Epochs, res.Loss = time.Since(start).Seconds(), last.Epoch, last.Loss
	switch {
	case errors.Is(err, model.ErrDiverged):
		res.Status, res.Reason = tune.StatusFailed, err.Error()
		return res, nil
	case err != nil:
		return res, fmt.Errorf("trial %d fold %d: %w", in.TrialID, in.Fold, err)
	}
	proba, err := fit.PredictProba(valX, m.Cols())
	if err != nil {
		return res, err
	}
	if res.Score, err = tune.Score(in.Scoring, valY, proba); err != nil {
		res.Status, res.Reason = tune.StatusFailed, err.Error()
	}
	return res, nil
}

func rows(m matrix.Matrix, idx []int) (X, y []float64) {
	cols := m.Cols()
	X = make([]float64, 0, len(idx)*cols)
	y = make([]float64, 0, len(idx))
	for _, i := range idx {
		X = append(X, m.X[i*cols:(i+1)*cols]...)
		y = append(y, m.Y[i])
	}
	return X, y
}

// matrixCache keeps the last training matrices a worker read: a search
// reads the same one for every trial and fold.
type matrixCache struct {
	mu   sync.Mutex
	keys []string
	vals map[string]matrix.Matrix
}

const matrixCacheSize = 2

func (a *Activities) trainMatrix(ctx context.Context, ref artifact.Ref) (matrix.Matrix, error) {
	c := &a.matrices
	c.mu.Lock()
	if m, ok := c.vals[ref.SHA256]; ok {
		c.mu.Unlock()
		return m, nil
	}
	c.mu.Unlock()
	m, err := readMatrix(ctx, ref)
	if err != nil {
		return m, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.vals == nil {
		c.vals = map[string]matrix.Matrix{}
	}
	if _, ok := c.vals[ref.SHA256]; !ok {
		c.keys = append(c.keys, ref.SHA256)
		c.vals[ref.SHA256] = m
		if len(c.keys) > matrixCacheSize {
			delete(c.vals, c.keys[0])
			c.keys = c.keys[1:]
		}
	}
	return m, nil
}
