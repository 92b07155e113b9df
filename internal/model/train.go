package model

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"gorgonia.org/gorgonia"
)

// EpochStats describes one finished epoch.
type EpochStats struct {
	// Epoch is the number of epochs completed, counting from 1.
	Epoch int `json:"epoch"`
	// Loss is the mean training objective (weighted log-loss plus the L2
	// penalty) over the epoch's mini-batches, as the weights moved; with
	// lbfgs, the objective on all training rows at the iteration's end.
	Loss    float64 `json:"loss"`
	Seconds float64 `json:"seconds"`
	// ValidationLoss is the class-weighted mean log-loss (no L2 term) on the
	// held-out rows after the epoch; 0 without Config.ValidationFraction.
	ValidationLoss float64 `json:"validation_loss,omitempty"`
}

// ErrDiverged is wrapped by the error Train returns when the loss or the
// weights stop being finite numbers.
var ErrDiverged = errors.New("training diverged")

// trainGraph is what the training loop needs from a model's graph.
type trainGraph interface {
	machine() (gorgonia.VM, error)
	learnables() gorgonia.Nodes
	// fill loads one batch, dividing sample weights by total.
	fill(X, y []float64, cols int, idx []int, cw []float64, total float64, r *rand.Rand)
	cost() float64
	store(m *Model)
}

// Train fits a model to X (row-major, len(y) rows × cols) and labels y (0 or
// 1, or class indices 0..Classes-1). With resume set, it continues from that
// checkpoint and reaches exactly the model an uninterrupted run would.
// onEpoch, if not nil, is called after every epoch (with lbfgs, every
// iteration) with a checkpoint it may keep; an error from it stops training
// and is returned wrapped. ctx is checked between mini-batches (with lbfgs,
// between evaluations of the objective). With Patience set, training stops
// early and the weights of the epoch with the lowest validation loss are
// returned; lbfgs also stops once it has converged (Config.Tol).
func Train(ctx context.Context, X, y []float64, cols int, cfg Config, resume *Checkpoint,
	onEpoch func(EpochStats, *Checkpoint) error) (*Model, error) {
	cfg = cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	rows, err := checkData(X, y, cols, cfg.Classes)
	if err != nil {
		return nil, err
	}
	trainIdx, valIdx, err := splitValidation(y, rows, cfg)
	if err != nil {
		return nil, err
	}

	r := &run{ctx: ctx, X: X, y: y, cols: cols, cfg: cfg, m: newModel(cfg, cols), trainIdx: trainIdx, valIdx: valIdx, onEpoch: onEpoch}
	var optState *OptimizerState
	start := 0
	if resume != nil {
		if err := checkResume(resume, cfg, cols); err != nil {
			return nil, err
		}
		r.m = resume.Model.Clone()
		st := resume.Optimizer.clone()
		optState, start, r.es = &st, resume.Epoch, resume.EarlyStopping.clone()
	}
	if start >= cfg.Epochs || stopped(r.es, cfg) || converged(optState) {
		return best(r.m, r.es, cfg), nil
	}
	r.cw = classWeightsK(y, trainIdx, max(2, cfg.Classes), cfg.ClassWeight)
	if cfg.Optimizer == OptimizerLBFGS {
		err = r.fullBatch(start, optState)
	} else {
		err = r.miniBatch(start, optState)
	}
	if err != nil {
		return nil, err
	}
	return best(r.m, r.es, cfg), nil
}

// run is one call of Train: its data, configuration and the state the
// epochs share.
type run struct {
	ctx              context.Context
	X, y             []float64
	cols             int
	cfg              Config
	m                *Model
	es               *EarlyStopState
	trainIdx, valIdx []int
	cw               []float64
	onEpoch          func(EpochStats, *Checkpoint) error
}

// newGraph builds the training graph for batch rows with penalty l2;
// xData, if given, is the graph's input matrix (see newLogisticForward).
func (r *run) newGraph(batch int, xData []float64, l2 float64) (trainGraph, error) {
	warmGraphs.Do(warmSharedNodes)
	return buildGraph(r.m, batch, r.cols, xData, l2, r.cfg.Dropout)
}

// buildGraph is m's training graph: the logistic one for a binary
// logistic model, the network one (softmax, hidden layers) otherwise.
func buildGraph(m *Model, batch, cols int, xData []float64, l2, dropout float64) (trainGraph, error) {
	if m.Kind == KindLogistic && m.Classes < 3 {
		return newLogisticTrain(m, batch, cols, l2, xData)
	}
	return newNetTrain(m, batch, l2, dropout, xData)
}

// miniBatch trains with sgd, momentum or adam over shuffled mini-batches.
func (r *run) miniBatch(start int, optState *OptimizerState) error {
	cfg, m, X, y, cols := r.cfg, r.m, r.X, r.y, r.cols
	batch := min(cfg.BatchSize, len(r.trainIdx))
	tg, err := r.newGraph(batch, nil, r.cfg.L2)
	if err != nil {
		return err
	}
	opt, err := newSolver(cfg.Optimizer, cfg.LearningRate, paramSizes(m), optState)
	if err != nil {
		return err
	}
	vm, err := tg.machine()
	if err != nil {
		return err
	}
	defer vm.Close()
	grads := gorgonia.NodesToValueGrads(tg.learnables())

	order := make([]int, len(r.trainIdx))
	idx := make([]int, batch)
	for epoch := start; epoch < cfg.Epochs; epoch++ {
		began := time.Now()
		shuffle(order, cfg.Seed, epoch)
		drop := rand.New(rand.NewPCG(uint64(cfg.Seed)^0x9e3779b97f4a7c15, uint64(epoch)))
		var lossSum, weightSum float64
		for lo := 0; lo < len(order); lo += batch {
			if err := r.ctx.Err(); err != nil {
				return fmt.Errorf("training stopped in epoch %d: %w", epoch+1, err)
			}
			n := copy(idx, order[lo:min(lo+batch, len(order))])
			for i := range n {
				idx[i] = r.trainIdx[idx[i]]
			}
			bw := batchWeight(y, idx[:n], r.cw)
			tg.fill(X, y, cols, idx[:n], r.cw, bw, drop)
			if err := vm.RunAll(); err != nil {
				return fmt.Errorf("epoch %d: run graph: %w", epoch+1, err)
			}
			cost := tg.cost()
			if math.IsNaN(cost) || math.IsInf(cost, 0) {
				return diverged(epoch, cost, cfg.LearningRate)
			}
			if err := opt.Step(grads); err != nil {
				return fmt.Errorf("epoch %d: optimizer step: %w", epoch+1, err)
			}
			vm.Reset()
			lossSum += cost * bw
			weightSum += bw
		}
		tg.store(m)
		if !finite(m) {
			return diverged(epoch, math.NaN(), cfg.LearningRate)
		}
		stop, err := r.endEpoch(epoch, lossSum/weightSum, began, opt.state)
		if err != nil || stop {
			return err
		}
	}
	return nil
}

// endEpoch finishes epoch (zero-based), whose weights are in r.m: the
// validation loss and early stopping, then the callback with a checkpoint.
// It reports whether early stopping says to stop.
func (r *run) endEpoch(epoch int, loss float64, began time.Time, opt *OptimizerState) (bool, error) {
	r.m.Epoch = epoch + 1
	stats := EpochStats{Epoch: epoch + 1, Loss: loss}
	if len(r.valIdx) > 0 {
		stats.ValidationLoss = logLoss(r.m, r.X, r.y, r.cols, r.valIdx, r.cw)
		r.es = track(r.es, r.m, stats.ValidationLoss)
	}
	stats.Seconds = time.Since(began).Seconds()
	if r.onEpoch != nil {
		ckpt := &Checkpoint{Model: *r.m.Clone(), Epoch: epoch + 1, Seed: r.cfg.Seed, Optimizer: opt.clone(), EarlyStopping: r.es.clone()}
		if err := r.onEpoch(stats, ckpt); err != nil {
			return false, fmt.Errorf("after epoch %d: %w", epoch+1, err)
		}
	}
	return stopped(r.es, r.cfg), nil
}

func paramSizes(m *Model) []int {
	sizes := make([]int, len(m.Params))
	for i, p := range m.Params {
		sizes[i] = len(p.Data)
	}
	return sizes
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
	case !sameShapes(c.Model.Params, newModel(cfg, cols).Params):
		return fmt.Errorf("resume checkpoint: model layers or classes differ from the config (hidden %v, classes %d); resume with the config that wrote it", cfg.Hidden, cfg.Classes)
	case cfg.ValidationFraction > 0 && c.EarlyStopping == nil && c.Epoch > 0:
		return fmt.Errorf("resume checkpoint: it has no early-stopping state but validation_fraction is %v; resume with the config that wrote it", cfg.ValidationFraction)
	case c.Seed != cfg.Seed:
		return fmt.Errorf("resume checkpoint: seed is %d but config seed is %d; resume with the same seed", c.Seed, cfg.Seed)
	case c.Epoch < 0 || c.Epoch != c.Model.Epoch:
		return fmt.Errorf("resume checkpoint: epoch %d does not match the model's epoch %d", c.Epoch, c.Model.Epoch)
	}
	return nil
}

func sameShapes(a, b []Param) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Name != b[i].Name || !slices.Equal(a[i].Shape, b[i].Shape) {
			return false
		}
	}
	return true
}

// batchWeight is the total class weight of the rows in idx.
func batchWeight(y []float64, idx []int, cw []float64) float64 {
	var total float64
	for _, row := range idx {
		total += cw[int(y[row])]
	}
	return total
}

// Gorgonia keeps package-level constant nodes that graphs share (Grad adds
// its 1.0 to every training graph), and a node computes its hash the first
// time a graph adds it, writing it into the node: two fits that build
// their first graphs at once, on a GPU worker's two slots, race there.
// warmSharedNodes builds one graph of every kind, once, before any fit's
// graph, so those hashes are written before fits run in parallel.
var warmGraphs sync.Once

func warmSharedNodes() {
	for _, cfg := range []Config{
		{Kind: KindLogistic},
		{Kind: KindLogistic, Classes: 3},
		{Kind: KindMLP, Hidden: []int{2}, Activation: ActivationReLU},
		{Kind: KindMLP, Hidden: []int{2}, Activation: ActivationTanh, Classes: 3},
	} {
		cfg = cfg.Defaults()
		m := newModel(cfg, 2)
		for _, l2 := range []float64{0, 0.1} {
			if _, err := buildGraph(m, 2, 2, nil, l2, 0.5); err != nil {
				panic(fmt.Sprintf("model: building the warm-up graph for %s: %v", cfg.Kind, err))
			}
		}
	}
}
