package gbt

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// DefaultEvery is Options.Every's default: progress every 10 rounds.
const DefaultEvery = 10

// ErrUnavailable is returned by Train and Predict in a build without cgo or
// with the noxgboost tag.
var ErrUnavailable = errors.New("gradient_boosting: this build of mlpipe has no XGBoost (it needs cgo and libxgboost-dev); run `make deps` and build with CGO_ENABLED=1")

// ErrInvalidInput is wrapped by the errors Train returns for parameters or
// data it cannot train on (each message names the setting, row or column
// to fix): a retry cannot succeed.
var ErrInvalidInput = errors.New("gradient_boosting: invalid input")

// ErrCheckpoint is wrapped by the errors Train returns for an
// Options.Resume it cannot continue from; training without it can.
var ErrCheckpoint = errors.New("gradient_boosting: unusable checkpoint")

// tagged keeps err's message and lets errors.Is find kind as well.
type tagged struct{ err, kind error }

func (t tagged) Error() string   { return t.err.Error() }
func (t tagged) Unwrap() []error { return []error{t.err, t.kind} }

// Options say how a training runs rather than what it learns.
type Options struct {
	// Every is how many rounds pass between calls of OnProgress; 0 means
	// DefaultEvery. OnProgress is also called after the last round.
	Every int
	// OnProgress, if set, is called every Every rounds on the training's
	// own goroutine; an error from it stops training and is returned
	// wrapped.
	OnProgress func(Progress) error
	// Resume is a checkpoint from Progress.Checkpoint: training continues
	// at its round count and ends with the model an uninterrupted run
	// gives. Its parameters must equal these but for n_estimators and
	// nthread.
	Resume []byte
	// Device is where the trees grow: "" or "cpu" (tree_method hist), or
	// "cuda" or "cuda:N" (gpu_hist on GPU N, default 0), which needs a
	// libxgboost built with CUDA. It changes how, not what: a checkpoint
	// grown on one device resumes on the other.
	Device string
}

// ErrNoCUDA is wrapped by the error Train returns when Options.Device asks
// for a GPU and the loaded libxgboost was built without CUDA.
var ErrNoCUDA = errors.New("gradient_boosting: this libxgboost has no CUDA support (Debian's libxgboost-dev has none): build XGBoost with -DUSE_CUDA=ON, or run the worker without --xgboost-device")

// ParseDevice reads Options.Device: the GPU's ordinal, or -1 for the CPU.
func ParseDevice(d string) (int, error) {
	switch {
	case d == "" || d == "cpu":
		return -1, nil
	case d == "cuda":
		return 0, nil
	case strings.HasPrefix(d, "cuda:"):
		n, err := strconv.Atoi(strings.TrimPrefix(d, "cuda:"))
		if err == nil && n >= 0 {
			return n, nil
		}
	}
	return 0, fmt.Errorf("gradient_boosting: device %q: use cpu, cuda or cuda:N (N a GPU ordinal, 0 or more)", d)
}

// Progress describes a training after a round.
type Progress struct {
	// Round is the number of rounds done, counting from 1; Rounds is
	// Params.NEstimators.
	Round  int `json:"round"`
	Rounds int `json:"rounds"`
	// ValidationLoss is the round's log-loss on the held-out rows, class-
	// and sample-weighted; BestRound and BestLoss are the lowest so far.
	// All are 0 without Params.ValidationFraction.
	ValidationLoss float64 `json:"validation_loss,omitempty"`
	BestRound      int     `json:"best_round,omitempty"`
	BestLoss       float64 `json:"best_loss,omitempty"`
	// Seconds is the time since this call of Train began.
	Seconds float64 `json:"seconds"`

	checkpoint func() ([]byte, error)
}

// Checkpoint serialises the booster so far (XGBoost's JSON model, with the
// training state in its attributes) for Options.Resume. Call it from
// OnProgress, before it returns (later it is an error); its cost grows
// with the trees, so call it as often as checkpoints are wanted, not on
// every progress report.
func (p Progress) Checkpoint() ([]byte, error) {
	if p.checkpoint == nil {
		return nil, errors.New("gradient_boosting: Checkpoint called outside OnProgress")
	}
	return p.checkpoint()
}

// Result is a trained model.
type Result struct {
	// Model is the trees kept, in XGBoost's JSON model format (what
	// save_model writes); package treeeval reads it without cgo.
	Model []byte `json:"-"`
	// Rounds is the rounds trained; Trees the rounds kept, which is
	// BestRound when early stopping is on.
	Rounds int `json:"rounds"`
	Trees  int `json:"trees"`
	// StoppedEarly says the validation loss stopped improving before
	// n_estimators rounds.
	StoppedEarly bool `json:"stopped_early,omitempty"`
	// ValidationLoss is the kept model's validation log-loss (0 without a
	// validation split).
	ValidationLoss float64 `json:"validation_loss,omitempty"`
	// Resumed is the rounds taken over from Options.Resume.
	Resumed  int     `json:"resumed,omitempty"`
	Features int     `json:"features"`
	Classes  int     `json:"classes"`
	Seconds  float64 `json:"seconds"`
}

// Train fits a booster to X (row-major, len(y) rows × cols; NaN is a
// missing value) and labels y (0/1, or class indices 0..Classes-1), with
// optional sample weights w (nil: all 1). It grows one round at a time
// through XGBoost's C API with tree_method hist and checks ctx between
// rounds. Parameter and data errors wrap ErrInvalidInput and name the
// setting, row or column to fix; a checkpoint it cannot resume from gives
// an error wrapping ErrCheckpoint.
func Train[T float32 | float64](ctx context.Context, X []T, y, w []float64, cols int, p Params, o Options) (*Result, error) {
	began := time.Now()
	if err := p.Validate(); err != nil {
		return nil, tagged{err, ErrInvalidInput}
	}
	if _, err := checkData(X, y, w, cols, p); err != nil {
		return nil, tagged{err, ErrInvalidInput}
	}
	gpu, err := ParseDevice(o.Device)
	if err != nil {
		return nil, tagged{err, ErrInvalidInput}
	}
	trainIdx, valIdx, err := splitValidation(y, p)
	if err != nil {
		return nil, tagged{err, ErrInvalidInput}
	}
	if o.Every <= 0 {
		o.Every = DefaultEvery
	}
	cw := classWeights(y, trainIdx, p)
	weighted := w != nil || p.ClassWeight != ""
	t := &trainer[T]{ctx: ctx, p: p, o: o, gpu: gpu, cols: cols, began: began,
		train: gather(X, y, w, cols, trainIdx, cw, weighted)}
	if valIdx != nil {
		t.val = gather(X, y, w, cols, valIdx, cw, weighted)
	}
	var res *Result
	err = onThread(func() error {
		var err error
		res, err = t.run()
		return err
	})
	if err != nil && gpu >= 0 && strings.Contains(err.Error(), "not compiled with GPU support") {
		return nil, tagged{fmt.Errorf("device %s: %w (XGBoost said: %v)", o.Device, ErrNoCUDA, err), ErrNoCUDA}
	}
	if err != nil {
		return nil, err
	}
	res.Seconds = time.Since(began).Seconds()
	return res, nil
}
