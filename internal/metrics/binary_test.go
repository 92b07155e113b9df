package metrics

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBinaryHandWorked(t *testing.T) {
	// y = [0, 0, 1, 1], p = [0.1, 0.4, 0.35, 0.8], threshold 0.5
	// predicted = [0, 0, 0, 1] → TN 2, FP 0, FN 1, TP 1
	// accuracy 3/4, precision 1/1, recall 1/2, F1 = 2·1/(2·1+0+1) = 2/3
	// ranks of p: 0.1→1, 0.35→2, 0.4→3, 0.8→4; positives sum 2+4 = 6
	// AUC = (6 − 2·3/2) / (2·2) = 0.75
	// log-loss = −(ln 0.9 + ln 0.6 + ln 0.35 + ln 0.8)/4 = 0.47228795380917615
	r, err := Binary([]float64{0, 0, 1, 1}, []float64{0.1, 0.4, 0.35, 0.8}, 0.5)
	require.NoError(t, err)
	assert.Equal(t, Confusion{TN: 2, FP: 0, FN: 1, TP: 1}, r.Confusion)
	assert.InDelta(t, 0.75, r.Accuracy, 1e-15)
	assert.InDelta(t, 1.0, r.Precision, 1e-15)
	assert.InDelta(t, 0.5, r.Recall, 1e-15)
	assert.InDelta(t, 2.0/3, r.F1, 1e-15)
	assert.InDelta(t, 0.75, r.ROCAUC, 1e-15)
	assert.InDelta(t, 0.47228795380917615, r.LogLoss, 1e-15)
	assert.Equal(t, 4, r.Support)
	assert.Equal(t, 2, r.Positives)
}

func TestBinaryAUCWithTies(t *testing.T) {
	// y = [0, 1, 0, 1, 1], p = [0.2, 0.2, 0.6, 0.6, 0.9]
	// Pairwise (3 positives × 2 negatives = 6 pairs), a tie counts 1/2:
	//   pos 0.2: vs 0.2 → ½, vs 0.6 → 0   = 0.5
	//   pos 0.6: vs 0.2 → 1, vs 0.6 → ½   = 1.5
	//   pos 0.9: vs 0.2 → 1, vs 0.6 → 1   = 2
	//   AUC = 4/6 = 2/3
	// Same by ranks: ties share 1.5 and 3.5; positives 1.5 + 3.5 + 5 = 10;
	//   (10 − 3·4/2) / 6 = 2/3.
	// At 0.5: predicted [0, 0, 1, 1, 1] → TN 1, FN 1, FP 1, TP 2
	// log-loss = −(ln 0.8 + ln 0.2 + ln 0.4 + ln 0.6 + ln 0.9)/5 = 0.6730116670092564
	r, err := Binary([]float64{0, 1, 0, 1, 1}, []float64{0.2, 0.2, 0.6, 0.6, 0.9}, 0.5)
	require.NoError(t, err)
	assert.InDelta(t, 2.0/3, r.ROCAUC, 1e-15)
	assert.Equal(t, Confusion{TN: 1, FP: 1, FN: 1, TP: 2}, r.Confusion)
	assert.InDelta(t, 0.6, r.Accuracy, 1e-15)
	assert.InDelta(t, 2.0/3, r.Precision, 1e-15)
	assert.InDelta(t, 2.0/3, r.Recall, 1e-15)
	assert.InDelta(t, 2.0/3, r.F1, 1e-15)
	assert.InDelta(t, 0.6730116670092564, r.LogLoss, 1e-15)

	// All scores equal: every pair is a tie → AUC ½.
	r, err = Binary([]float64{0, 1, 1, 0}, []float64{0.3, 0.3, 0.3, 0.3}, 0.5)
	require.NoError(t, err)
	assert.InDelta(t, 0.5, r.ROCAUC, 1e-15)
}

func TestBinaryThresholdIsStrict(t *testing.T) {
	// p = 0.5 is not above 0.5, so it is a negative prediction (as in
	// scikit-learn's predict); at threshold 0.4 it becomes positive.
	r, err := Binary([]float64{1}, []float64{0.5}, 0.5)
	require.NoError(t, err)
	assert.Equal(t, Confusion{FN: 1}, r.Confusion)
	r, err = Binary([]float64{1}, []float64{0.5}, 0.4)
	require.NoError(t, err)
	assert.Equal(t, Confusion{TP: 1}, r.Confusion)
}

func TestBinaryNoPredictedPositivesGivesZeroNotNaN(t *testing.T) {
	// y = [1, 0], p = [0.2, 0.1]: nothing above 0.5 → TP = FP = 0.
	// precision 0/0 → 0, recall 0/1 = 0, F1 0/(0+0+1) = 0; the ranking is
	// still perfect (0.2 > 0.1) → AUC 1.
	r, err := Binary([]float64{1, 0}, []float64{0.2, 0.1}, 0.5)
	require.NoError(t, err)
	assert.Equal(t, 0.0, r.Precision)
	assert.Equal(t, 0.0, r.Recall)
	assert.Equal(t, 0.0, r.F1)
	assert.Equal(t, 1.0, r.ROCAUC)
}

func TestBinaryOneClassLeavesAUCUndefined(t *testing.T) {
	// Only positives: no negative to rank against, so AUC is NaN; the
	// threshold metrics still hold: predicted [1, 0] → TP 1, FN 1.
	r, err := Binary([]float64{1, 1}, []float64{0.9, 0.4}, 0.5)
	require.NoError(t, err)
	assert.True(t, math.IsNaN(r.ROCAUC))
	assert.InDelta(t, 0.5, r.Accuracy, 1e-15)
	assert.InDelta(t, 1.0, r.Precision, 1e-15)

	b, err := json.Marshal(r)
	require.NoError(t, err, "NaN must not break JSON encoding")
	assert.Contains(t, string(b), `"roc_auc":null`)
	var back Report
	require.NoError(t, json.Unmarshal(b, &back))
	assert.True(t, math.IsNaN(back.ROCAUC))
	assert.Equal(t, r.Confusion, back.Confusion)

	v, ok := r.Get("roc_auc")
	assert.True(t, ok)
	assert.False(t, v >= 0.5, "an undefined AUC must not pass a threshold gate")
}

func TestBinaryLogLossClipsCertainMistakes(t *testing.T) {
	// p = 0 for a positive: −ln(1e−15) = 34.538776394910684, not +Inf.
	r, err := Binary([]float64{1, 0}, []float64{0, 0}, 0.5)
	require.NoError(t, err)
	// (34.538776394910684 + −ln(1 − 1e−15) ≈ 1e−15) / 2
	assert.InDelta(t, 34.538776394910684/2, r.LogLoss, 1e-12)
}

func TestBinaryRejectsBadInput(t *testing.T) {
	cases := []struct {
		name     string
		y, p     []float64
		thr      float64
		contains string
	}{
		{"empty", nil, nil, 0.5, "no samples"},
		{"length", []float64{0, 1}, []float64{0.1}, 0.5, "2 labels but 1 predictions"},
		{"label", []float64{0, 2}, []float64{0.1, 0.2}, 0.5, "label at row 1 is 2"},
		{"proba", []float64{0, 1}, []float64{0.1, 1.2}, 0.5, "probability at row 1 is 1.2"},
		{"nan proba", []float64{0, 1}, []float64{math.NaN(), 0.2}, 0.5, "probability at row 0 is NaN"},
		{"threshold", []float64{0, 1}, []float64{0.1, 0.2}, 1.5, "threshold is 1.5"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Binary(tc.y, tc.p, tc.thr)
			assert.ErrorContains(t, err, tc.contains)
		})
	}
}

func TestReportJSONUsesSnakeCase(t *testing.T) {
	r, err := Binary([]float64{0, 0, 1, 1}, []float64{0.1, 0.4, 0.35, 0.8}, 0.5)
	require.NoError(t, err)
	b, err := json.Marshal(r)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	for _, k := range append(Names(), "support", "positives", "threshold", "confusion_matrix") {
		assert.Contains(t, m, k)
	}
	assert.Equal(t, map[string]any{"tn": 2.0, "fp": 0.0, "fn": 1.0, "tp": 1.0}, m["confusion_matrix"])
	assert.Equal(t, 0.75, m["roc_auc"])

	var back Report
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, r, back)
}

func TestGetNamesAndDirection(t *testing.T) {
	r := Report{Accuracy: 0.1, BalancedAccuracy: 0.15, Precision: 0.2, Recall: 0.3, F1: 0.4,
		F1Macro: 0.45, F1Weighted: 0.47, ROCAUC: 0.5, PRAUC: 0.55, LogLoss: 0.6, Brier: 0.7}
	want := []float64{0.1, 0.15, 0.2, 0.3, 0.4, 0.45, 0.47, 0.5, 0.55, 0.6, 0.7}
	require.Len(t, Names(), len(want))
	for i, name := range Names() {
		v, ok := r.Get(name)
		assert.True(t, ok, name)
		assert.Equal(t, want[i], v, name)
	}
	_, ok := r.Get("auc")
	assert.False(t, ok)

	assert.False(t, HigherIsBetter("log_loss"))
	assert.False(t, HigherIsBetter("brier"))
	for _, name := range []string{"accuracy", "balanced_accuracy", "precision", "recall", "f1", "f1_macro", "f1_weighted", "roc_auc", "pr_auc"} {
		assert.True(t, HigherIsBetter(name), name)
	}
}
