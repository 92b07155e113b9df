package perfest

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/mlpipe/mlpipe/internal/metrics"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// golden is testdata/golden.json, written by testdata/golden.py with
// numpy, scipy and scikit-learn.
type golden struct {
	Labels       []bool    `json:"labels"`
	Proba        []float64 `json:"proba"`
	Accuracy     float64   `json:"accuracy"`
	AccuracyLow  float64   `json:"accuracy_low"`
	AccuracyHigh float64   `json:"accuracy_high"`
	F1           float64   `json:"f1"`
	AUC          float64   `json:"auc"`
	AUCSklearn   float64   `json:"auc_sklearn"`
	AUCSE        float64   `json:"auc_se"`
	Calibration  struct {
		Proba      []float64 `json:"proba"`
		Labels     []bool    `json:"labels"`
		Grid       []float64 `json:"grid"`
		Calibrated []float64 `json:"calibrated"`
	} `json:"calibration"`
}

func loadGolden(t *testing.T) golden {
	t.Helper()
	b, err := os.ReadFile("testdata/golden.json")
	require.NoError(t, err)
	var g golden
	require.NoError(t, json.Unmarshal(b, &g))
	require.NotEmpty(t, g.Labels)
	return g
}

func TestBinaryMatchesScipyAndScikitLearn(t *testing.T) {
	g := loadGolden(t)
	r, err := Binary(g.Labels, g.Proba, 0.5)
	require.NoError(t, err)
	assert.InDelta(t, g.Accuracy, r.Accuracy.Value, 1e-12)
	assert.InDelta(t, g.AccuracyLow, r.Accuracy.Low, 1e-12, "Wilson low")
	assert.InDelta(t, g.AccuracyHigh, r.Accuracy.High, 1e-12, "Wilson high")
	assert.Equal(t, "wilson", r.Accuracy.Method)
	assert.InDelta(t, g.F1, r.F1.Value, 1e-12)
	require.NotNil(t, r.ROCAUC)
	assert.InDelta(t, g.AUCSklearn, r.ROCAUC.Value, 1e-12)
	// DeLong's standard error, from its pairwise definition.
	assert.InDelta(t, g.AUC-1.959963984540054*g.AUCSE, r.ROCAUC.Low, 1e-12)
	assert.InDelta(t, g.AUC+1.959963984540054*g.AUCSE, r.ROCAUC.High, 1e-12)
	assert.Equal(t, "delong", r.ROCAUC.Method)

	// The project's own evaluation agrees on the point values.
	y := make([]float64, len(g.Labels))
	for i, l := range g.Labels {
		if l {
			y[i] = 1
		}
	}
	rep, err := metrics.Binary(y, g.Proba, 0.5)
	require.NoError(t, err)
	assert.InDelta(t, rep.F1, r.F1.Value, 1e-12)
	assert.InDelta(t, rep.ROCAUC, r.ROCAUC.Value, 1e-12)
}

func TestIsotonicMatchesScikitLearn(t *testing.T) {
	g := loadGolden(t).Calibration
	cal, err := FitIsotonic(g.Proba, g.Labels)
	require.NoError(t, err)
	for i, x := range g.Grid {
		assert.InDelta(t, g.Calibrated[i], cal.Apply(x), 1e-12, "calibrated(%v)", x)
	}
}
