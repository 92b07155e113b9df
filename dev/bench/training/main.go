// Command training compares mlpipe's Gorgonia training with scikit-learn on
// the same synthetic data, in one run: an MLP (one hidden layer of 32, relu,
// Adam lr 0.01, batch 256, 5 epochs) timed against MLPClassifier, and
// logistic regression timed until its training log-loss reaches that of
// LogisticRegression(solver="lbfgs").
//
//	go run ./dev/bench/training
//	go run ./dev/bench/training -rows 20000 -repeats 1
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/mlpipe/mlpipe/internal/model"
)

type options struct {
	rows, cols, repeats int
	python              string
	maxEpochs           int
	tolerance           float64
}

func main() {
	var o options
	flag.IntVar(&o.rows, "rows", 100_000, "rows of synthetic data")
	flag.IntVar(&o.cols, "cols", 20, "feature columns")
	flag.IntVar(&o.repeats, "repeats", 3, "fits per MLP side; the fastest is reported")
	flag.StringVar(&o.python, "python", "/usr/bin/python3", "Python with scikit-learn and pandas")
	flag.IntVar(&o.maxEpochs, "max-epochs", 200, "give up chasing lbfgs's loss after this many logistic epochs")
	flag.Float64Var(&o.tolerance, "tolerance", 1e-4, "logistic counts as reaching lbfgs's loss within this relative gap")
	flag.Parse()
	if err := run(os.Stdout, o); err != nil {
		fmt.Fprintln(os.Stderr, "bench training:", err)
		os.Exit(1)
	}
}

func run(w io.Writer, o options) error {
	X, y := synthetic(o.rows, o.cols, 42)
	dir, err := os.MkdirTemp("", "mlpipe-bench-training-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	csvPath := filepath.Join(dir, "data.csv")
	if err := writeCSV(csvPath, X, y, o.cols); err != nil {
		return err
	}

	sk, err := runSklearn(o.python, csvPath, o.repeats)
	if err != nil {
		return err
	}
	mlpSec, mlpLoss, err := benchMLP(X, y, o)
	if err != nil {
		return err
	}
	lr, err := chaseLogistic(X, y, o, sk.LRLoss)
	if err != nil {
		return err
	}

	fmt.Fprintf(w, "%d × %d synthetic binary set; Go %s, GOMAXPROCS %d; scikit-learn %s, BLAS threads: %s\n\n",
		o.rows, o.cols, runtime.Version(), runtime.GOMAXPROCS(0), sk.Version, sk.Threads)
	fmt.Fprintln(w, "| workload | mlpipe s | sklearn s | time ratio mlpipe/sklearn | mlpipe train log-loss | sklearn train log-loss | loss ratio |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
	fmt.Fprintf(w, "| MLP 32 relu, Adam 0.01, batch 256, 5 epochs (best of %d) | %.3f | %.3f | %.2f | %.5f | %.5f | %.4f |\n",
		o.repeats, mlpSec, sk.MLPSeconds, mlpSec/sk.MLPSeconds, mlpLoss, sk.MLPLoss, mlpLoss/sk.MLPLoss)
	fmt.Fprintf(w, "| logistic: mlpipe %s until loss ≤ lbfgs·(1+%g) vs lbfgs fit | %.3f | %.3f | %.2f | %.5f | %.5f | %.4f |\n",
		lr.how, o.tolerance, lr.seconds, sk.LRSeconds, lr.seconds/sk.LRSeconds, lr.loss, sk.LRLoss, lr.loss/sk.LRLoss)
	if !lr.reached {
		fmt.Fprintf(w, "\nmlpipe logistic did not reach lbfgs's loss in %d epochs; the gap is %.2e.\n", o.maxEpochs, lr.loss-sk.LRLoss)
	}
	fmt.Fprintln(w, "\nTimes are fit only: no CSV reading; mlpipe's logistic time excludes the per-epoch log-loss evaluation used to decide when to stop.")
	return nil
}

// benchMLP trains the MLP o.repeats times and returns the fastest
// time and the final model's training log-loss.
func benchMLP(X, y []float64, o options) (float64, float64, error) {
	cfg := model.Config{Kind: model.KindMLP, Hidden: []int{32}, Activation: model.ActivationReLU, Optimizer: model.OptimizerAdam,
		LearningRate: 0.01, BatchSize: 256, Epochs: 5, Seed: 0}
	best := 0.0
	var m *model.Model
	for i := range o.repeats {
		began := time.Now()
		var err error
		if m, err = model.Train(context.Background(), X, y, o.cols, cfg, nil, nil); err != nil {
			return 0, 0, fmt.Errorf("mlpipe mlp: %w", err)
		}
		if s := time.Since(began).Seconds(); i == 0 || s < best {
			best = s
		}
	}
	p, err := m.PredictProba(X, o.cols)
	if err != nil {
		return 0, 0, err
	}
	return best, logLoss(p, y), nil
}

type chase struct {
	how           string
	seconds, loss float64
	reached       bool
}

var errReached = errors.New("reached the target loss")

// chaseLogistic trains logistic regression one epoch at a time until its
// training log-loss is within o.tolerance of target.
func chaseLogistic(X, y []float64, o options, target float64) (chase, error) {
	cfg := model.Config{Kind: model.KindLogistic, Optimizer: model.OptimizerAdam, LearningRate: 0.01, BatchSize: 1024,
		Epochs: o.maxEpochs, Seed: 0}
	res := chase{how: fmt.Sprintf("Adam lr %g batch %d", cfg.LearningRate, cfg.BatchSize)}
	_, err := model.Train(context.Background(), X, y, o.cols, cfg, nil, func(s model.EpochStats, c *model.Checkpoint) error {
		res.seconds += s.Seconds
		p, err := c.Model.PredictProba(X, o.cols)
		if err != nil {
			return err
		}
		res.loss = logLoss(p, y)
		res.how = fmt.Sprintf("Adam lr %g batch %d, %d epochs", cfg.LearningRate, cfg.BatchSize, s.Epoch)
		if res.loss <= target*(1+o.tolerance) {
			res.reached = true
			return errReached
		}
		return nil
	})
	if err != nil && !errors.Is(err, errReached) {
		return res, fmt.Errorf("mlpipe logistic: %w", err)
	}
	return res, nil
}
