package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/mlpipe/mlpipe/dev/bench/gbtchurn"
	"github.com/mlpipe/mlpipe/internal/gbt"
	"github.com/mlpipe/mlpipe/internal/gen"
	"github.com/mlpipe/mlpipe/internal/metrics"
	"github.com/mlpipe/mlpipe/internal/model"
	"github.com/mlpipe/mlpipe/internal/treeeval"
	"github.com/mlpipe/mlpipe/internal/tune"
)

// fitter trains on rows X (cols wide) with labels y and returns the
// model's P(positive) for other rows.
type fitter func(ctx context.Context, X, y []float64, cols int) (func(X []float64) ([]float64, error), error)

// fitTrees trains cfg with XGBoost (2 threads) and predicts with the
// plain-Go trees the gateway serves.
func fitTrees(cfg model.Config) fitter {
	return func(ctx context.Context, X, y []float64, cols int) (func([]float64) ([]float64, error), error) {
		cfg := cfg.Defaults()
		if err := cfg.Validate(); err != nil {
			return nil, err
		}
		p := cfg.GBT()
		p.NThread = 2
		res, err := gbt.Train(ctx, X, y, nil, cols, p, gbt.Options{})
		if err != nil {
			return nil, err
		}
		m, err := treeeval.Parse(res.Model)
		if err != nil {
			return nil, err
		}
		return func(X []float64) ([]float64, error) { return m.PredictProba(X, cols) }, nil
	}
}

// fitLinear trains cfg (a logistic regression) with package model.
func fitLinear(cfg model.Config) fitter {
	return func(ctx context.Context, X, y []float64, cols int) (func([]float64) ([]float64, error), error) {
		m, err := model.Train(ctx, X, y, cols, cfg, nil, nil)
		if err != nil {
			return nil, err
		}
		return func(X []float64) ([]float64, error) { return m.PredictProba(X, cols) }, nil
	}
}

// logistic is a plain logistic regression: full-batch L-BFGS to
// convergence, a touch of L2.
var logistic = model.Config{Kind: model.KindLogistic, Optimizer: model.OptimizerLBFGS, Epochs: 500, L2: 1e-5, Seed: 7}

// candidate is one row of the comparison.
type candidate struct {
	name string
	fit  fitter
}

// outcome is a candidate's test figures.
type outcome struct {
	f1, auc, logLoss float64
	// lo and hi bound f1's 95% bootstrap interval over the test rows.
	lo, hi float64
	// threshold is the F1-best threshold on out-of-fold predictions over
	// the training split, f1Tuned the test F1 there.
	threshold, f1Tuned float64
}

// explain prints the comparisons that say why tuned trees reach the F1
// they reach on the example: the generator's own probabilities (nothing
// can be expected to beat them), a logistic regression (the generator's
// logit is linear in the features, so it is the true model's family), the
// tuned trees with class weights, early stopping and a tuned threshold,
// shallow (additive) trees; then the same rows relabelled from a logit
// with interactions, where trees should win.
func explain(ctx context.Context, w io.Writer, dir, specPath, params string, d gbtchurn.Data, tuned model.Config, cv int, seed int64) error {
	tc := tuned.Defaults()
	balanced, early := tc, tc
	balanced.ClassWeight = gbt.ClassWeightBalanced
	early.NEstimators, early.ValidationFraction, early.EarlyStoppingRounds = 2000, 0.1, 30
	cands := []candidate{
		{"logistic regression (lbfgs, l2 1e-5)", fitLinear(logistic)},
		{"trees, tuned: " + configText(tc), fitTrees(tc)},
		{"trees, tuned + class_weight balanced", fitTrees(balanced)},
		{"trees, tuned + early stopping (n_estimators 2000, validation_fraction 0.1, early_stopping_rounds 30)", fitTrees(early)},
		{"trees, depth 1 (additive, like the logit): n_estimators 500, learning_rate 0.1", fitTrees(treeConfig(500, 1, 0.1))},
		{"trees, depth 2: n_estimators 300, learning_rate 0.05", fitTrees(treeConfig(300, 2, 0.05))},
	}
	fmt.Fprintf(w, "\nWhy: the same split, trained in this process. The generator's labels are Bernoulli draws from a logit that is linear in "+
		"tenure, support calls, charges and status (internal/gen/churn.go); its own probability is the best any model can expect. "+
		"Tuned threshold: the F1-best threshold on %d-fold out-of-fold predictions over the training split.\n\n", cv)
	if err := compare(ctx, w, d, churnLogit, cands, cv, seed); err != nil {
		return err
	}

	// The same customers, labels drawn from a logit with interactions and
	// steps, which trees represent and a linear logit cannot.
	rows := relabel(d.Rows, seed)
	di, err := gbtchurn.PrepareRows(dir, "interactions.csv", specPath, params, rows)
	if err != nil {
		return fmt.Errorf("relabelled data: %w", err)
	}
	pos := 0
	for _, r := range rows {
		if r.Churned {
			pos++
		}
	}
	fmt.Fprintf(w, "\nThe same customers and features, churn drawn instead from a logit with interactions and steps (%.0f%% churn): "+
		"inactive with 2+ support calls, a short tenure on the basic plan, a bill far from the plan's price, a long tenure.\n\n",
		100*float64(pos)/float64(len(rows)))
	return compare(ctx, w, di, interactionLogit, cands[:2], cv, seed)
}

func treeConfig(n, depth int, lr float64) model.Config {
	return model.Config{Kind: model.KindGradientBoosting, NEstimators: n, MaxDepth: model.Depth(depth), LearningRate: lr, Seed: 7}
}

func compare(ctx context.Context, w io.Writer, d gbtchurn.Data, logit func(gen.ChurnRow) float64, cands []candidate, cv int, seed int64) error {
	fmt.Fprintln(w, "| model | test F1 at 0.5 | its 95% interval | tuned threshold | test F1 there | test ROC AUC | test log loss |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
	truth := func(idx []int) []float64 {
		p := make([]float64, len(idx))
		for i, r := range idx {
			p[i] = 1 / (1 + math.Exp(-logit(d.Rows[r])))
		}
		return p
	}
	// The generator's probability needs no fitting; its threshold is
	// chosen on the training rows as the models' are on theirs.
	p := truth(d.TestIdx)
	o, err := score(d.Test.Y, p, bestThreshold(d.Train.Y, truth(d.TrainIdx)), seed)
	if err != nil {
		return err
	}
	row := func(name string, o outcome) {
		fmt.Fprintf(w, "| %s | %.4f | %.4f–%.4f | %.2f | %.4f | %.4f | %.4f |\n", name, o.f1, o.lo, o.hi, o.threshold, o.f1Tuned, o.auc, o.logLoss)
	}
	row("the generator's own probability", o)
	for _, c := range cands {
		o, err := evaluate(ctx, d, c.fit, cv, seed)
		if err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		row(c.name, o)
	}
	return nil
}

// score is a model's test figures from its probabilities p, at 0.5 and
// at threshold, with a bootstrap interval for the F1 at 0.5.
func score(y, p []float64, threshold float64, seed int64) (outcome, error) {
	rep, err := metrics.Binary(y, p, 0.5)
	if err != nil {
		return outcome{}, err
	}
	o := outcome{f1: rep.F1, auc: rep.ROCAUC, logLoss: rep.LogLoss, threshold: threshold}
	if rep, err = metrics.Binary(y, p, threshold); err != nil {
		return o, err
	}
	o.f1Tuned = rep.F1
	o.lo, o.hi = f1Interval(y, p, seed)
	return o, nil
}

// f1Interval is the 95% percentile interval of the F1 at 0.5 over 1000
// resamples of the test rows: how far the test split alone moves a
// figure. Every model is resampled with the same rows.
func f1Interval(y, p []float64, seed int64) (lo, hi float64) {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x626f6f74)) // "boot"
	f1s := make([]float64, 1000)
	for b := range f1s {
		var tp, fp, fn float64
		for range y {
			i := rng.IntN(len(y))
			switch pred := p[i] > 0.5; {
			case pred && y[i] == 1:
				tp++
			case pred:
				fp++
			case y[i] == 1:
				fn++
			}
		}
		f1s[b] = 2 * tp / (2*tp + fp + fn)
	}
	slices.Sort(f1s)
	return f1s[24], f1s[974]
}

// evaluate fits on the training split and scores the test split, at 0.5
// and at the threshold chosen on out-of-fold predictions.
func evaluate(ctx context.Context, d gbtchurn.Data, fit fitter, cv int, seed int64) (outcome, error) {
	cols := d.Train.Cols()
	predict, err := fit(ctx, d.Train.X, d.Train.Y, cols)
	if err != nil {
		return outcome{}, err
	}
	proba, err := predict(d.Test.X)
	if err != nil {
		return outcome{}, err
	}
	folds, err := tune.StratifiedKFold(d.Train.Y, cv, seed)
	if err != nil {
		return outcome{}, err
	}
	oof := make([]float64, d.Train.Rows())
	for _, val := range folds {
		inVal := make([]bool, len(oof))
		for _, i := range val {
			inVal[i] = true
		}
		var X, y, vX []float64
		for i := range oof {
			if inVal[i] {
				vX = append(vX, d.Train.X[i*cols:(i+1)*cols]...)
				continue
			}
			X, y = append(X, d.Train.X[i*cols:(i+1)*cols]...), append(y, d.Train.Y[i])
		}
		pf, err := fit(ctx, X, y, cols)
		if err != nil {
			return outcome{}, err
		}
		p, err := pf(vX)
		if err != nil {
			return outcome{}, err
		}
		for k, i := range val {
			oof[i] = p[k]
		}
	}
	return score(d.Test.Y, proba, bestThreshold(d.Train.Y, oof), seed)
}

// bestThreshold is the threshold in 0.05..0.95 (steps of 0.01) with the
// highest F1 on (y, p); ties keep the lowest. Positive means p above the
// threshold, as package metrics counts it.
func bestThreshold(y, p []float64) float64 {
	best, bestF1 := 0.5, -1.0
	for t := 5; t <= 95; t++ {
		th := float64(t) / 100
		var tp, fp, fn float64
		for i := range y {
			switch pred := p[i] > th; {
			case pred && y[i] == 1:
				tp++
			case pred:
				fp++
			case y[i] == 1:
				fn++
			}
		}
		if f1 := 2 * tp / (2*tp + fp + fn); f1 > bestF1 {
			best, bestF1 = th, f1
		}
	}
	return best
}

// churnLogit is internal/gen's churn logit (ChurnRows), restated with its
// constants so the bench can score the generator's own probability.
func churnLogit(r gen.ChurnRow) float64 {
	l := -3.6 - 0.18*float64(r.TenureMonths) + 2.2*float64(r.SupportCalls) + 0.1*(r.MonthlyCharges-60)
	if r.Status == "inactive" {
		l += 8
	}
	return l
}

// planPrice is the generator's base monthly charge per plan.
var planPrice = map[string]float64{"basic": 30, "standard": 60, "premium": 95}

// interactionLogit has no linear part: churn comes from combinations
// and steps. The intercept keeps every sum off 0, so no probability sits
// exactly on the 0.5 threshold.
func interactionLogit(r gen.ChurnRow) float64 {
	l := -2.4
	if r.Status == "inactive" && r.SupportCalls >= 2 {
		l += 4.5
	}
	if r.Plan == "basic" && r.TenureMonths < 12 {
		l += 3
	}
	if math.Abs(r.MonthlyCharges-planPrice[r.Plan]) > 10 {
		l += 2.5
	}
	if r.TenureMonths > 36 {
		l -= 2
	}
	return l
}

// relabel returns the rows with churn drawn from interactionLogit.
func relabel(rows []gen.ChurnRow, seed int64) []gen.ChurnRow {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x696e74)) // "int"
	out := slices.Clone(rows)
	for i := range out {
		out[i].Churned = rng.Float64() < 1/(1+math.Exp(-interactionLogit(out[i])))
	}
	return out
}
