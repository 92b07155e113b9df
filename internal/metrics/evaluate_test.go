package metrics

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEvaluateBundlesEverything(t *testing.T) {
	labels := [2]string{"stayed", "churned"}
	ev, err := Evaluate(tieY, tieP, 0.5, labels, Options{IntervalMetrics: []string{F1, ROCAUC}, Resamples: 200, Seed: 9})
	require.NoError(t, err)

	r, _ := Binary(tieY, tieP, 0.5)
	assert.Equal(t, r, ev.Report)
	assert.Equal(t, PerClass(tieY, tieP, 0.5, labels), ev.PerClass)
	assert.Equal(t, ROC(tieY, tieP), ev.ROC)
	assert.Equal(t, PR(tieY, tieP), ev.PR)
	assert.Equal(t, ThresholdSweep(tieY, tieP, nil), ev.Sweep)
	assert.Len(t, ev.Sweep, 19, "default sweep")
	// Empty bins hold NaN, which never equals itself: compare encodings.
	wantCal, err := json.Marshal(Calibration(tieY, tieP, 10))
	require.NoError(t, err)
	gotCal, err := json.Marshal(ev.Calibration)
	require.NoError(t, err)
	assert.JSONEq(t, string(wantCal), string(gotCal))
	assert.Len(t, ev.Calibration, 10, "default bins")
	assert.Equal(t, Bootstrap(tieY, tieP, 0.5, []string{F1, ROCAUC}, 200, 9), ev.Intervals)
	assert.Equal(t, 200, ev.Intervals[F1].Resamples)

	b, err := json.Marshal(ev)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	for _, k := range []string{"report", "per_class", "roc", "pr", "threshold_sweep", "calibration", "intervals"} {
		assert.Contains(t, m, k)
	}
	var back Evaluation
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, ev.ROC, back.ROC)
	assert.Equal(t, ev.Intervals, back.Intervals)
	assert.Equal(t, ev.Report, back.Report)
}

func TestEvaluateOneClassStillEncodes(t *testing.T) {
	// Only negatives: ROC, PR and the AUCs are undefined, the calibration
	// has empty bins, and the AUC interval has no usable resample; all of
	// it must still encode, as nulls.
	y, p := []float64{0, 0, 0}, []float64{0.1, 0.2, 0.7}
	ev, err := Evaluate(y, p, 0.5, [2]string{"no", "yes"}, Options{IntervalMetrics: []string{ROCAUC, Accuracy}, Resamples: 50, CalibrationBins: 5, Thresholds: []float64{0.5}})
	require.NoError(t, err)
	assert.Nil(t, ev.ROC)
	assert.Nil(t, ev.PR)
	assert.Len(t, ev.Sweep, 1)
	assert.Len(t, ev.Calibration, 5)
	assert.True(t, math.IsNaN(ev.Intervals[ROCAUC].Low))
	// Accuracy 2/3 on the sample.
	assert.InDelta(t, 2.0/3, ev.Intervals[Accuracy].Point, 1e-15)

	b, err := json.Marshal(ev)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"roc":null`)
	assert.Contains(t, string(b), `"roc_auc":{"low":null,"high":null,"point":null,"resamples":0}`)

	ev, err = Evaluate(y, p, 0.5, [2]string{}, Options{})
	require.NoError(t, err)
	assert.Nil(t, ev.Intervals, "no interval metrics asked for")
	b, err = json.Marshal(ev)
	require.NoError(t, err)
	assert.NotContains(t, string(b), "intervals")
}

func TestEvaluateRejects(t *testing.T) {
	y, p := []float64{0, 1}, []float64{0.2, 0.8}
	cases := []struct {
		name     string
		y        []float64
		opts     Options
		contains string
	}{
		{"bad label", []float64{0, 2}, Options{}, "label at row 1 is 2"},
		{"unknown metric", y, Options{IntervalMetrics: []string{"auc"}}, `unknown metric "auc"; use one of accuracy,`},
		{"resamples", y, Options{Resamples: -1}, "resamples is -1"},
		{"bins", y, Options{CalibrationBins: -2}, "calibration_bins is -2"},
		{"threshold", y, Options{Thresholds: []float64{0.5, 1.5}}, "thresholds[1] is 1.5"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := Evaluate(tc.y, p, 0.5, [2]string{}, tc.opts)
			assert.ErrorContains(t, err, tc.contains)
			assert.Equal(t, Evaluation{}, ev, "no partial result")
		})
	}
}
