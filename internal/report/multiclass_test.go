package report

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// planPage is a 3-class evaluation as the evaluate activity lays it out.
func planPage() Page {
	return Page{
		Model: "plan-classifier", Version: "candidate", CreatedAt: time.Date(2025, 6, 1, 14, 30, 0, 0, time.UTC), Rows: 100,
		Classes:    []string{"basic", "plus", "premium"},
		ConfusionK: [][]int{{30, 3, 1}, {4, 25, 3}, {0, 5, 29}},
		AUC:        0.91,
		ClassROC: []ClassCurve{
			{Label: "basic", AUC: 0.95, Points: []Point{{0, 0}, {0.1, 0.8}, {1, 1}}},
			{Label: "plus", AUC: 0.85, Points: []Point{{0, 0}, {0.2, 0.7}, {1, 1}}},
			{Label: "premium", AUC: math.NaN()},
		},
		Metrics: []MetricRow{{Name: "f1_macro", Value: 0.82, Low: math.NaN(), High: math.NaN(), Champion: math.NaN(), Delta: math.NaN()}},
		PerClass: []ClassRow{{Label: "basic", Precision: 0.88, Recall: 0.88, F1: 0.88, Support: 34},
			{Label: "plus", Precision: 0.76, Recall: 0.78, F1: 0.77, Support: 32}, {Label: "premium", Precision: 0.88, Recall: 0.85, F1: 0.87, Support: 34}},
		Slices: []SliceRow{{Column: "region", Value: "north", Rows: 50, Accuracy: 0.8, Precision: 0.8, Recall: 0.8, F1: 0.8, ROCAUC: 0.9}},
	}
}

func TestRenderMultiClassShowsTheKByKMatrixAndOneVsRestROC(t *testing.T) {
	_, doc := render(t, planPage())
	imgs := findAll(doc, "img")
	require.Len(t, imgs, 2, "one-vs-rest ROC and the confusion matrix; PR and calibration are binary plots")
	assert.Equal(t, "One-vs-rest ROC curves of 3 classes, macro AUC 0.910", attr(imgs[0], "alt"))
	assert.True(t, strings.HasPrefix(attr(imgs[1], "alt"), "Confusion matrix, actual → predicted: basic→basic 30; basic→plus 3;"))

	conf := byID(t, doc, "confusion")
	assert.Equal(t, []string{"Actual ↓ / predicted →", "basic", "plus", "premium"}, headers(conf))
	assert.Equal(t, [][]string{{"basic", "30", "3", "1"}, {"plus", "4", "25", "3"}, {"premium", "0", "5", "29"}}, tableRows(conf))

	assert.Len(t, tableRows(byID(t, doc, "per-class")), 3)
	assert.Contains(t, textOf(byID(t, doc, "sweep")), "no threshold to sweep")
	assert.Contains(t, textOf(byID(t, doc, "calibration")), "binary models only")
	assert.Contains(t, headers(byID(t, doc, "slices")), "F1 (macro)")
	assert.NotContains(t, textOf(doc), "NaN")
}

func TestBinaryPageHasNoMultiClassSections(t *testing.T) {
	out, doc := render(t, samplePage())
	assert.NotContains(t, out, `id="confusion"`)
	assert.Contains(t, headers(byID(t, doc, "slices")), "ROC AUC")
}

func TestMultiClassPlotsAreDecodablePNGs(t *testing.T) {
	p := planPage()
	b, err := ConfusionPlotK(p.ConfusionK, p.Classes)
	require.NoError(t, err)
	decodePNG(t, b)
	b, err = ROCOvRPlot(p.ClassROC, p.AUC)
	require.NoError(t, err)
	decodePNG(t, b)
	b, err = ROCOvRPlot(nil, math.NaN())
	require.NoError(t, err)
	decodePNG(t, b)
	withAbsent := append([]ClassCurve{{Label: "absent", AUC: math.NaN()}}, p.ClassROC...)
	b, err = ROCOvRPlot(withAbsent, p.AUC) // a class with no curve still draws
	require.NoError(t, err)
	decodePNG(t, b)

	_, err = ConfusionPlotK([][]int{{1, 2}}, p.Classes)
	assert.ErrorContains(t, err, "confusion matrix has 1 rows for 3 classes")
	_, err = ConfusionPlotK([][]int{{1, 2, 3}, {1, -1, 0}, {0, 0, 0}}, p.Classes)
	assert.ErrorContains(t, err, "negative count -1")
}
