package activities

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
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
// on the held-out fold, holding one of the worker's slots (Slots) only
// while it fits. It heartbeats every TrialHeartbeatInterval with its
// TrialProgress (waiting for a slot, then the last epoch's stats), from the start (reading the matrix included) and
// whatever an epoch's length, so the search can use a short heartbeat
// timeout: a cancelled search then reaches the trial within seconds, and
// training stops between mini-batches and the attempt ends cancelled.
func (a *Activities) TrainTrial(ctx context.Context, in TrainTrialInput) (TrainTrialResult, error) {
	res := TrainTrialResult{TrialID: in.TrialID, Fold: in.Fold, Status: tune.StatusOK}
	beat := startHeartbeat(ctx, TrialHeartbeatInterval, TrialProgress{})
	defer beat.stop()
	cfg := in.Config.Defaults()
	if err := cfg.Validate(); err != nil {
		res.Status, res.Reason = tune.StatusFailed, err.Error()
		return res, nil
	}
	// Every trial shares the scoring: a wrong one is the search's mistake,
	// not this trial's.
	if err := tune.CheckScoring(in.Scoring, cfg.Classes); err != nil {
		return res, invalid("search.scoring: %v", err)
	}
	cached, err := a.trainMatrix(ctx, in.Train)
	if err != nil {
		return res, err
	}
	m := cached.m
	if err := checkLabels(m.Y, cfg.Classes); err != nil {
		return res, err
	}
	folds, err := cached.foldsOf(in.Folds, in.CVSeed)
	if err != nil {
		return res, invalid("search: %v", err)
	}
	if in.Fold < 0 || in.Fold >= len(folds) {
		return res, invalid("search: fold %d of %d", in.Fold, len(folds))
	}
	val := folds[in.Fold]
	trainX, trainY := rows(m, tune.TrainRows(m.Rows(), val))
	valX, valY := rows(m, val)
	beat.set(TrialProgress{WaitingForSlot: true})
	if cfg.Kind == model.KindGradientBoosting {
		err := a.trainTrialBoosted(ctx, in, cfg, trainX, trainY, valX, valY, m.Cols(), beat, &res)
		return res, err
	}
	release, err := acquireSlot(ctx)
	if err != nil {
		return res, err
	}
	defer release(false) // should training panic; the slot is given back below
	beat.set(TrialProgress{})
	start := time.Now()
	var last model.EpochStats
	fit, err := model.Train(ctx, trainX, trainY, m.Cols(), cfg, nil, func(st model.EpochStats, _ *model.Checkpoint) error {
		last = st
		beat.set(TrialProgress{EpochStats: st})
		return nil
	})
	release(err == nil)
	res.Seconds, res.Epochs, res.Loss = time.Since(start).Seconds(), last.Epoch, last.Loss
	switch {
	case errors.Is(err, model.ErrDiverged):
		res.Status, res.Reason = tune.StatusFailed, err.Error()
		return res, nil
	case err != nil:
		return res, fmt.Errorf("trial %d fold %d: %w", in.TrialID, in.Fold, err)
	}
	if res.Score, err = score(fit, in.Scoring, valX, valY, m.Cols(), cfg.Classes); err != nil {
		res.Status, res.Reason = tune.StatusFailed, err.Error()
	}
	return res, nil
}

// score scores a fitted model on one held-out fold: a binary model on its
// probability of the positive class, a multi-class one on its class
// probabilities, each predicting as the evaluation does.
func score(fit *model.Model, scoring string, X, y []float64, cols, classes int) (float64, error) {
	if classes < 3 {
		proba, err := fit.PredictProba(X, cols)
		if err != nil {
			return 0, err
		}
		return tune.Score(scoring, y, proba)
	}
	proba, err := fit.PredictClassProba(X, cols)
	if err != nil {
		return 0, err
	}
	return tune.ScoreMultiClass(scoring, y, proba, classes)
}

// checkLabels refuses a training matrix whose labels the configured
// classes cannot hold, before any trial trains on it: every trial of the
// search would fail the same way. A multi-class model must also find every
// class among the labels; with classes set above the data's, each trial
// would train outputs for classes it never sees and score nonsense.
func checkLabels(y []float64, classes int) error {
	var bad *model.LabelError
	switch err := model.CheckLabels(y, classes); {
	case errors.As(err, &bad) && classes < 3:
		return invalid("search: training label at row %d is %v but the model is binary (labels 0 and 1); for three or more classes set hyperparameters.classes or list data.classes", bad.Row, bad.Value)
	case errors.As(err, &bad):
		return invalid("search: training label at row %d is %v but hyperparameters.classes is %d (labels 0..%d); make classes match the feature set's", bad.Row, bad.Value, classes, classes-1)
	case err != nil:
		return invalid("search: %v", err)
	case classes < 3:
		return nil
	}
	seen := make([]bool, classes)
	for _, v := range y {
		seen[int(v)] = true
	}
	var missing []string
	for c, ok := range seen {
		if !ok {
			missing = append(missing, strconv.Itoa(c))
		}
	}
	if len(missing) > 0 {
		return invalid("search: hyperparameters.classes is %d but the training matrix has no rows of class %s (labels 0..%d); make classes match the feature set's",
			classes, strings.Join(missing, ", "), classes-1)
	}
	return nil
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

// matrixCache keeps the last training matrices a worker read, with their
// folds: a search reads the same matrix and cuts the same folds for every
// trial and fold. Concurrent trials that miss share one read.
type matrixCache struct {
	mu      sync.Mutex
	keys    []string
	entries map[string]*cachedMatrix
}

const matrixCacheSize = 2

// cachedMatrix is one matrix, ready once ready is closed.
type cachedMatrix struct {
	ready chan struct{}
	m     matrix.Matrix
	err   error

	mu    sync.Mutex
	folds map[foldKey][][]int
}

type foldKey struct {
	k    int
	seed int64
}

// trainMatrix returns the matrix ref names, reading it once per worker.
// Entries are keyed by URI and digest: a digest alone would let two
// matrices without one share an entry. A reference without a digest is
// read every time, since its bytes can change under the same URI.
func (a *Activities) trainMatrix(ctx context.Context, ref artifact.Ref) (*cachedMatrix, error) {
	if ref.SHA256 == "" {
		return readUncached(ctx, ref)
	}
	key := ref.URI + "@" + ref.SHA256
	c := &a.matrices
	c.mu.Lock()
	if e, ok := c.entries[key]; ok {
		c.mu.Unlock()
		select {
		case <-e.ready:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if e.err == nil {
			return e, nil
		}
		// The read this trial waited for failed, perhaps because that
		// trial was cancelled: read it again, uncached.
		return readUncached(ctx, ref)
	}
	e := &cachedMatrix{ready: make(chan struct{})}
	if c.entries == nil {
		c.entries = map[string]*cachedMatrix{}
	}
	c.entries[key] = e
	c.keys = append(c.keys, key)
	if len(c.keys) > matrixCacheSize {
		delete(c.entries, c.keys[0])
		c.keys = c.keys[1:]
	}
	c.mu.Unlock()

	e.m, e.err = readMatrix(ctx, ref)
	if e.err != nil {
		// A failed read (a cancelled trial's included) is not kept: the
		// next trial reads again.
		c.mu.Lock()
		if c.entries[key] == e {
			delete(c.entries, key)
			c.keys = slices.DeleteFunc(c.keys, func(k string) bool { return k == key })
		}
		c.mu.Unlock()
	}
	close(e.ready)
	return e, e.err
}

// readUncached reads a matrix for one trial only.
func readUncached(ctx context.Context, ref artifact.Ref) (*cachedMatrix, error) {
	m, err := readMatrix(ctx, ref)
	if err != nil {
		return nil, err
	}
	return &cachedMatrix{m: m}, nil
}

// foldsOf returns the matrix's stratified folds, cut once per k and seed.
// Callers must not modify them.
func (e *cachedMatrix) foldsOf(k int, seed int64) ([][]int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	key := foldKey{k, seed}
	if f, ok := e.folds[key]; ok {
		return f, nil
	}
	f, err := tune.StratifiedKFold(e.m.Y, k, seed)
	if err != nil {
		return nil, err
	}
	if e.folds == nil {
		e.folds = map[foldKey][][]int{}
	}
	e.folds[key] = f
	return f, nil
}

// TrialHeartbeatInterval is how often a running trial or training
// heartbeats.
const TrialHeartbeatInterval = time.Second

// heartbeat records the latest progress every interval until stopped, so
// an activity heartbeats on time however long its epochs take.
type heartbeat struct {
	mu   sync.Mutex
	last any
	done chan struct{}
	wg   sync.WaitGroup
}

// startHeartbeat heartbeats every interval with the value last set,
// initially initial; with none, it heartbeats without details.
func startHeartbeat(ctx context.Context, every time.Duration, initial any) *heartbeat {
	h := &heartbeat{done: make(chan struct{}), last: initial}
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-h.done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				h.mu.Lock()
				last := h.last
				h.mu.Unlock()
				if last != nil {
					activity.RecordHeartbeat(ctx, last)
				} else {
					activity.RecordHeartbeat(ctx)
				}
			}
		}
	}()
	return h
}

func (h *heartbeat) set(v any) {
	h.mu.Lock()
	h.last = v
	h.mu.Unlock()
}

func (h *heartbeat) stop() {
	close(h.done)
	h.wg.Wait()
}
