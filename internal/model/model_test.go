package model

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorgonia.org/gorgonia"
)

func TestPredictProbaHandComputed(t *testing.T) {
	m := newLogistic(2)
	copy(m.Weights(), []float64{1, -2})
	m.Param(ParamBias).Data[0] = 0.5
	// row 0: z = 0.5 + 1·1 − 2·1 = −0.5 → σ = 1/(1+e^0.5) = 0.3775406687981454
	// row 1: z = 0.5                   → σ = 1/(1+e^−0.5) = 0.6224593312018546
	// row 2: z = 0.5 + 800             → σ = 1 (must not overflow)
	// row 3: z = 0.5 − 1600            → σ ≈ 0 (must not be NaN)
	p, err := m.PredictProba([]float64{1, 1, 0, 0, 800, 0, 0, 800}, 2)
	require.NoError(t, err)
	assert.InDelta(t, 0.3775406687981454, p[0], 1e-15)
	assert.InDelta(t, 0.6224593312018546, p[1], 1e-15)
	assert.Equal(t, 1.0, p[2])
	assert.InDelta(t, 0.0, p[3], 1e-300)
}

func TestPredictProbaRejectsWrongShape(t *testing.T) {
	m := newLogistic(3)
	_, err := m.PredictProba(make([]float64, 6), 2)
	assert.ErrorContains(t, err, "2 columns; the model was trained on 3 features")
	_, err = m.PredictProba(make([]float64, 7), 3)
	assert.ErrorContains(t, err, "not a multiple of 3")
	m.Params = m.Params[:1]
	_, err = m.PredictProba(make([]float64, 3), 3)
	assert.ErrorContains(t, err, `"bias" is missing`)
}

// PredictProba is what serving uses; it must agree with the graph that
// training optimised.
func TestPredictProbaEqualsGorgoniaForwardPass(t *testing.T) {
	const rows, cols = 64, 6
	X, y, _ := synthetic(rows, cols, 3)
	m, err := Train(t.Context(), X, y, cols, Config{Epochs: 5, BatchSize: 16, Seed: 9}, nil, nil)
	require.NoError(t, err)
	require.NotZero(t, m.Bias())

	lg, err := newLogisticForward(m, rows, cols, nil)
	require.NoError(t, err)
	proba, err := gorgonia.Sigmoid(lg.logits)
	require.NoError(t, err)
	copy(lg.xData, X)
	vm := gorgonia.NewTapeMachine(lg.g)
	defer vm.Close()
	require.NoError(t, vm.RunAll())
	want := proba.Value().Data().([]float64)

	got, err := m.PredictProba(X, cols)
	require.NoError(t, err)
	assert.Less(t, maxAbsDiff(want, got), 1e-9)
}

func TestModelJSONRoundTripPredictsTheSame(t *testing.T) {
	X, y, _ := synthetic(200, 4, 5)
	m, err := Train(t.Context(), X, y, 4, Config{Epochs: 3, Seed: 1}, nil, nil)
	require.NoError(t, err)
	b, err := json.Marshal(m)
	require.NoError(t, err)
	var back Model
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, *m, back)
	assert.Equal(t, 3, back.Epoch)
	p1, _ := m.PredictProba(X, 4)
	p2, err := back.PredictProba(X, 4)
	require.NoError(t, err)
	assert.Equal(t, p1, p2)
}
