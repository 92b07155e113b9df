package perfest

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBinaryHandWorked(t *testing.T) {
	y := []bool{true, true, true, false, false, false, false, true}
	p := []float64{0.9, 0.8, 0.4, 0.6, 0.2, 0.1, 0.5, 0.7}
	r, err := Binary(y, p, 0.5)
	require.NoError(t, err)
	// 0.5 is not above 0.5: predicted negative.
	assert.Equal(t, Confusion{TP: 3, FP: 1, FN: 1, TN: 3}, r.Confusion)
	assert.Equal(t, 0.75, r.Accuracy.Value)
	assert.Equal(t, 0.75, r.F1.Value)
	// Var(F1) = 4·3·2·5/8⁴.
	assert.InDelta(t, 0.75-1.959963984540054*math.Sqrt(120.0/4096), r.F1.Low, 1e-12)
	assert.Equal(t, 1.0, r.F1.High, "clipped to 1")
	assert.Equal(t, 4, r.Positives)
}

func TestBinaryOneClassHasNoAUC(t *testing.T) {
	r, err := Binary([]bool{true, true}, []float64{0.7, 0.2}, 0.5)
	require.NoError(t, err)
	assert.Nil(t, r.ROCAUC)
	b, err := json.Marshal(r)
	require.NoError(t, err)
	assert.NotContains(t, string(b), "roc_auc")
}

func TestBadInputSaysWhatToFix(t *testing.T) {
	_, err := Binary(nil, nil, 0.5)
	assert.EqualError(t, err, "perfest: no labelled predictions to score")
	_, err = Binary([]bool{true}, []float64{0.1, 0.2}, 0.5)
	assert.EqualError(t, err, "perfest: 1 labels but 2 predictions; they must pair up row by row")
	_, err = Binary([]bool{true, false}, []float64{0.1, math.NaN()}, 0.5)
	assert.EqualError(t, err, "perfest: probability at row 1 is NaN; probabilities must be in [0, 1]")
	_, err = Binary([]bool{true}, []float64{0.1}, 1.5)
	assert.EqualError(t, err, "perfest: threshold is 1.5; it must be in [0, 1]")
	_, err = CBPE(nil, 0.5, nil)
	assert.EqualError(t, err, "perfest: no predictions to estimate from")
	_, err = CBPE([]float64{1.2}, 0.5, nil)
	assert.EqualError(t, err, "perfest: probability at row 0 is 1.2; probabilities must be in [0, 1]")
	_, err = FitIsotonic(make([]float64, 10), make([]bool, 10))
	assert.EqualError(t, err, "perfest: calibration needs at least 100 labelled reference rows; got 10")
	_, err = Multiclass([]int{0, 3}, []int{0, 1}, 3)
	assert.EqualError(t, err, "perfest: row 1 has true class 3 and predicted class 1; classes are 0 to 2")
	_, err = Multiclass([]int{0}, []int{0}, 1)
	assert.EqualError(t, err, "perfest: 1 classes; a classifier has at least 2")
	_, err = Business(nil, []Outcome{{Variant: "canary", Value: math.Inf(1)}})
	assert.EqualError(t, err, `perfest: feedback 0 (variant "canary") has value +Inf; a value must be a finite number`)
	_, err = Business(map[string]int64{"production": -1}, nil)
	assert.EqualError(t, err, `perfest: variant "production" served -1 predictions; a count cannot be negative`)
}

func TestMulticlassHandWorked(t *testing.T) {
	yt := []int{0, 0, 1, 1, 2, 2, 2, 0}
	yp := []int{0, 1, 1, 1, 2, 0, 2, 0}
	r, err := Multiclass(yt, yp, 3)
	require.NoError(t, err)
	assert.Equal(t, [][]int64{{2, 1, 0}, {0, 2, 0}, {1, 0, 2}}, r.Confusion)
	assert.Equal(t, 0.75, r.Accuracy.Value)
	// Class F1: 0: 2·2/(4+1+1)=2/3; 1: 4/(4+1)=0.8; 2: 4/(4+1)=0.8.
	assert.InDeltaSlice(t, []float64{2.0 / 3, 0.8, 0.8}, r.PerClassF1, 1e-12)
	assert.InDelta(t, (2.0/3+1.6)/3, r.MacroF1.Value, 1e-12)
	assert.LessOrEqual(t, r.MacroF1.Low, r.MacroF1.Value)
	assert.GreaterOrEqual(t, r.MacroF1.High, r.MacroF1.Value)
	again, err := Multiclass(yt, yp, 3)
	require.NoError(t, err)
	assert.Equal(t, r.MacroF1, again.MacroF1, "the bootstrap seed is fixed")
}

func TestBusinessPerVariant(t *testing.T) {
	out, err := Business(map[string]int64{"production": 10, "canary": 4}, []Outcome{
		{Variant: "production", Converted: true, Value: 30},
		{Variant: "production", Converted: false, Value: 0},
		{Variant: "canary", Converted: true, Value: 20},
		{Variant: "canary", Converted: true, Value: 10},
		{Variant: "shadow", Converted: true, Value: 5},
	})
	require.NoError(t, err)
	require.Len(t, out, 3)
	assert.Equal(t, []string{"canary", "production", "shadow"}, []string{out[0].Variant, out[1].Variant, out[2].Variant})
	assert.Equal(t, 1.0, out[0].ConversionRate.Value)
	assert.Equal(t, 7.5, out[0].ValuePerPrediction.Value, "30 over 4 predictions")
	assert.Equal(t, 0.5, out[1].ConversionRate.Value)
	assert.Equal(t, 3.0, out[1].ValuePerPrediction.Value, "30 over 10 predictions")
	// Feedback for a variant with no counted predictions is spread over
	// its labelled rows.
	assert.Equal(t, 5.0, out[2].ValuePerPrediction.Value)
	assert.Equal(t, int64(0), out[2].Predictions)
}

// coverage counts how often an interval holds the truth over seeded
// replications; a 95% interval should, about 95% of the time.
func TestIntervalCoverage(t *testing.T) {
	const reps, n = 1000, 2000
	// Cells: TP .24, FP .06, FN .07, TN .63.
	trueAcc := 0.87
	trueF1 := 0.48 / 0.61
	rng := rand.New(rand.NewPCG(5, 5))
	var accIn, f1In, aucIn, cbpeAccIn, cbpeF1In int
	y := make([]bool, n)
	p := make([]float64, n)
	for range reps {
		for i := range n {
			u := rng.Float64()
			switch {
			case u < 0.24:
				y[i], p[i] = true, 0.9
			case u < 0.30:
				y[i], p[i] = false, 0.9
			case u < 0.37:
				y[i], p[i] = true, 0.1
			default:
				y[i], p[i] = false, 0.1
			}
		}
		r, err := Binary(y, p, 0.5)
		require.NoError(t, err)
		if r.Accuracy.Low <= trueAcc && trueAcc <= r.Accuracy.High {
			accIn++
		}
		if r.F1.Low <= trueF1 && trueF1 <= r.F1.High {
			f1In++
		}
	}
	// AUC: binormal scores, true AUC Φ(1/√2).
	trueAUC := 0.5 * math.Erfc(-1/math.Sqrt2/math.Sqrt2)
	for range reps / 2 {
		for i := range n / 2 {
			y[i] = rng.Float64() < 0.3
			s := rng.NormFloat64()
			if y[i] {
				s++
			}
			p[i] = 1 / (1 + math.Exp(-s))
		}
		r, err := Binary(y[:n/2], p[:n/2], 0.5)
		require.NoError(t, err)
		if r.ROCAUC.Low <= trueAUC && trueAUC <= r.ROCAUC.High {
			aucIn++
		}
	}
	// CBPE: calibrated probabilities, labels drawn from them; the interval
	// is about the realised metric of the window.
	for range reps {
		for i := range n {
			p[i] = rng.Float64()
			y[i] = rng.Float64() < p[i]
		}
		est, err := CBPE(p, 0.5, nil)
		require.NoError(t, err)
		real, err := Binary(y, p, 0.5)
		require.NoError(t, err)
		if est.Accuracy.Low <= real.Accuracy.Value && real.Accuracy.Value <= est.Accuracy.High {
			cbpeAccIn++
		}
		if est.F1.Low <= real.F1.Value && real.F1.Value <= est.F1.High {
			cbpeF1In++
		}
	}
	for name, c := range map[string]float64{
		"accuracy (Wilson)": float64(accIn) / reps, "F1 (delta)": float64(f1In) / reps,
		"AUC (DeLong)":  float64(aucIn) / (reps / 2),
		"CBPE accuracy": float64(cbpeAccIn) / reps, "CBPE F1": float64(cbpeF1In) / reps,
	} {
		t.Logf("%s: %.3f", name, c)
		assert.InDelta(t, 0.95, c, 0.025, "%s covers the truth in %.1f%% of replications", name, 100*c)
	}
}

func TestBusinessVariantNamesAreValidUTF8(t *testing.T) {
	out, err := Business(nil, []Outcome{{Variant: "can\xffary", Converted: true, Value: 1}})
	require.NoError(t, err)
	require.Len(t, out, 1)
	assert.Equal(t, "can\uFFFDary", out[0].Variant)
	b, err := json.Marshal(out)
	require.NoError(t, err)
	var back []VariantBusiness
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, out, back)
}
