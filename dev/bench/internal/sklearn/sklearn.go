// Package sklearn runs scikit-learn's RandomizedSearchCV over an mlpipe
// search space, with the system Python (Debian's python3-sklearn), so the
// benchmarks can put both side by side in one run. search.py says how
// mlpipe's parameters map onto MLPClassifier's.
package sklearn

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"

	"github.com/mlpipe/mlpipe/internal/model"
	"github.com/mlpipe/mlpipe/internal/tune"
)

//go:embed search.py
var script string

// ErrMissing says how to get the reference installed.
var ErrMissing = errors.New("scikit-learn is not importable by /usr/bin/python3; install it with:\n" +
	"  sudo apt-get update && sudo apt-get install -y python3-sklearn python3-pandas")

// Request is one RandomizedSearchCV run.
type Request struct {
	// Train and Test are CSV files, features then the label last; Test may
	// be empty.
	Train, Test string
	Space       tune.Space
	// Base is the configuration the sampled parameters are set on.
	Base  model.Config
	NIter int
	// Folds holds each fold's validation rows, mlpipe's folds, so both
	// sides cross-validate on the same rows.
	Folds   [][]int
	Scoring string
	Seed    int64
	NJobs   int
	// Refit retrains the best configuration on all of Train and, with
	// Test set, reports its F1 there.
	Refit bool
	// Trials, when set, are evaluated exactly (GridSearchCV over these
	// points) instead of scikit-learn sampling its own NIter from Space.
	Trials []tune.Trial
}

// Result is what the script reports.
type Result struct {
	Version      string         `json:"version"`
	Threads      string         `json:"threads"`
	WallSeconds  float64        `json:"wall_seconds"`
	FitSeconds   float64        `json:"fit_seconds"`
	ScoreSeconds float64        `json:"score_seconds"`
	RefitSeconds float64        `json:"refit_seconds"`
	Trials       int            `json:"trials"`
	BestScore    *float64       `json:"best_score"`
	BestParams   map[string]any `json:"best_params"`
	TestF1       float64        `json:"test_f1"`
	// BaseTestF1 is the untuned base configuration's test F1 (Refit only).
	BaseTestF1 float64 `json:"base_test_f1"`
}

// Search runs the search with python (e.g. /usr/bin/python3) in its
// default thread configuration.
func Search(ctx context.Context, python string, r Request) (Result, error) {
	if err := exec.CommandContext(ctx, python, "-c", "import sklearn, pandas, scipy").Run(); err != nil {
		return Result{}, ErrMissing
	}
	dir, err := os.MkdirTemp("", "mlpipe-sklearn-")
	if err != nil {
		return Result{}, err
	}
	defer os.RemoveAll(dir)
	req, err := json.Marshal(r.wire())
	if err != nil {
		return Result{}, err
	}
	reqPath, scriptPath := filepath.Join(dir, "request.json"), filepath.Join(dir, "search.py")
	if err := os.WriteFile(reqPath, req, 0o644); err != nil {
		return Result{}, err
	}
	if err := os.WriteFile(scriptPath, []byte(script), 0o644); err != nil {
		return Result{}, err
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, python, scriptPath, reqPath)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return Result{}, fmt.Errorf("scikit-learn search: %w: %s", err, stderr.String())
	}
	var res Result
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		return res, fmt.Errorf("scikit-learn search printed %q: %w", stdout.String(), err)
	}
	return res, nil
}

type wireDist struct {
	Kind    string  `json:"kind"`
	Low     float64 `json:"low"`
	High    float64 `json:"high"`
	Choices []any   `json:"choices,omitempty"`
}

// wire is the script's request: the space as ordered [name, distribution]
// pairs and the base configuration under mlpipe's names.
func (r Request) wire() map[string]any {
	space := make([][2]any, len(r.Space))
	for i, p := range r.Space {
		space[i] = [2]any{p.Name, wireDist{Kind: p.Dist.Kind, Low: p.Dist.Low, High: p.Dist.High, Choices: p.Dist.Choices}}
	}
	b := r.Base.Defaults()
	hidden := 32
	if len(b.Hidden) > 0 {
		hidden = b.Hidden[0]
	}
	activation := b.Activation
	if activation == "" {
		activation = model.ActivationReLU
	}
	return map[string]any{
		"train": r.Train, "test": r.Test, "space": space, "n_iter": r.NIter, "folds": r.Folds,
		"scoring": r.Scoring, "seed": r.Seed, "n_jobs": r.NJobs, "refit": r.Refit, "points": points(r.Trials),
		"base": map[string]any{
			"kind": b.Kind, "hidden_units": hidden, "activation": activation, "learning_rate": b.LearningRate,
			"l2": b.L2, "batch_size": b.BatchSize, "epochs": b.Epochs, "optimizer": b.Optimizer, "seed": b.Seed,
		},
	}
}

// points is trials as name → value maps (nil for none).
func points(trials []tune.Trial) []map[string]any {
	var out []map[string]any
	for _, t := range trials {
		p := map[string]any{}
		for _, v := range t.Params {
			p[v.Name] = v.Value
		}
		out = append(out, p)
	}
	return out
}

// mapped are the parameters search.py maps onto MLPClassifier.
var mapped = []string{"kind", "hidden_units", "activation", "learning_rate", "l2", "batch_size", "epochs", "optimizer"}

// Unsupported names the settings the script does not map, so a benchmark
// can refuse a comparison that would not be like for like.
func Unsupported(c model.Config, space tune.Space) []string {
	var out []string
	if len(c.Hidden) > 1 {
		out = append(out, "more than one hidden layer")
	}
	if o := c.Defaults().Optimizer; o != model.OptimizerAdam && o != model.OptimizerSGD && o != model.OptimizerMomentum {
		out = append(out, "optimizer "+o)
	}
	if c.Dropout != 0 {
		out = append(out, "dropout")
	}
	if c.ClassWeight != "" {
		out = append(out, "class_weight")
	}
	if c.ValidationFraction != 0 || c.Patience != 0 {
		out = append(out, "early stopping")
	}
	for _, p := range space {
		if !slices.Contains(mapped, p.Name) {
			out = append(out, "searching "+p.Name)
		}
	}
	return out
}
