package activities_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/mlpipe/mlpipe/activities"
	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/features"
	"github.com/mlpipe/mlpipe/internal/gen"
	"github.com/mlpipe/mlpipe/internal/model"
	"github.com/mlpipe/mlpipe/internal/registry"
	"github.com/mlpipe/mlpipe/internal/spec"
)

// planFeatures is the plans example's feature spec: three classes, found
// in the data.
func planFeatures() features.Spec {
	return features.Spec{
		Target: "plan", NumClasses: 3,
		Split: features.SplitSpec{TestSize: 0.25, Seed: 42},
		Columns: []features.ColumnSpec{
			{Column: "age", Impute: "median"}, {Column: "income"}, {Column: "household"},
			{Column: "usage_gb"}, {Column: "region"},
		},
	}
}

func planConfig(epochs int) model.Config {
	return model.Config{Kind: "logistic", Classes: 3, Epochs: epochs, LearningRate: 0.05, BatchSize: 64, Seed: 7}
}

func plansCSV(t *testing.T, rows int, seed int64) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, gen.Plans(&buf, rows, seed))
	return buf.Bytes()
}

// trainedPlans ingests generated plan data, engineers features and trains
// a softmax model for epochs; it returns the model and the raw data.
func trainedPlans(t *testing.T, acts *activities.Activities, wf string, epochs int) (activities.TrainedModel, []byte) {
	t.Helper()
	data := plansCSV(t, 1200, 3)
	res, err := execute[activities.IngestDataResult](t, acts, acts.IngestData, activities.IngestDataInput{
		Pipeline: "plans", Source: writeFile(t, "plans.csv", data), Target: "plan"})
	require.NoError(t, err)
	fs := engineer(t, acts, res.Dataset, planFeatures())
	res2, err := execute[activities.TrainModelResult](t, acts, acts.TrainModel, activities.TrainModelInput{
		Pipeline: "plans", Model: "plan-classifier", WorkflowID: wf, Features: fs, Config: planConfig(epochs)})
	require.NoError(t, err)
	return res2.Model, data
}

// gorgoniaSoftmax is the forward pass of a multinomial logistic model as a
// Gorgonia graph: softmax(X·W + b), row by row.
func gorgoniaSoftmax(t *testing.T, m *model.Model, X []float64) [][]float64 {
	t.Helper()
	cols, k := m.NumFeatures, m.Classes
	rows := len(X) / cols
	g := gorgonia.NewGraph()
	x := gorgonia.NewMatrix(g, tensor.Float64, gorgonia.WithShape(rows, cols), gorgonia.WithName("x"),
		gorgonia.WithValue(tensor.New(tensor.WithShape(rows, cols), tensor.WithBacking(append([]float64{}, X...)))))
	w := gorgonia.NewMatrix(g, tensor.Float64, gorgonia.WithShape(cols, k), gorgonia.WithName("w"),
		gorgonia.WithValue(tensor.New(tensor.WithShape(cols, k), tensor.WithBacking(append([]float64{}, m.Weights()...)))))
	b := gorgonia.NewVector(g, tensor.Float64, gorgonia.WithShape(k), gorgonia.WithName("b"),
		gorgonia.WithValue(tensor.New(tensor.WithShape(k), tensor.WithBacking(append([]float64{}, m.Param(model.ParamBias).Data...)))))
	xw, err := gorgonia.Mul(x, w)
	require.NoError(t, err)
	z, err := gorgonia.BroadcastAdd(xw, b, nil, []byte{0})
	require.NoError(t, err)
	p, err := gorgonia.SoftMax(z)
	require.NoError(t, err)
	vm := gorgonia.NewTapeMachine(g)
	defer vm.Close()
	require.NoError(t, vm.RunAll())
	flat := p.Value().Data().([]float64)
	out := make([][]float64, rows)
	for i := range out {
		out[i] = flat[i*k : (i+1)*k]
	}
	return out
}

func TestMultiClassFeaturesTrainAndServeAsTheGraphComputes(t *testing.T) {
	acts, _ := newActs(t)
	tm, data := trainedPlans(t, acts, "wf-plans", 15)
	fs := tm.Features
	assert.Equal(t, []string{"basic", "plus", "premium"}, fs.Classes, "classes found in the data, sorted")
	assert.Equal(t, [2]string{}, fs.Labels, "no negative/positive pair for three classes")
	test := readMatrix(t, fs.Test)
	assert.ElementsMatch(t, []float64{0, 1, 2}, uniq(test.Y), "labels are class indices")

	bu := readBundle(t, tm.Bundle)
	require.True(t, bu.MultiClass())
	assert.Equal(t, []string{"basic", "plus", "premium"}, bu.Classes)
	assert.Equal(t, 3, bu.Model.Classes)

	// The bundle scores raw rows (what the gateway receives) exactly as the
	// Gorgonia graph scores the engineered test matrix.
	want := gorgoniaSoftmax(t, bu.Model, test.X)
	preds, err := bu.Predict(rawTestRows(t, data, planFeatures()))
	require.NoError(t, err)
	require.Len(t, preds, len(want))
	for i, p := range preds {
		best := 0
		for k, c := range bu.Classes {
			assert.InDelta(t, want[i][k], p.Probabilities[c], 1e-9, "row %d class %s", i, c)
			if want[i][k] > want[i][best] {
				best = k
			}
		}
		assert.Equal(t, bu.Classes[best], p.Label, "row %d", i)
		assert.InDelta(t, want[i][best], p.Probability, 1e-9)
	}
}

func uniq(vs []float64) []float64 {
	seen := map[float64]bool{}
	var out []float64
	for _, v := range vs {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

func TestMultiClassEvaluationReportsMultiClassMetricsAndAPage(t *testing.T) {
	acts, _ := newActs(t)
	tm, _ := trainedPlans(t, acts, "wf-plans", 15)
	ev, doc := evaluate(t, acts, activities.EvaluateModelInput{
		Model: tm, ModelName: "plan-classifier", WorkflowID: "wf-plans",
		EvaluationThreshold: map[string]float64{"f1_macro": 0.5, "log_loss": 1.0},
		Settings: spec.Evaluation{Bootstrap: 200, Slices: []spec.Slice{
			{Column: "region"}, {Column: "household", Buckets: []float64{1, 2, 3, 10}},
		}},
	})
	for _, m := range []string{"accuracy", "balanced_accuracy", "precision_macro", "recall_macro", "f1_macro",
		"precision_weighted", "recall_weighted", "f1_weighted", "roc_auc_ovr", "log_loss"} {
		assert.Contains(t, ev.Metrics, m)
	}
	for _, binaryOnly := range []string{"f1", "precision", "recall", "roc_auc", "pr_auc", "brier"} {
		assert.NotContains(t, ev.Metrics, binaryOnly, "no binary metric is reported for three classes")
	}
	assert.Greater(t, ev.Metrics["accuracy"], 0.6)
	assert.Greater(t, ev.Metrics["roc_auc_ovr"], 0.75)

	// The K×K confusion matrix counts every test row once.
	assert.Equal(t, []string{"basic", "plus", "premium"}, ev.Classes)
	require.Len(t, ev.ClassConfusion, 3)
	total, correct := 0, 0
	for a, row := range ev.ClassConfusion {
		require.Len(t, row, 3)
		for p, n := range row {
			total += n
			if a == p {
				correct += n
			}
		}
	}
	assert.Equal(t, ev.TestRows, total)
	assert.InDelta(t, float64(correct)/float64(total), ev.Metrics["accuracy"], 1e-12)

	// Bootstrap intervals for the gate's metrics, and the gate reads them.
	for _, m := range []string{"f1_macro", "log_loss"} {
		require.Contains(t, ev.Low, m)
		assert.Less(t, ev.Low[m], ev.High[m], m)
		assert.LessOrEqual(t, ev.Low[m], ev.Metrics[m], m)
	}
	require.Len(t, doc.Gate, 2)
	assert.Equal(t, "f1_macro >= 0.5", doc.Gate[0].Rule)
	assert.True(t, doc.Gate[0].Passed)

	require.NotNil(t, doc.Multiclass)
	assert.Nil(t, doc.Evaluation, "the binary evaluation is not written for three classes")
	assert.Len(t, doc.Multiclass.PerClass, 3)
	assert.Len(t, doc.Multiclass.ROC, 3)
	rows := 0
	for _, s := range doc.Slices {
		require.NotNil(t, s.Multiclass, s.Column+"="+s.Value)
		if s.Column == "region" {
			rows += s.Rows
		}
	}
	assert.Equal(t, ev.TestRows, rows)
	require.NotNil(t, doc.Latency, "latency is measured through the serving path")
	assert.Contains(t, ev.Summary(), "f1_macro ")
	assert.Contains(t, ev.Summary(), ", 3 classes")

	page, err := artifact.ReadAll(context.Background(), ev.HTML)
	require.NoError(t, err)
	assert.Equal(t, 2, strings.Count(string(page), "data:image/png;base64,"), "one-vs-rest ROC and the 3×3 confusion matrix")
	assert.Contains(t, string(page), `id="confusion"`)
	assert.Contains(t, string(page), "no threshold to sweep")
}

func TestMultiClassChampionIsScoredOnlyWhenItsClassesCompare(t *testing.T) {
	acts, _ := newActs(t)
	ctx := context.Background()
	weak, _ := trainedPlans(t, acts, "wf-weak", 1)
	v, err := acts.Registry.Register(ctx, registry.Version{Name: "plan-classifier", Model: weak.Bundle, ModelURI: weak.Bundle.URI})
	require.NoError(t, err)
	require.NoError(t, acts.Registry.Promote(ctx, "plan-classifier", v.Version))

	strong, _ := trainedPlans(t, acts, "wf-strong", 15)
	ev, doc := evaluate(t, acts, activities.EvaluateModelInput{
		Model: strong, ModelName: "plan-classifier", WorkflowID: "wf-strong",
		EvaluationThreshold: map[string]float64{"f1_macro": 0.5},
		ChampionThreshold:   map[string]float64{"f1_macro": 0.01},
	})
	require.NotNil(t, ev.Champion)
	assert.Empty(t, ev.Champion.Error)
	_, alone := evaluate(t, acts, activities.EvaluateModelInput{Model: weak})
	assert.InDelta(t, alone.Multiclass.Report.F1Macro, ev.Champion.Metrics["f1_macro"], 1e-12, "the champion on the same rows")
	require.Len(t, doc.Gate, 2)
	assert.Equal(t, "f1_macro >= champion - 0.01", doc.Gate[1].Rule)

	// A binary model under the same name cannot be compared with it.
	churn := trained(t, acts, "wf-churn", 2)
	ev, doc = evaluate(t, acts, activities.EvaluateModelInput{
		Model: churn, ModelName: "plan-classifier", WorkflowID: "wf-churn",
		EvaluationThreshold: map[string]float64{"f1": 0.1}, ChampionThreshold: map[string]float64{"f1": 0.01},
	})
	require.NotNil(t, ev.Champion)
	assert.Equal(t, "version 1 predicts 3 classes (basic, plus, premium) and this model binary (no, yes); their metrics do not compare", ev.Champion.Error)
	assert.False(t, doc.Gate[1].Passed, "a change rule against a champion that cannot be scored fails")
}

func TestMultiClassEvaluationRefusesAClassTheModelDoesNotKnow(t *testing.T) {
	acts, _ := newActs(t)
	tm, _ := trainedPlans(t, acts, "wf-plans", 2)
	holdout := strings.Replace(string(plansCSV(t, 50, 9)), ",premium\n", ",enterprise\n", 1)
	_, err := execute[activities.EvaluateModelResult](t, acts, acts.EvaluateModel, activities.EvaluateModelInput{
		Model: tm, TestSource: writeFile(t, "holdout.csv", []byte(holdout))})
	ae := appError(t, err, activities.ErrInvalidInput)
	assert.Contains(t, ae.Error(), `target "plan" is "enterprise", which is not one of the model's classes (basic, plus, premium)`)
}

// A metric the test rows leave undefined (roc_auc_ovr when a class is
// absent from them) reads n/a in the one-line summary, not a zero that
// looks like a useless model.
func TestEvaluationSummarySaysWhenAMetricIsUndefined(t *testing.T) {
	multi := activities.Evaluation{TestRows: 40, Classes: []string{"basic", "plus", "premium"},
		Metrics: map[string]float64{"f1_macro": 0.71, "accuracy": 0.74}}
	assert.Equal(t, "f1_macro 0.710, accuracy 0.740, roc_auc_ovr n/a on 40 rows, 3 classes", multi.Summary())
	multi.Metrics["roc_auc_ovr"] = 0
	assert.Equal(t, "f1_macro 0.710, accuracy 0.740, roc_auc_ovr 0.000 on 40 rows, 3 classes", multi.Summary(), "a defined zero stays a zero")

	binary := activities.Evaluation{TestRows: 10, Metrics: map[string]float64{"f1": 0.5, "accuracy": 0.6}}
	assert.Equal(t, "f1 0.500, accuracy 0.600, roc_auc n/a on 10 rows", binary.Summary())
	binary.Metrics["roc_auc"] = 0.875
	assert.Equal(t, "f1 0.500, accuracy 0.600, roc_auc 0.875 on 10 rows", binary.Summary())
}
