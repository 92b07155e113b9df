package metrics

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var inf = math.Inf(1)

// A 6-row sample with a tie between a positive and a negative at 0.6.
var (
	tieY = []float64{1, 0, 1, 0, 1, 0}
	tieP = []float64{0.9, 0.8, 0.6, 0.6, 0.4, 0.2}
)

func TestROCHandWorkedWithTies(t *testing.T) {
	// P = 3, N = 3. Walking distinct scores from the top (score ≥ t):
	//   +Inf: TP 0 FP 0 → (0, 0)
	//   0.9:  TP 1 FP 0 → (0, ⅓)
	//   0.8:  TP 1 FP 1 → (⅓, ⅓)
	//   0.6:  TP 2 FP 2 → (⅔, ⅔)   the tie moves both rates at once
	//   0.4:  TP 3 FP 2 → (⅔, 1)
	//   0.2:  TP 3 FP 3 → (1, 1)
	got := ROC(tieY, tieP)
	want := []CurvePoint{
		{0, 0, inf}, {0, 1.0 / 3, 0.9}, {1.0 / 3, 1.0 / 3, 0.8},
		{2.0 / 3, 2.0 / 3, 0.6}, {2.0 / 3, 1, 0.4}, {1, 1, 0.2},
	}
	assert.InDeltaSlice(t, xs(want), xs(got), 1e-15)
	assert.InDeltaSlice(t, ys(want), ys(got), 1e-15)
	assert.Equal(t, thresholds(want), thresholds(got))

	// Trapezoid area: ⅓·⅓ + ⅓·(⅓+⅔)/2 + ⅓·1 = 2/18 + 3/18 + 6/18 = 11/18,
	// the same as the pairwise AUC: 0.9 beats 3, 0.6 beats 1 and ties 1
	// (1.5), 0.4 beats 1 → 5.5/9 = 11/18.
	r, err := Binary(tieY, tieP, 0.5)
	require.NoError(t, err)
	assert.InDelta(t, 11.0/18, trapezoid(got), 1e-15)
	assert.InDelta(t, 11.0/18, r.ROCAUC, 1e-15)
}

func TestROCMatchesScikitLearnExample(t *testing.T) {
	// roc_curve docs: y [1, 1, 2, 2] (2 positive), scores [0.1, 0.4, 0.35, 0.8]
	// → fpr [0, 0, .5, .5, 1], tpr [0, .5, .5, 1, 1],
	//   thresholds [inf, .8, .4, .35, .1]
	got := ROC([]float64{0, 0, 1, 1}, []float64{0.1, 0.4, 0.35, 0.8})
	assert.Equal(t, []float64{0, 0, 0.5, 0.5, 1}, xs(got))
	assert.Equal(t, []float64{0, 0.5, 0.5, 1, 1}, ys(got))
	assert.Equal(t, []float64{inf, 0.8, 0.4, 0.35, 0.1}, thresholds(got))
}

func TestPRHandWorkedAndAveragePrecision(t *testing.T) {
	// Same 6 rows, P = 3. Counting score ≥ t, in increasing t:
	//   0.2: TP 3 of 6 predicted → R 1,  P ½
	//   0.4: TP 3 of 5          → R 1,  P 3/5
	//   0.6: TP 2 of 4          → R ⅔, P ½
	//   0.8: TP 1 of 2          → R ⅓, P ½
	//   0.9: TP 1 of 1          → R ⅓, P 1
	//   end:                    → R 0,  P 1
	// AP = Σ (R_n − R_{n−1})·P_n from the top: ⅓·1 + 0·½ + ⅓·½ + ⅓·3/5 + 0·½
	//    = 10/30 + 5/30 + 6/30 = 0.7
	got := PR(tieY, tieP)
	want := []CurvePoint{
		{1, 0.5, 0.2}, {1, 0.6, 0.4}, {2.0 / 3, 0.5, 0.6},
		{1.0 / 3, 0.5, 0.8}, {1.0 / 3, 1, 0.9}, {0, 1, inf},
	}
	assert.InDeltaSlice(t, xs(want), xs(got), 1e-15)
	assert.InDeltaSlice(t, ys(want), ys(got), 1e-15)
	assert.Equal(t, thresholds(want), thresholds(got))

	r, err := Binary(tieY, tieP, 0.5)
	require.NoError(t, err)
	assert.InDelta(t, 0.7, r.PRAUC, 1e-15)
	// scikit-learn's formula on the curve: −Σ diff(recall)·precision[:-1].
	var ap float64
	for i := 0; i+1 < len(got); i++ {
		ap -= (got[i+1].X - got[i].X) * got[i].Y
	}
	assert.InDelta(t, 0.7, ap, 1e-15)
}

func TestPRMatchesScikitLearnExample(t *testing.T) {
	// precision_recall_curve docs: y [0, 0, 1, 1], scores [0.1, 0.4, 0.35, 0.8]
	// → precision [.5, .667, .5, 1, 1], recall [1, 1, .5, .5, 0],
	//   thresholds [.1, .35, .4, .8]
	got := PR([]float64{0, 0, 1, 1}, []float64{0.1, 0.4, 0.35, 0.8})
	assert.InDeltaSlice(t, []float64{0.5, 2.0 / 3, 0.5, 1, 1}, ys(got), 1e-15)
	assert.Equal(t, []float64{1, 1, 0.5, 0.5, 0}, xs(got))
	assert.Equal(t, []float64{0.1, 0.35, 0.4, 0.8, inf}, thresholds(got))
}

func TestCurvesUndefinedAndJSON(t *testing.T) {
	assert.Nil(t, ROC([]float64{1, 1}, []float64{0.3, 0.6}), "no negative: FPR is 0/0")
	assert.Nil(t, PR([]float64{0, 0}, []float64{0.3, 0.6}), "no positive: recall is 0/0")
	assert.NotNil(t, PR([]float64{1, 1}, []float64{0.3, 0.6}), "no negative is fine for PR")
	assert.Nil(t, ROC([]float64{0, 1}, []float64{0.3}), "invalid input")

	b, err := json.Marshal(ROC([]float64{0, 1}, []float64{0.3, 0.6}))
	require.NoError(t, err, "the +Inf threshold must not break encoding")
	assert.JSONEq(t, `[{"x":0,"y":0,"threshold":null},{"x":0,"y":1,"threshold":0.6},{"x":1,"y":1,"threshold":0.3}]`, string(b))
	var back []CurvePoint
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, ROC([]float64{0, 1}, []float64{0.3, 0.6}), back)
}

func xs(c []CurvePoint) []float64 {
	out := make([]float64, len(c))
	for i, p := range c {
		out[i] = p.X
	}
	return out
}

func ys(c []CurvePoint) []float64 {
	out := make([]float64, len(c))
	for i, p := range c {
		out[i] = p.Y
	}
	return out
}

func thresholds(c []CurvePoint) []float64 {
	out := make([]float64, len(c))
	for i, p := range c {
		out[i] = p.Threshold
	}
	return out
}

func trapezoid(c []CurvePoint) float64 {
	var a float64
	for i := 1; i < len(c); i++ {
		a += (c[i].X - c[i-1].X) * (c[i].Y + c[i-1].Y) / 2
	}
	return a
}
