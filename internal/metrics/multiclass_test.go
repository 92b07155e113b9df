package metrics

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	threeClasses = []string{"basic", "plus", "premium"}
	// mcY and mcP are a 10-row sample; row 1 ties classes 0 and 1 (argmax
	// takes 0). The expected values below are scikit-learn 1.2's.
	mcY = []float64{0, 0, 1, 1, 2, 2, 2, 1, 0, 2}
	mcP = [][]float64{{.7, .2, .1}, {.4, .4, .2}, {.2, .5, .3}, {.1, .3, .6}, {.1, .1, .8}, {.3, .3, .4}, {.5, .2, .3}, {.2, .6, .2}, {.6, .3, .1}, {.2, .2, .6}}
)

func TestMultiClassMatchesScikitLearn(t *testing.T) {
	r, err := MultiClass(mcY, mcP, threeClasses)
	require.NoError(t, err)
	assert.Equal(t, [][]int{{3, 0, 0}, {0, 2, 1}, {1, 0, 3}}, r.Confusion)
	assert.Equal(t, 10, r.Support)
	assert.InDelta(t, 0.8, r.Accuracy, 1e-12)
	assert.InDelta(t, 0.8055555555555555, r.BalancedAccuracy, 1e-12)
	assert.InDelta(t, 0.8333333333333334, r.PrecisionMacro, 1e-12)
	assert.InDelta(t, 0.8055555555555555, r.RecallMacro, 1e-12)
	assert.InDelta(t, 0.8023809523809523, r.F1Macro, 1e-12)
	assert.InDelta(t, 0.825, r.PrecisionWeighted, 1e-12)
	assert.InDelta(t, 0.8, r.RecallWeighted, 1e-12)
	assert.InDelta(t, 0.7971428571428572, r.F1Weighted, 1e-12)
	assert.InDelta(t, 0.9107142857142857, r.ROCAUCOVR, 1e-12)
	assert.InDelta(t, 0.7045969619511041, r.LogLoss, 1e-12)

	rows := r.PerClass()
	require.Len(t, rows, 3)
	assert.Equal(t, "plus", rows[1].Label)
	assert.InDelta(t, 1.0, rows[1].Precision, 1e-12)
	assert.InDelta(t, 2.0/3, rows[1].Recall, 1e-12)
	assert.InDelta(t, 0.8, rows[1].F1, 1e-12)
	assert.Equal(t, []int{3, 3, 4}, []int{rows[0].Support, rows[1].Support, rows[2].Support})
}

func TestMultiClassAveragesCoverClassesSeenInLabelsOrPredictions(t *testing.T) {
	// Class 2 is predicted but never true: it counts in the macro
	// averages (as scikit-learn's default labels do), not in balanced
	// accuracy, and its one-vs-rest AUC is undefined.
	y := []float64{0, 0, 1, 1, 0}
	p := [][]float64{{.7, .2, .1}, {.2, .2, .6}, {.2, .5, .3}, {.1, .8, .1}, {.3, .3, .4}}
	r, err := MultiClass(y, p, threeClasses)
	require.NoError(t, err)
	assert.InDelta(t, 0.6666666666666666, r.BalancedAccuracy, 1e-12)
	assert.InDelta(t, 0.6666666666666666, r.PrecisionMacro, 1e-12)
	assert.InDelta(t, 0.4444444444444444, r.RecallMacro, 1e-12)
	assert.InDelta(t, 0.5, r.F1Macro, 1e-12)
	assert.InDelta(t, 1.0, r.PrecisionWeighted, 1e-12)
	assert.InDelta(t, 0.7, r.F1Weighted, 1e-12)
	assert.InDelta(t, 0.8172752785145848, r.LogLoss, 1e-12)
	assert.True(t, math.IsNaN(r.ROCAUCOVR))

	b, err := json.Marshal(r)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"roc_auc_ovr":null`)
	var back MultiReport
	require.NoError(t, json.Unmarshal(b, &back))
	assert.True(t, math.IsNaN(back.ROCAUCOVR))
	assert.Equal(t, r.Confusion, back.Confusion)
}

func TestMultiClassRefusesWhatItCannotScore(t *testing.T) {
	_, err := MultiClass([]float64{0, 3}, [][]float64{{1, 0, 0}, {0, 1, 0}}, threeClasses)
	assert.ErrorContains(t, err, "label at row 1 is 3; labels must be class indices 0..2")
	_, err = MultiClass([]float64{0}, [][]float64{{1, 0}}, threeClasses)
	assert.ErrorContains(t, err, "row 0 has 2 probabilities for 3 classes")
	_, err = MultiClass([]float64{0}, [][]float64{{1, 0}}, []string{"a", "b"})
	assert.ErrorContains(t, err, "2 classes; a multi-class report needs 3 or more")
}

func TestMultiClassGetKnowsEveryName(t *testing.T) {
	r, err := MultiClass(mcY, mcP, threeClasses)
	require.NoError(t, err)
	for _, name := range MultiClassNames() {
		_, ok := r.Get(name)
		assert.True(t, ok, name)
	}
	for _, binaryOnly := range []string{F1, Precision, Recall, ROCAUC, PRAUC, Brier} {
		_, ok := r.Get(binaryOnly)
		assert.False(t, ok, "%s is binary only", binaryOnly)
	}
	assert.Equal(t, F1Macro, MultiClassEquivalent(F1))
	assert.Equal(t, ROCAUCOVR, MultiClassEquivalent(ROCAUC))
	assert.Empty(t, MultiClassEquivalent(Brier))
}

func TestEvaluateMultiClassCurvesAndIntervals(t *testing.T) {
	ev, err := EvaluateMultiClass(mcY, mcP, threeClasses, Options{IntervalMetrics: []string{F1Macro, ROCAUCOVR, LogLoss}, Resamples: 300, Seed: 1})
	require.NoError(t, err)
	require.Len(t, ev.ROC, 3)
	var mean float64
	for c, curve := range ev.ROC {
		assert.Equal(t, threeClasses[c], curve.Label)
		assert.NotEmpty(t, curve.Points)
		mean += curve.AUC / 3
	}
	assert.InDelta(t, ev.Report.ROCAUCOVR, mean, 1e-12, "the macro AUC is the mean of the per-class curves' AUCs")
	for _, m := range []string{F1Macro, ROCAUCOVR, LogLoss} {
		iv := ev.Intervals[m]
		p, _ := ev.Report.Get(m)
		assert.Equal(t, p, iv.Point, m)
		assert.LessOrEqual(t, iv.Low, p, m)
		assert.GreaterOrEqual(t, iv.High, p, m)
		assert.Less(t, iv.Low, iv.High, "%s: resampling ten rows moves the metric", m)
	}
	assert.Less(t, ev.Intervals[ROCAUCOVR].Resamples, 300, "resamples missing a class are skipped for roc_auc_ovr")
	assert.Equal(t, 300, ev.Intervals[F1Macro].Resamples)

	again := BootstrapMultiClass(mcY, mcP, threeClasses, []string{F1Macro}, 300, 1)
	assert.Equal(t, ev.Intervals[F1Macro], again[F1Macro], "the same seed gives the same interval")

	_, err = EvaluateMultiClass(mcY, mcP, threeClasses, Options{IntervalMetrics: []string{F1}})
	assert.ErrorContains(t, err, `"f1" is not a multi-class metric`)
}

func TestBootstrapMultiClassWeightsRowsLikeARealResample(t *testing.T) {
	// A resample scored through multiplicities equals the same rows
	// scored as a sample of their own.
	s := newMultiScorer(mcY, mcP, threeClasses)
	w := []int32{2, 0, 1, 3, 0, 1, 0, 2, 1, 0}
	var y []float64
	var p [][]float64
	for i, n := range w {
		for range n {
			y, p = append(y, mcY[i]), append(p, mcP[i])
		}
	}
	want, err := MultiClass(y, p, threeClasses)
	require.NoError(t, err)
	got := s.report(w, true)
	for _, name := range MultiClassNames() {
		wv, _ := want.Get(name)
		gv, _ := got.Get(name)
		if math.IsNaN(wv) {
			assert.True(t, math.IsNaN(gv), name)
			continue
		}
		assert.InDelta(t, wv, gv, 1e-12, name)
	}
}

func TestMultiClassSlices(t *testing.T) {
	groups := []string{"a", "a", "a", "b", "b", "b", "a", "b", "a", "b"}
	sl, err := MultiClassSlices(mcY, mcP, threeClasses, groups)
	require.NoError(t, err)
	require.Len(t, sl, 2)
	assert.Equal(t, "a", sl[0].Group)
	assert.Equal(t, 5, sl[0].Rows)
	assert.Equal(t, 5, sl[1].Report.Support)
	_, err = MultiClassSlices(mcY, mcP, threeClasses, groups[:3])
	assert.ErrorContains(t, err, "3 group values for 10 rows")
}
