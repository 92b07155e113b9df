package bundle

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/features"
	"github.com/mlpipe/mlpipe/internal/frame"
	"github.com/mlpipe/mlpipe/internal/model"
)

// tiny fits a one-feature transform (x standardised) and a hand-set
// logistic model p = sigmoid(2·z), so predictions are known in advance.
func tiny(t *testing.T) *Bundle {
	t.Helper()
	f, err := frame.New(frame.FloatColumn("x", []float64{1, 2, 3, 4}), frame.StringColumn("y", []string{"no", "no", "yes", "yes"}))
	require.NoError(t, err)
	tr, err := features.Fit(f, features.Spec{Target: "y", Positive: "yes", Columns: []features.ColumnSpec{{Column: "x", Scale: "standard"}}})
	require.NoError(t, err)
	m := &model.Model{Kind: model.KindLogistic, NumFeatures: 1, Params: []model.Param{
		{Name: model.ParamWeights, Shape: []int{1}, Data: []float64{2}},
		{Name: model.ParamBias, Shape: []int{}, Data: []float64{0}},
	}}
	return &Bundle{Format: Format, Name: "tiny", Labels: [2]string{"no", "yes"}, Threshold: 0.5, Transform: tr, Model: m}
}

func TestDecodeRoundTripPredictsTheSame(t *testing.T) {
	b := tiny(t)
	raw, err := json.Marshal(b)
	require.NoError(t, err)
	got, err := Decode(raw)
	require.NoError(t, err)
	rows := []map[string]any{{"x": 1.0}, {"x": 2.5}, {"x": 4.0}}
	want, err := b.Predict(rows)
	require.NoError(t, err)
	have, err := got.Predict(rows)
	require.NoError(t, err)
	assert.Equal(t, want, have)
}

func TestPredictAppliesTransformThenModel(t *testing.T) {
	b := tiny(t)
	// mean 2.5, population std sqrt(1.25): x=4 → z=1.3416; p = sigmoid(2.6833) = 0.93602.
	p, err := b.Predict([]map[string]any{{"x": 4.0}, {"x": 2.5}, {"x": 1.0}})
	require.NoError(t, err)
	assert.InDelta(t, 0.93602, p[0].Probability, 1e-4)
	assert.Equal(t, "yes", p[0].Label)
	assert.InDelta(t, 0.5, p[1].Probability, 1e-12)
	assert.Equal(t, "no", p[1].Label, "exactly the threshold is not positive, as in metrics.Binary")
	assert.Equal(t, "no", p[2].Label)
}

func TestPredictNamesTheBadRow(t *testing.T) {
	_, err := tiny(t).Predict([]map[string]any{{"x": 1.0}, {"x": "many"}})
	assert.ErrorContains(t, err, "rows[1].x")
}

func TestDecodeRefusesWhatItCannotServe(t *testing.T) {
	b := tiny(t)
	wrongFormat := *b
	wrongFormat.Format = "pickle"
	raw, _ := json.Marshal(wrongFormat)
	_, err := Decode(raw)
	assert.ErrorContains(t, err, `format "pickle", want "mlpipe.model.v1"`)

	mismatch := *b
	m := *b.Model
	m.NumFeatures = 3
	mismatch.Model = &m
	raw, _ = json.Marshal(mismatch)
	_, err = Decode(raw)
	assert.ErrorContains(t, err, "transform gives 1 features, model takes 3")

	_, err = Decode([]byte(`{"format": "mlpipe.model.v1"}`))
	assert.ErrorContains(t, err, "transform or model missing")
}
