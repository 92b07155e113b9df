package serving_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/artifact"
	mlbundle "github.com/mlpipe/mlpipe/internal/bundle"
	"github.com/mlpipe/mlpipe/internal/features"
	"github.com/mlpipe/mlpipe/internal/frame"
	"github.com/mlpipe/mlpipe/internal/model"
	"github.com/mlpipe/mlpipe/internal/registry"
	"github.com/mlpipe/mlpipe/internal/routing"
	"github.com/mlpipe/mlpipe/internal/serving"
)

var planClasses = []string{"basic", "plus", "premium"}

// planBundle is a real 3-class model bundle on one feature x (not scaled):
// softmax of x·[-2, 0, 2] + [0, plus, 0], so x = -2 is basic, 0 plus and 2
// premium. plus tilts the middle class.
func planBundle(t *testing.T, plus float64) *mlbundle.Bundle {
	t.Helper()
	f, err := frame.New(frame.FloatColumn("x", []float64{-2, 0, 2}), frame.StringColumn("plan", planClasses))
	require.NoError(t, err)
	tr, err := features.Fit(f, features.Spec{Target: "plan", Classes: planClasses, Columns: []features.ColumnSpec{{Column: "x", Scale: "none"}}})
	require.NoError(t, err)
	m := &model.Model{Kind: model.KindLogistic, NumFeatures: 1, Classes: 3, Params: []model.Param{
		{Name: model.ParamWeights, Shape: []int{1, 3}, Data: []float64{-2, 0, 2}},
		{Name: model.ParamBias, Shape: []int{3}, Data: []float64{0, plus, 0}},
	}}
	return &mlbundle.Bundle{Format: mlbundle.Format, Name: "plans", Transform: tr, Model: m}
}

// newPlansFixture serves plans v1 (plus 1) as production, with v2 (plus
// -3, which never predicts plus) registered, through the real bundle loader.
func newPlansFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	reg, err := registry.Open(ctx, t.TempDir())
	require.NoError(t, err)
	for i, plus := range []float64{1, -3} {
		data, err := json.Marshal(planBundle(t, plus))
		require.NoError(t, err)
		ref, err := artifact.PutBytes(ctx, reg.Store(), fmt.Sprintf("models/plans/v%d.json", i+1), data, "application/json")
		require.NoError(t, err)
		_, err = reg.Register(ctx, registry.Version{Name: "plans", Model: ref})
		require.NoError(t, err)
	}
	require.NoError(t, reg.Promote(ctx, "plans", 1))
	load := func(ctx context.Context, v registry.Version) (serving.Predictor, error) {
		data, err := artifact.ReadAll(ctx, v.Model)
		if err != nil {
			return nil, err
		}
		return mlbundle.Decode(data)
	}
	f := &fixture{reg: reg, gw: serving.New(reg, load, serving.Options{AdminToken: adminToken})}
	f.srv = newServer(t, f.gw)
	require.NoError(t, f.gw.Reload(ctx))
	return f
}

const threePlans = `{"instances": [{"x": -2}, {"x": 0}, {"x": 2}]}`

func TestMultiClassPredictNamesTheClassAndEveryProbability(t *testing.T) {
	f := newPlansFixture(t)
	r := f.do(t, "POST", "/v1/models/plans:predict", threePlans)
	require.Equal(t, http.StatusOK, r.code, r.body)
	preds := r.decoded.Predictions
	require.Len(t, preds, 3)

	// What the gateway answers is the model's forward pass on the same rows.
	want, err := planBundle(t, 1).PredictClassProba([]map[string]any{{"x": -2.0}, {"x": 0.0}, {"x": 2.0}})
	require.NoError(t, err)
	for i, p := range preds {
		assert.Equal(t, planClasses[i], p.Label, "row %d", i)
		require.Len(t, p.Probabilities, 3)
		var sum float64
		for k, c := range planClasses {
			assert.InDelta(t, want[i][k], p.Probabilities[c], 1e-12, "row %d class %s", i, c)
			sum += p.Probabilities[c]
		}
		assert.InDelta(t, 1, sum, 1e-12)
		assert.Equal(t, p.Probabilities[p.Label], p.Probability, "probability is the predicted label's")
	}

	// A binary model's answer keeps its shape: no probabilities key.
	bf := newFixture(t)
	require.NoError(t, bf.gw.Reload(context.Background()))
	b := bf.do(t, "POST", "/v1/models/churn:predict", twoRows)
	require.Equal(t, http.StatusOK, b.code, b.body)
	assert.NotContains(t, b.body, "probabilities")
}

func TestMultiClassInferReturnsTheProbabilityMatrix(t *testing.T) {
	f := newPlansFixture(t)
	r := f.do(t, "POST", "/v2/models/plans/infer", `{"inputs": [{"name": "x", "shape": [3], "datatype": "FP64", "data": [-2, 0, 2]}]}`)
	require.Equal(t, http.StatusOK, r.code, r.body)
	var resp struct {
		Outputs []struct {
			Name       string         `json:"name"`
			Shape      []int          `json:"shape"`
			Parameters map[string]any `json:"parameters"`
			Data       []any          `json:"data"`
		} `json:"outputs"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.body), &resp))
	require.Len(t, resp.Outputs, 3)
	assert.Equal(t, []any{"basic", "plus", "premium"}, resp.Outputs[0].Data)
	m := resp.Outputs[2]
	assert.Equal(t, "probabilities", m.Name)
	assert.Equal(t, []int{3, 3}, m.Shape)
	assert.Equal(t, []any{"basic", "plus", "premium"}, m.Parameters["classes"])
	want, err := planBundle(t, 1).PredictClassProba([]map[string]any{{"x": -2.0}, {"x": 0.0}, {"x": 2.0}})
	require.NoError(t, err)
	require.Len(t, m.Data, 9)
	for i := range 3 {
		for k := range 3 {
			assert.InDelta(t, want[i][k], m.Data[i*3+k].(float64), 1e-12, "row %d class %d, row-major", i, k)
		}
		assert.Equal(t, resp.Outputs[1].Data[i], m.Data[i*3+i], "the probability output is the predicted (diagonal) class's here")
	}

	meta := f.do(t, "GET", "/v2/models/plans", "")
	require.Equal(t, http.StatusOK, meta.code, meta.body)
	assert.Contains(t, meta.body, `"name":"probabilities"`)
	assert.Contains(t, meta.body, `"classes":["basic","plus","premium"]`)
}

func TestMultiClassFeedbackScoresAccuracyAndMacroF1PerVariant(t *testing.T) {
	f := newPlansFixture(t)
	r := f.admin(t, "PUT", "/admin/models/plans/routing", `{"mode": "canary", "candidate": 2, "weight": 50}`)
	require.Equal(t, http.StatusOK, r.code, r.body)
	// Route keys until each variant has answered one request: production
	// (v1) as p2, the canary (v2, never "plus") as c2.
	ids := map[string]string{}
	served := map[string]int{}
	for i := 0; len(ids) < 2; i++ {
		require.Less(t, i, 200, "half the keys go to each variant")
		id := fmt.Sprintf("r%d", i)
		r := f.do(t, "POST", "/v1/models/plans:predict", threePlans, "X-Request-Id", id, "X-Route-Key", id)
		require.Equal(t, http.StatusOK, r.code, r.body)
		served[r.decoded.Variant]++
		if _, ok := ids[r.decoded.Variant]; !ok {
			ids[r.decoded.Variant] = id
		}
	}
	p2, c2 := ids[routing.VariantProduction], ids[routing.VariantCanary]

	// p2 (production: basic, plus, premium) and c2 (canary: basic, ?, premium)
	// are in the current epoch.
	r = f.do(t, "POST", "/v1/models/plans/feedback", fmt.Sprintf(`[
		{"request_id": %[1]q, "row": 0, "label": "basic"},
		{"request_id": %[1]q, "row": 1, "label": "premium"},
		{"request_id": %[1]q, "row": 2, "label": "premium"},
		{"request_id": %[2]q, "row": 0, "label": "basic"},
		{"request_id": %[2]q, "row": 1, "label": "plus"},
		{"request_id": %[2]q, "row": 2, "label": "gold"}
	]`, p2, c2))
	require.Equal(t, http.StatusOK, r.code, r.body)
	assert.JSONEq(t, fmt.Sprintf(`{"joined": 5, "unknown": 0, "duplicate": 0, "invalid": 1,
		"errors": ["feedback 5: request %s row 2: label \"gold\" is not a class of version 2 (basic, plus, premium)"]}`, c2), r.body,
		"a class the model does not know is refused, not counted as a miss")

	r = f.admin(t, "GET", "/admin/models/plans/stats", "")
	require.Equal(t, http.StatusOK, r.code, r.body)
	var st routing.Stats
	require.NoError(t, json.Unmarshal([]byte(r.body), &st))

	prod := st.Variant(routing.VariantProduction)
	assert.Equal(t, planClasses, prod.Classes)
	n := int64(served[routing.VariantProduction])
	assert.Equal(t, []routing.ClassCounts{{Predicted: n, TP: 1}, {Predicted: n, FP: 1}, {Predicted: n, TP: 1, FN: 1}}, prod.PerClass)
	assert.InDelta(t, 2.0/3, prod.Accuracy(), 1e-12)
	// F1: basic 1, plus 0, premium 2/3: macro 5/9.
	assert.InDelta(t, 5.0/9, prod.F1(), 1e-12)
	assert.Zero(t, prod.TP+prod.FP+prod.FN+prod.TN, "no binary counts for a multi-class model")
	assert.Zero(t, prod.Positives, "no class is the positive one")

	canary := st.Variant(routing.VariantCanary)
	// v2 answers basic, basic (x=0 with plus tilted down ties basic and
	// premium; argmax takes the first), premium; feedback basic, plus.
	assert.Equal(t, int64(2*served[routing.VariantCanary]), canary.PerClass[0].Predicted)
	assert.Equal(t, int64(2), canary.Feedback)
	assert.InDelta(t, 0.5, canary.Accuracy(), 1e-12)
	// basic: TP 1, FP 1 → 2/3; plus: FN 1 → 0; premium: none, left out.
	assert.InDelta(t, 1.0/3, canary.F1(), 1e-12)

	m := f.do(t, "GET", "/metrics", "")
	require.Equal(t, http.StatusOK, m.code)
	assert.Contains(t, m.body, `mlpipe_feedback_total{model="plans",variant="production",version="1"} 3`+"\n")
	assert.Contains(t, m.body, `mlpipe_feedback_correct_total{model="plans",variant="production",version="1"} 2`+"\n")
	assert.Contains(t, m.body, fmt.Sprintf(`mlpipe_predict_rows_total{model="plans",variant="canary",version="2"} %d`+"\n", 3*served[routing.VariantCanary]))
}
