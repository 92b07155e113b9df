//go:build cgo && !noxgboost

package gbt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"sync/atomic"
	"time"
)

// stateAttr is the booster attribute that carries the training state in a
// checkpoint; bestIterAttr and bestScoreAttr are the ones XGBoost's Python
// package writes for early stopping, so a checkpoint loads there too.
const (
	stateAttr     = "mlpipe_gbt_state"
	bestIterAttr  = "best_iteration"
	bestScoreAttr = "best_score"
)

// state is what a checkpoint carries besides the trees.
type state struct {
	Params Params `json:"params"`
	// BestRound and BestLoss track early stopping (rounds, counting from 1).
	BestRound int     `json:"best_round,omitempty"`
	BestLoss  float64 `json:"best_loss,omitempty"`
	// LastLoss is the validation loss of the last round trained.
	LastLoss float64 `json:"last_loss,omitempty"`
}

// trainer is one call of Train; run executes on one locked OS thread.
type trainer[T float32 | float64] struct {
	ctx        context.Context
	p          Params
	o          Options
	gpu        int // the GPU's ordinal; -1 grows on the CPU
	cols       int
	began      time.Time
	train, val part[T]

	dtrain, dval *dmatrix
	b            *booster
	st           state
}

// treeMethod is hist on the CPU and gpu_hist on a GPU (XGBoost 1.7's
// names; 2.0 spells the latter hist with device cuda).
func (t *trainer[T]) treeMethod() string {
	if t.gpu >= 0 {
		return "gpu_hist"
	}
	return "hist"
}

func (t *trainer[T]) nthread() int {
	if t.p.NThread > 0 {
		return t.p.NThread
	}
	return runtime.NumCPU()
}

func (t *trainer[T]) run() (*Result, error) {
	var err error
	if t.dtrain, err = newDMatrix(t.train.X, t.train.rows, t.cols, t.train.y, t.train.w, t.nthread(), t.p.MaxBin, nil); err != nil {
		return nil, err
	}
	defer t.dtrain.free()
	if t.val.rows > 0 {
		if t.dval, err = newDMatrix(t.val.X, t.val.rows, t.cols, t.val.y, t.val.w, t.nthread(), t.p.MaxBin, t.dtrain); err != nil {
			return nil, err
		}
		defer t.dval.free()
	}
	defer func() { t.b.free() }()
	if err := t.open(t.o.Resume); err != nil {
		return nil, err
	}
	start, err := t.b.rounds()
	if err != nil {
		return nil, err
	}
	if start > t.p.NEstimators {
		return nil, tagged{fmt.Errorf("gradient_boosting: resume: the checkpoint has %d rounds, more than n_estimators %d; start without it", start, t.p.NEstimators), ErrCheckpoint}
	}
	res := &Result{Resumed: start, Features: t.cols, Classes: t.p.classes()}
	round := start
	for round < t.p.NEstimators && !t.stopped(round) {
		if err := t.ctx.Err(); err != nil {
			return nil, fmt.Errorf("gradient_boosting: stopped after %d of %d rounds: %w", round, t.p.NEstimators, err)
		}
		if err := t.resample(round); err != nil {
			return nil, err
		}
		if err := t.b.updateOneIter(round, t.dtrain); err != nil {
			return nil, err
		}
		loss, err := t.track(round)
		if err != nil {
			return nil, err
		}
		round++
		if round%t.o.Every == 0 || round == t.p.NEstimators || t.stopped(round) {
			if err := t.report(round, loss); err != nil {
				return nil, err
			}
		}
	}
	res.Rounds, res.Trees = round, round
	res.StoppedEarly = round < t.p.NEstimators
	res.ValidationLoss = t.st.LastLoss
	final := t.b
	if t.p.EarlyStoppingRounds > 0 && t.st.BestRound < round {
		if final, err = t.b.slice(t.st.BestRound); err != nil {
			return nil, err
		}
		defer final.free()
		res.Trees, res.ValidationLoss = t.st.BestRound, t.st.BestLoss
	}
	// The final model holds exactly the trees that predict: no training
	// state, and no best_iteration that would cut it short.
	for _, a := range []string{stateAttr, bestIterAttr, bestScoreAttr} {
		if err := final.setAttr(a, nil); err != nil {
			return nil, err
		}
	}
	if res.Model, err = final.save(); err != nil {
		return nil, err
	}
	return res, nil
}

// open creates the booster, from the checkpoint when there is one, and
// sets the parameters.
func (t *trainer[T]) open(checkpoint []byte) error {
	dms := []*dmatrix{t.dtrain}
	if t.dval != nil {
		dms = append(dms, t.dval)
	}
	var err error
	if t.b, err = newBooster(dms...); err != nil {
		return err
	}
	t.st = state{Params: t.p}
	if checkpoint != nil {
		if err := t.b.load(checkpoint); err != nil {
			return tagged{fmt.Errorf("gradient_boosting: resume: %w", err), ErrCheckpoint}
		}
		if err := t.resumeState(); err != nil {
			return tagged{err, ErrCheckpoint}
		}
	}
	return t.configure()
}

// resumeState reads the checkpoint's state and refuses one trained with
// other parameters.
func (t *trainer[T]) resumeState() error {
	raw, ok, err := t.b.attr(stateAttr)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("gradient_boosting: resume: the checkpoint has no %s attribute; it was not written by Progress.Checkpoint", stateAttr)
	}
	var st state
	if err := json.Unmarshal([]byte(raw), &st); err != nil {
		return fmt.Errorf("gradient_boosting: resume: reading the checkpoint's state: %w", err)
	}
	if diff := paramsDiff(st.Params, t.p); diff != "" {
		return fmt.Errorf("gradient_boosting: resume: the checkpoint was trained with other parameters (%s); start without it", diff)
	}
	t.st.BestRound, t.st.BestLoss, t.st.LastLoss = st.BestRound, st.BestLoss, st.LastLoss
	return nil
}

// configure sets the booster's parameters; see the package doc for the
// mapping.
func (t *trainer[T]) configure() error {
	p := t.p
	kv := [][2]string{
		{"booster", "gbtree"},
		{"tree_method", t.treeMethod()},
		{"nthread", strconv.Itoa(t.nthread())},
		{"seed", strconv.FormatInt(p.Seed, 10)},
		// Random draws restart from (seed, round) every round, so no
		// generator position has to be saved for a resume.
		{"seed_per_iteration", "true"},
		{"base_score", "0.5"},
		{"eta", fmtFloat(p.LearningRate)},
		{"min_child_weight", fmtFloat(p.MinChildWeight)},
		{"subsample", fmtFloat(p.Subsample)},
		{"colsample_bytree", fmtFloat(p.ColsampleByTree)},
		{"alpha", fmtFloat(p.RegAlpha)},
		{"lambda", fmtFloat(p.RegLambda)},
		{"max_bin", strconv.Itoa(p.MaxBin)},
		{"verbosity", "1"},
	}
	if t.gpu >= 0 {
		kv = append(kv, [2]string{"gpu_id", strconv.Itoa(t.gpu)})
	}
	if p.MaxDepth == nil {
		// XGBoost's unlimited depth: max_depth 0, which its docs allow
		// with the lossguide policy (max_leaves 0: no leaf limit either).
		kv = append(kv, [2]string{"max_depth", "0"}, [2]string{"grow_policy", "lossguide"})
	} else {
		kv = append(kv, [2]string{"max_depth", strconv.Itoa(*p.MaxDepth)}, [2]string{"grow_policy", "depthwise"})
	}
	if p.Classes >= 3 {
		kv = append(kv, [2]string{"objective", "multi:softprob"}, [2]string{"num_class", strconv.Itoa(p.Classes)},
			[2]string{"eval_metric", "mlogloss"})
	} else {
		kv = append(kv, [2]string{"objective", "binary:logistic"}, [2]string{"eval_metric", "logloss"})
	}
	for _, e := range kv {
		if err := t.b.set(e[0], e[1]); err != nil {
			return err
		}
	}
	return nil
}

// resample makes round's random draws depend on (seed, round) alone, so
// that a run resumed at any round draws what an uninterrupted one does.
// seed_per_iteration reseeds XGBoost's generator before every round, but
// the hist updater seeds its column sampler once, when it is created, and
// draws from it for every later tree. Alternating between two equivalent
// updater sequences ("sync" does nothing on one machine) makes XGBoost
// create the updater afresh each round, after the reseed. A new updater
// is configured from the parameters set since the last round only, so all
// of them are set again. Without sampling nothing is drawn and XGBoost's
// own choice for tree_method hist stays.
func (t *trainer[T]) resample(round int) error {
	if !t.p.sampling() {
		return nil
	}
	if err := t.configure(); err != nil {
		return err
	}
	seq := "grow_quantile_histmaker"
	if t.gpu >= 0 {
		seq = "grow_gpu_hist"
	}
	if round%2 == 1 {
		seq = "sync," + seq
	}
	return t.b.set("updater", seq)
}

// track evaluates round (0-based) on the validation rows, if any, and
// keeps the best round.
func (t *trainer[T]) track(round int) (float64, error) {
	if t.dval == nil {
		return 0, nil
	}
	loss, err := t.b.eval(round, t.dval, "validation")
	if err != nil {
		return 0, err
	}
	t.st.LastLoss = loss
	if t.st.BestRound == 0 || loss < t.st.BestLoss {
		t.st.BestRound, t.st.BestLoss = round+1, loss
	}
	return loss, nil
}

// stopped reports whether early stopping has ended training after rounds.
func (t *trainer[T]) stopped(rounds int) bool {
	return t.p.EarlyStoppingRounds > 0 && t.st.BestRound > 0 && rounds-t.st.BestRound >= t.p.EarlyStoppingRounds
}

func (t *trainer[T]) report(round int, loss float64) error {
	if t.o.OnProgress == nil {
		return nil
	}
	// The booster may be read only while training waits for OnProgress.
	var open atomic.Bool
	open.Store(true)
	defer open.Store(false)
	checkpoint := func() ([]byte, error) {
		if !open.Load() {
			return nil, errors.New("gradient_boosting: Checkpoint called after OnProgress returned")
		}
		return t.checkpoint()
	}
	pr := Progress{Round: round, Rounds: t.p.NEstimators, ValidationLoss: loss, BestRound: t.st.BestRound, BestLoss: t.st.BestLoss,
		Seconds: time.Since(t.began).Seconds(), checkpoint: checkpoint}
	if err := t.o.OnProgress(pr); err != nil {
		return fmt.Errorf("gradient_boosting: after round %d: %w", round, err)
	}
	return nil
}

// checkpoint serialises the booster with the training state.
func (t *trainer[T]) checkpoint() ([]byte, error) {
	raw, err := json.Marshal(t.st)
	if err != nil {
		return nil, err
	}
	s := string(raw)
	if err := t.b.setAttr(stateAttr, &s); err != nil {
		return nil, err
	}
	if t.p.EarlyStoppingRounds > 0 && t.st.BestRound > 0 {
		bi, bs := strconv.Itoa(t.st.BestRound-1), fmtFloat(t.st.BestLoss)
		if err := t.b.setAttr(bestIterAttr, &bi); err != nil {
			return nil, err
		}
		if err := t.b.setAttr(bestScoreAttr, &bs); err != nil {
			return nil, err
		}
	}
	return t.b.save()
}

func fmtFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
