package perfest

import (
	"math"
	"testing"
	"time"

	"github.com/mlpipe/mlpipe/internal/gen"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"
)

// The example's data: churn rows from internal/gen, a logistic regression
// fitted on a training set, its test split as the calibration reference,
// and a production window of new customers whose labels arrive later.

var churnNow = time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)

// churnFeatures are the model's inputs: intercept, inactive, tenure,
// support calls, charges, age (mean-imputed), roughly standardised.
func churnFeatures(r gen.ChurnRow) []float64 {
	inactive := 0.0
	if r.Status == "inactive" {
		inactive = 1
	}
	age := 45.0
	if r.Age != nil {
		age = *r.Age
	}
	return []float64{1, inactive, float64(r.TenureMonths-24) / 20, (float64(r.SupportCalls) - 1.5) / 1.2,
		(r.MonthlyCharges - 60) / 25, (age - 45) / 15}
}

// fitChurnLogistic fits a logistic regression by Newton's method.
func fitChurnLogistic(t *testing.T, rows []gen.ChurnRow) []float64 {
	t.Helper()
	d := len(churnFeatures(rows[0]))
	w := make([]float64, d)
	for range 25 {
		grad := mat.NewVecDense(d, nil)
		hess := mat.NewSymDense(d, nil)
		for _, r := range rows {
			x := churnFeatures(r)
			p := sigmoid(dot(w, x))
			y := 0.0
			if r.Churned {
				y = 1
			}
			for i := range d {
				grad.SetVec(i, grad.AtVec(i)+(y-p)*x[i])
				for j := i; j < d; j++ {
					hess.SetSym(i, j, hess.At(i, j)+p*(1-p)*x[i]*x[j])
				}
			}
		}
		for i := range d {
			hess.SetSym(i, i, hess.At(i, i)+1e-6) // keeps the solve defined
		}
		var step mat.VecDense
		require.NoError(t, step.SolveVec(hess, grad))
		for i := range d {
			w[i] += step.AtVec(i)
		}
	}
	return w
}

func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

func dot(w, x []float64) float64 {
	s := 0.0
	for i := range w {
		s += w[i] * x[i]
	}
	return s
}

// churnScores returns the model's probabilities, its logits scaled by
// temper (1: as fitted; below 1 underconfident, above overconfident), and
// the labels.
func churnScores(w []float64, rows []gen.ChurnRow, temper float64) ([]float64, []bool) {
	p := make([]float64, len(rows))
	y := make([]bool, len(rows))
	for i, r := range rows {
		p[i] = sigmoid(temper * dot(w, churnFeatures(r)))
		y[i] = r.Churned
	}
	return p, y
}

func TestCBPEMatchesRealisedF1OnChurn(t *testing.T) {
	w := fitChurnLogistic(t, gen.ChurnRows(5000, 1, churnNow))
	refRows := gen.ChurnRows(2000, 2, churnNow)
	window := gen.ChurnRows(5000, 3, churnNow)
	// A covariate-shifted window: every inactive customer, a third of the
	// active ones. P(churn | customer) is unchanged, which is CBPE's
	// premise; realised F1 moves and the estimate must follow it.
	var shifted []gen.ChurnRow
	for i, r := range window {
		if r.Status == "inactive" || i%3 == 0 {
			shifted = append(shifted, r)
		}
	}

	for _, c := range []struct {
		name   string
		temper float64
		window []gen.ChurnRow
	}{
		{"as fitted", 1, window},
		{"covariate shift", 1, shifted},
		{"underconfident model", 0.4, window},
		{"overconfident model", 3, window},
	} {
		t.Run(c.name, func(t *testing.T) {
			refP, refY := churnScores(w, refRows, c.temper)
			cal, err := FitIsotonic(refP, refY)
			require.NoError(t, err)
			p, y := churnScores(w, c.window, c.temper)
			real, err := Binary(y, p, 0.5)
			require.NoError(t, err)
			est, err := CBPE(p, 0.5, cal)
			require.NoError(t, err)
			t.Logf("realised F1 %v accuracy %v; estimated F1 %v accuracy %v", real.F1, real.Accuracy, est.F1, est.Accuracy)
			assert.True(t, est.Calibrated)
			assert.InDelta(t, real.F1.Value, est.F1.Value, 0.03, "estimated F1 %v, realised %.3f", est.F1, real.F1.Value)
			assert.InDelta(t, real.Accuracy.Value, est.Accuracy.Value, 0.03)
			assert.Greater(t, est.F1.High, est.F1.Low, "the estimate has an interval")
		})
	}
}

// Without calibration the estimate is only as good as the probabilities:
// an underconfident model's raw CBPE misses realised F1 by far more than
// 0.03, which the isotonic calibration above repairs.
func TestCBPEWithoutCalibrationAssumesIt(t *testing.T) {
	w := fitChurnLogistic(t, gen.ChurnRows(5000, 1, churnNow))
	p, y := churnScores(w, gen.ChurnRows(5000, 3, churnNow), 0.4)
	real, err := Binary(y, p, 0.5)
	require.NoError(t, err)
	raw, err := CBPE(p, 0.5, nil)
	require.NoError(t, err)
	assert.False(t, raw.Calibrated)
	assert.Contains(t, raw.Note, "assumes the model's probabilities are calibrated")
	assert.Greater(t, math.Abs(raw.F1.Value-real.F1.Value), 0.03, "raw %v, realised %v", raw.F1, real.F1)
}
