package model

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"gorgonia.org/gorgonia"
)

// EpochStats describes one finished epoch.
type EpochStats struct {
	// Epoch is the number of epochs completed, counting from 1.
	Epoch int `json:"epoch"`
	// Loss is the mean training objective (weighted log-loss plus the L2
	// penalty) over the epoch's mini-batches, as the weights moved.
	Loss    float64 `json:"loss"`
	Seconds float64 `json:"seconds"`
}

// ErrDiverged is wrapped by the error Train returns when the loss or the
// weights stop being finite numbers.
var ErrDiverged = errors.New("training diverged")

// Train fits a model to X (row-major, len(y) rows × cols) and labels y (0 or
// 1). With resume set, it continues from that checkpoint and reaches exactly
// the model an uninterrupted run would. onEpoch, if not nil, is called after
// every epoch with a checkpoint it may keep; an error from it stops training
// and is returned wrapped. ctx is checked between mini-batches.
func Train(ctx context.Context, X, y []float64, cols int, cfg Config, resume *Checkpoint,
	onEpoch func(EpochStats, *Checkpoint) error) (*Model, error) {
	cfg = cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	rows, err := checkData(X, y, cols)
	if err != nil {
		return nil, err
	}

	m := newLogistic(cols)
	var optState *OptimizerState
	start := 0
	if resume != nil {
		if err := checkResume(resume, cfg, cols); err != nil {
			return nil, err
		}
		m = resume.Model.Clone()
		st := resume.Optimizer.clone()
		optState, start = &st, resume.Epoch
	}
	if start >= cfg.Epochs {
		return m, nil
	}

	batch := min(cfg.BatchSize, rows)
	lg, err := newLogisticTrain(m, batch, cols, cfg.L2)
	if err != nil {
		return nil, err
	}
	sizes := make([]int, len(m.Params))
	for i, p := range m.Params {
		sizes[i] = len(p.Data)
	}
	opt, err := newSolver(cfg.Optimizer, cfg.LearningRate, sizes, optState)
	if err != nil {
		return nil, err
	}
	vm := gorgonia.NewTapeMachine(lg.g, gorgonia.BindDualValues(lg.learnables()...))
	defer vm.Close()
	grads := gorgonia.NodesToValueGrads(lg.learnables())

	cw := classWeights(y, cfg.ClassWeight)
	order := make([]int, rows)
	for epoch := start; epoch < cfg.Epochs; epoch++ {
		began := time.Now()
		shuffle(order, cfg.Seed, epoch)
		var lossSum, weightSum float64
		for lo := 0; lo < rows; lo += batch {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("training stopped in epoch %d: %w", epoch+1, err)
			}
			bw := fillBatch(lg, X, y, cols, order[lo:min(lo+batch, rows)], cw)
			if err := vm.RunAll(); err != nil {
				return nil, fmt.Errorf("epoch %d: run graph: %w", epoch+1, err)
			}
			cost := float64(*lg.cost.Value().(*gorgonia.F64))
			if math.IsNaN(cost) || math.IsInf(cost, 0) {
				return nil, diverged(epoch, cost, cfg.LearningRate)
			}
			if err := opt.Step(grads); err != nil {
				return nil, fmt.Errorf("epoch %d: optimizer step: %w", epoch+1, err)
			}
			vm.Reset()
			lossSum += cost * bw
			weightSum += bw
		}
		lg.store(m)
		if !finite(m) {
			return nil, diverged(epoch, math.NaN(), cfg.LearningRate)
		}
		m.Epoch = epoch + 1
		if onEpoch != nil {
			stats := EpochStats{Epoch: epoch + 1, Loss: lossSum / weightSum, Seconds: time.Since(began).Seconds()}
			ckpt := &Checkpoint{Model: *m.Clone(), Epoch: epoch + 1, Seed: cfg.Seed, Optimizer: opt.state.clone()}
			if err := onEpoch(stats, ckpt); err != nil {
				return nil, fmt.Errorf("after epoch %d: %w", epoch+1, err)
			}
		}
	}
	return m, nil
}

// shuffle resets order to 0..n-1 and permutes it with a generator seeded by
// (seed, epoch) alone, so any epoch's order can be recreated on resume.
func shuffle(order []int, seed int64, epoch int) {
	for i := range order {
		order[i] = i
	}
	r := rand.New(rand.NewPCG(uint64(seed), uint64(epoch)))
	r.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
}

// fillBatch copies the rows in idx into the graph's input tensors, padding
// the rest with zero-weight rows, and returns the batch's total sample
// weight. Weights are normalised so the cost is a weighted mean.
func fillBatch(lg *logisticGraph, X, y []float64, cols int, idx []int, cw [2]float64) float64 {
	var total float64
	for i, r := range idx {
		copy(lg.xData[i*cols:(i+1)*cols], X[r*cols:(r+1)*cols])
		lg.yData[i] = y[r]
		lg.swData[i] = cw[int(y[r])]
		total += lg.swData[i]
	}
	for i := range idx {
		lg.swData[i] /= total
	}
	n := len(idx)
	clear(lg.xData[n*cols:])
	clear(lg.yData[n:])
	clear(lg.swData[n:])
	return total
}

func diverged(epoch int, cost, lr float64) error {
	return fmt.Errorf("%w in epoch %d (loss %v): lower learning_rate (now %v), e.g. by 10×, or scale the features",
		ErrDiverged, epoch+1, cost, lr)
}

func finite(m *Model) bool {
	for _, p := range m.Params {
		for _, v := range p.Data {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return false
			}
		}
	}
	return true
}

// checkResume refuses a checkpoint that cannot continue this run exactly.
func checkResume(c *Checkpoint, cfg Config, cols int) error {
	if err := c.Model.check(); err != nil {
		return fmt.Errorf("resume checkpoint: %w", err)
	}
	switch {
	case c.Model.Kind != cfg.Kind:
		return fmt.Errorf("resume checkpoint: model kind is %q but config kind is %q", c.Model.Kind, cfg.Kind)
	case c.Model.NumFeatures != cols:
		return fmt.Errorf("resume checkpoint: model has %d features but the data has %d columns", c.Model.NumFeatures, cols)
	case c.Seed != cfg.Seed:
		return fmt.Errorf("resume checkpoint: seed is %d but config seed is %d; resume with the same seed", c.Seed, cfg.Seed)
	case c.Epoch < 0 || c.Epoch != c.Model.Epoch:
		return fmt.Errorf("resume checkpoint: epoch %d does not match the model's epoch %d", c.Epoch, c.Model.Epoch)
	}
	return nil
}
