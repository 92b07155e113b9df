//go:build cgo && !noxgboost

package gbt

import (
	"fmt"
	"strconv"
	"strings"
)

// sampling reports whether XGBoost draws random numbers for the trees.
func (p Params) sampling() bool { return p.Subsample < 1 || p.ColsampleByTree < 1 }

// paramsDiff names the parameters that differ between a checkpoint's and
// this run's, ignoring n_estimators (a resume may train further) and
// nthread (how, not what); "" when none does.
func paramsDiff(was, now Params) string {
	a, b := was.fields(), now.fields()
	var diffs []string
	for i := range b {
		if name := b[i][0]; name != "n_estimators" && name != "nthread" && a[i][1] != b[i][1] {
			diffs = append(diffs, fmt.Sprintf("%s %s, now %s", name, a[i][1], b[i][1]))
		}
	}
	return strings.Join(diffs, "; ")
}

// fields lists every parameter by its spec name with its value as text.
func (p Params) fields() [][2]string {
	depth := "null"
	if p.MaxDepth != nil {
		depth = strconv.Itoa(*p.MaxDepth)
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	return [][2]string{
		{"classes", strconv.Itoa(p.Classes)},
		{"n_estimators", strconv.Itoa(p.NEstimators)},
		{"max_depth", depth},
		{"learning_rate", f(p.LearningRate)},
		{"min_child_weight", f(p.MinChildWeight)},
		{"subsample", f(p.Subsample)},
		{"colsample_bytree", f(p.ColsampleByTree)},
		{"reg_alpha", f(p.RegAlpha)},
		{"reg_lambda", f(p.RegLambda)},
		{"max_bin", strconv.Itoa(p.MaxBin)},
		{"validation_fraction", f(p.ValidationFraction)},
		{"early_stopping_rounds", strconv.Itoa(p.EarlyStoppingRounds)},
		{"class_weight", strconv.Quote(p.ClassWeight)},
		{"seed", strconv.FormatInt(p.Seed, 10)},
		{"nthread", strconv.Itoa(p.NThread)},
	}
}
