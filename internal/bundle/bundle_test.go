package bundle

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/features"
	"github.com/mlpipe/mlpipe/internal/frame"
	"github.com/mlpipe/mlpipe/internal/model"
	"github.com/mlpipe/mlpipe/internal/serving"
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

// A bundle written before classes existed (binary, labels and threshold
// only) still loads and predicts the same.
func TestDecodeReadsBundlesWrittenBeforeClasses(t *testing.T) {
	b := tiny(t)
	raw, err := json.Marshal(b)
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(raw, &doc))
	assert.Equal(t, []any{"no", "yes"}, doc["classes"], "new bundles write the class list")
	delete(doc, "classes")
	old, err := json.Marshal(doc)
	require.NoError(t, err)

	got, err := Decode(old)
	require.NoError(t, err)
	assert.Equal(t, []string{"no", "yes"}, got.Classes)
	assert.False(t, got.MultiClass())
	rows := []map[string]any{{"x": 1.0}, {"x": 4.0}}
	want, err := b.Predict(rows)
	require.NoError(t, err)
	have, err := got.Predict(rows)
	require.NoError(t, err)
	assert.Equal(t, want, have)
	assert.Nil(t, have[0].Probabilities, "binary predictions keep their shape")
}

// tinyPlans is a 3-class bundle on one standardised feature: softmax of
// z·[-3, 0, 3] + [0, 1, 0], so low x is "basic", middle "plus", high
// "premium". Its classes come from the transform, as TrainModel builds it.
func tinyPlans(t *testing.T) *Bundle {
	t.Helper()
	f, err := frame.New(frame.FloatColumn("x", []float64{1, 2, 3, 4, 5, 6}),
		frame.StringColumn("plan", []string{"basic", "basic", "plus", "plus", "premium", "premium"}))
	require.NoError(t, err)
	tr, err := features.Fit(f, features.Spec{Target: "plan", NumClasses: 3, Columns: []features.ColumnSpec{{Column: "x", Scale: "standard"}}})
	require.NoError(t, err)
	m := &model.Model{Kind: model.KindLogistic, NumFeatures: 1, Classes: 3, Params: []model.Param{
		{Name: model.ParamWeights, Shape: []int{1, 3}, Data: []float64{-3, 0, 3}},
		{Name: model.ParamBias, Shape: []int{3}, Data: []float64{0, 1, 0}},
	}}
	return &Bundle{Format: Format, Name: "plans", Threshold: 0.5, Transform: tr, Model: m}
}

func TestMultiClassBundlePredictsTheMostProbableClass(t *testing.T) {
	b := tinyPlans(t)
	assert.True(t, b.MultiClass())
	assert.Equal(t, []string{"basic", "plus", "premium"}, b.ClassList())
	rows := []map[string]any{{"x": 1.0}, {"x": 3.5}, {"x": 6.0}}
	preds, err := b.Predict(rows)
	require.NoError(t, err)
	X, err := b.Transform.ApplyRows(rows)
	require.NoError(t, err)
	want, err := b.Model.PredictClassProba(X, 1)
	require.NoError(t, err)
	for i, p := range preds {
		assert.Equal(t, b.ClassList()[i], p.Label)
		assert.Equal(t, want[i][i], p.Probability, "the predicted class's probability")
		for k, c := range b.ClassList() {
			assert.Equal(t, want[i][k], p.Probabilities[c])
		}
	}
	_, err = b.PredictProba(rows)
	assert.ErrorContains(t, err, "use PredictClassProba", "P(positive) means nothing for three classes")
}

func TestMultiClassBundleRoundTripsWithItsClasses(t *testing.T) {
	b := tinyPlans(t)
	raw, err := json.Marshal(b)
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(raw, &doc))
	assert.Equal(t, []any{"basic", "plus", "premium"}, doc["classes"])
	assert.NotContains(t, doc, "labels", "a multi-class bundle has no negative/positive pair")
	assert.NotContains(t, doc, "threshold")

	got, err := Decode(raw)
	require.NoError(t, err)
	assert.Equal(t, []string{"basic", "plus", "premium"}, got.Classes)
	rows := []map[string]any{{"x": 2.0}, {"x": 4.5}}
	want, err := b.Predict(rows)
	require.NoError(t, err)
	have, err := got.Predict(rows)
	require.NoError(t, err)
	assert.Equal(t, want, have)
}

func TestDecodeRefusesClassesThatDoNotFitTheModel(t *testing.T) {
	b := tinyPlans(t)
	b.Classes = []string{"basic", "plus", "premium", "gold"}
	raw, err := json.Marshal(b)
	require.NoError(t, err)
	_, err = Decode(raw)
	assert.ErrorContains(t, err, "the model has 3 class outputs but classes lists 4 (basic, plus, premium, gold)")

	b.Classes = []string{"plus", "basic", "premium"}
	raw, err = json.Marshal(b)
	require.NoError(t, err)
	_, err = Decode(raw)
	assert.ErrorContains(t, err, "classes (plus, basic, premium) differ from the transform's (basic, plus, premium)")

	bin := tiny(t)
	bin.Classes = []string{"a", "b", "c"}
	raw, err = json.Marshal(bin)
	require.NoError(t, err)
	_, err = Decode(raw)
	assert.ErrorContains(t, err, "the model is binary but classes lists 3")
}

// planAndX is a bundle over a one-hot plan and numeric x and z scaled by
// hand (x/0.5, z/1), weighted 2 and −2, so that huge values of both meet
// in the model as Inf − Inf.
func planAndX(t *testing.T) *Bundle {
	t.Helper()
	f, err := frame.New(frame.StringColumn("plan", []string{"a", "b", "a", "b"}), frame.FloatColumn("x", []float64{1, 2, 3, 4}),
		frame.FloatColumn("z", []float64{1, 2, 3, 4}), frame.StringColumn("y", []string{"no", "no", "yes", "yes"}))
	require.NoError(t, err)
	tr, err := features.Fit(f, features.Spec{Target: "y", Positive: "yes", Columns: []features.ColumnSpec{
		{Column: "plan", Encode: "onehot"}, {Column: "x", Scale: "standard"}, {Column: "z", Scale: "standard"}}})
	require.NoError(t, err)
	tr.Columns[1].Offset, tr.Columns[1].Divisor = 0, 0.5
	tr.Columns[2].Offset, tr.Columns[2].Divisor = 0, 1
	m := &model.Model{Kind: model.KindLogistic, NumFeatures: 4, Params: []model.Param{
		{Name: model.ParamWeights, Shape: []int{4}, Data: []float64{0, 0, 2, -2}},
		{Name: model.ParamBias, Shape: []int{}, Data: []float64{0}},
	}}
	return &Bundle{Format: Format, Name: "plan-x", Labels: [2]string{"no", "yes"}, Threshold: 0.5, Transform: tr, Model: m}
}

func TestInputColumnsNameWhatTheTransformReads(t *testing.T) {
	assert.Equal(t, []serving.Input{{Name: "plan", Type: serving.InputString}, {Name: "x", Type: serving.InputNumber}, {Name: "z", Type: serving.InputNumber}},
		planAndX(t).InputColumns())
}

// A number that overflows once scaled is refused with its row and column,
// not answered with a confident label.
func TestPredictRefusesAValueThatIsNotFiniteOnceScaled(t *testing.T) {
	b := planAndX(t)
	_, err := b.Predict([]map[string]any{{"plan": "a", "x": 1.0, "z": 1.0}, {"plan": "b", "x": 1e308, "z": 1.0}})
	var re *serving.RowError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, 1, re.Row)
	assert.Equal(t, "x", re.Column)
	assert.Contains(t, re.Reason, "1e+308 is not finite once scaled as in training ((value − 0) / 0.5)")

	// Finite features whose terms cancel to NaN in the model are refused too.
	_, err = b.Predict([]map[string]any{{"plan": "a", "x": 5e307, "z": -1.7e308}, {"plan": "a", "x": 1.7e308 / 2, "z": 1.7e308}})
	require.ErrorAs(t, err, &re)
	assert.Equal(t, 1, re.Row)
	assert.Contains(t, re.Reason, "the model's output is not a number")

	p, err := b.Predict([]map[string]any{{"plan": "a", "x": 1.0, "z": 2.0}})
	require.NoError(t, err)
	assert.Len(t, p, 1)
}
