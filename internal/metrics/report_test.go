package metrics

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReportClassAveragesAndScores(t *testing.T) {
	// y = [0, 0, 1, 1], p = [0.1, 0.4, 0.35, 0.8], threshold 0.5
	// → TN 2, FP 0, FN 1, TP 1 (see TestBinaryHandWorked).
	// balanced accuracy = (recall₁ ½ + recall₀ 2/2) / 2 = 0.75
	// F1₁ = 2/(2+0+1) = 2/3; F1₀ = 4/(4+1+0) = 4/5
	// macro = (2/3 + 4/5)/2 = 11/15; weighted (supports 2, 2) = 11/15
	// PR AUC (scikit-learn's average_precision_score docs: 0.83…):
	//   0.8: TP 1 FP 0 → R ½, P 1 → ½·1
	//   0.4: TP 1 FP 1 → R unchanged → 0
	//   0.35: TP 2 FP 1 → R 1, P 2/3 → ½·2/3 = 1/3
	//   0.1: negative only → 0        AP = ½ + 1/3 = 5/6
	// Brier = (0.1² + 0.4² + 0.65² + 0.2²)/4 = 0.6325/4 = 0.158125
	r, err := Binary([]float64{0, 0, 1, 1}, []float64{0.1, 0.4, 0.35, 0.8}, 0.5)
	require.NoError(t, err)
	assert.InDelta(t, 0.75, r.BalancedAccuracy, 1e-15)
	assert.InDelta(t, 11.0/15, r.F1Macro, 1e-15)
	assert.InDelta(t, 11.0/15, r.F1Weighted, 1e-15)
	assert.InDelta(t, 5.0/6, r.PRAUC, 1e-15)
	assert.InDelta(t, 0.158125, r.Brier, 1e-15)
}

func TestReportWeightedDiffersFromMacro(t *testing.T) {
	// y = [0, 1, 0, 1, 1], p = [0.2, 0.2, 0.6, 0.6, 0.9], threshold 0.5
	// → TN 1, FP 1, FN 1, TP 2; supports: 3 positives, 2 negatives.
	// recall₁ 2/3, recall₀ ½ → balanced (2/3 + ½)/2 = 7/12
	// F1₁ = 4/(4+1+1) = 2/3; F1₀ = 2/(2+1+1) = ½
	// macro = 7/12; weighted = (3·2/3 + 2·½)/5 = 3/5
	// AP: 0.9: TP 1 FP 0 → ⅓·1; 0.6: TP 2 FP 1 → ⅓·2/3; 0.2: TP 3 FP 2 → ⅓·3/5
	//   = 15/45 + 10/45 + 9/45 = 34/45
	// Brier = (0.04 + 0.64 + 0.36 + 0.16 + 0.01)/5 = 0.242
	r, err := Binary([]float64{0, 1, 0, 1, 1}, []float64{0.2, 0.2, 0.6, 0.6, 0.9}, 0.5)
	require.NoError(t, err)
	assert.InDelta(t, 7.0/12, r.BalancedAccuracy, 1e-15)
	assert.InDelta(t, 7.0/12, r.F1Macro, 1e-15)
	assert.InDelta(t, 0.6, r.F1Weighted, 1e-15)
	assert.InDelta(t, 34.0/45, r.PRAUC, 1e-15)
	assert.InDelta(t, 0.242, r.Brier, 1e-15)
}

func TestBrierMatchesScikitLearnExample(t *testing.T) {
	// brier_score_loss docs: y [0, 1, 1, 0], p [0.1, 0.9, 0.8, 0.3] → 0.0375
	// = (0.01 + 0.01 + 0.04 + 0.09)/4.
	r, err := Binary([]float64{0, 1, 1, 0}, []float64{0.1, 0.9, 0.8, 0.3}, 0.5)
	require.NoError(t, err)
	assert.InDelta(t, 0.0375, r.Brier, 1e-15)
}

func TestReportOneClassSamples(t *testing.T) {
	// All positive and all predicted positive: only class 1 is present
	// anywhere, so balanced accuracy and both F1 averages are 1, not ½.
	// AP: 0.9 → ½·1, 0.8 → ½·1 = 1. AUC is undefined.
	r, err := Binary([]float64{1, 1}, []float64{0.9, 0.8}, 0.5)
	require.NoError(t, err)
	assert.Equal(t, 1.0, r.BalancedAccuracy)
	assert.Equal(t, 1.0, r.F1Macro)
	assert.Equal(t, 1.0, r.F1Weighted)
	assert.Equal(t, 1.0, r.PRAUC)
	assert.True(t, math.IsNaN(r.ROCAUC))

	// No positive: PR AUC is undefined as well, and both are null in JSON.
	// Predicted [0, 1] → TN 1, FP 1: balanced = recall₀ = ½;
	// F1₀ = 2/(2+0+1) = 2/3 and F1₁ = 0 (class 1 is predicted, so it counts)
	// → macro ⅓, weighted (supports 0, 2) = 2/3.
	r, err = Binary([]float64{0, 0}, []float64{0.2, 0.7}, 0.5)
	require.NoError(t, err)
	assert.True(t, math.IsNaN(r.PRAUC))
	assert.InDelta(t, 0.5, r.BalancedAccuracy, 1e-15)
	assert.InDelta(t, 1.0/3, r.F1Macro, 1e-15)
	assert.InDelta(t, 2.0/3, r.F1Weighted, 1e-15)
	b, err := json.Marshal(r)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"pr_auc":null`)
	assert.Contains(t, string(b), `"roc_auc":null`)
	var back Report
	require.NoError(t, json.Unmarshal(b, &back))
	assert.True(t, math.IsNaN(back.PRAUC))
	assert.Equal(t, r.Brier, back.Brier)
}

// The bootstrap scores resamples from row multiplicities; they must give
// exactly what Binary gives on the rows written out that many times.
func TestWeightedReportEqualsExpandedRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	n := 60
	y, p := make([]float64, n), make([]float64, n)
	for i := range n {
		y[i] = float64(rng.IntN(2))
		p[i] = float64(rng.IntN(11)) / 10 // many ties
	}
	s := newScorer(y, p)
	for range 20 {
		// Multiplicities are per sorted position; expand them into rows.
		w := make([]int32, n)
		var ey, ep []float64
		for range n {
			k := rng.IntN(n)
			w[k]++
			ey, ep = append(ey, float64(s.y[k])), append(ep, s.p[k])
		}
		want, err := Binary(ey, ep, 0.45)
		require.NoError(t, err)
		got := s.report(w, 0.45, true)
		assert.Equal(t, want.Confusion, got.Confusion)
		for _, name := range Names() {
			wv, _ := want.Get(name)
			gv, _ := got.Get(name)
			if math.IsNaN(wv) {
				assert.True(t, math.IsNaN(gv), name)
				continue
			}
			assert.InDelta(t, wv, gv, 1e-12, name)
		}
	}
}
