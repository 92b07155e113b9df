package metrics

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// synthetic draws n rows where positives score higher on average, so every
// metric is informative but imperfect.
func synthetic(n int, seed uint64) (y, p []float64) {
	rng := rand.New(rand.NewPCG(seed, 7))
	y, p = make([]float64, n), make([]float64, n)
	for i := range n {
		if rng.Float64() < 0.3 {
			y[i] = 1
		}
		p[i] = math.Min(1, math.Max(0, 0.3+0.3*y[i]+0.2*rng.NormFloat64()))
	}
	return y, p
}

func TestBootstrapIsDeterministicForASeed(t *testing.T) {
	y, p := synthetic(300, 1)
	names := []string{F1, ROCAUC, LogLoss}
	a := Bootstrap(y, p, 0.5, names, 200, 42)
	b := Bootstrap(y, p, 0.5, names, 200, 42)
	c := Bootstrap(y, p, 0.5, names, 200, 43)
	require.Len(t, a, 3)
	assert.Equal(t, a, b)
	assert.NotEqual(t, a[ROCAUC].Low, c[ROCAUC].Low, "another seed draws other resamples")
}

func TestBootstrapIntervalContainsPoint(t *testing.T) {
	y, p := synthetic(400, 2)
	got := Bootstrap(y, p, 0.5, Names(), 1000, 1)
	r, err := Binary(y, p, 0.5)
	require.NoError(t, err)
	require.Len(t, got, len(Names()))
	for _, name := range Names() {
		iv := got[name]
		want, _ := r.Get(name)
		assert.Equal(t, want, iv.Point, name)
		assert.Less(t, iv.Low, iv.Point, name)
		assert.Greater(t, iv.High, iv.Point, name)
		assert.Equal(t, 1000, iv.Resamples, name+": both classes are drawn every time")
	}
}

func TestBootstrapHandWorked(t *testing.T) {
	// y = [1, 0], p = [0.9, 0.1]: every resample is classified perfectly, so
	// accuracy is 1 in all 100; AUC is 1 whenever both rows are drawn (half
	// of the resamples, on average) and undefined otherwise, so those are
	// skipped for roc_auc only.
	got := Bootstrap([]float64{1, 0}, []float64{0.9, 0.1}, 0.5, []string{Accuracy, ROCAUC}, 100, 3)
	assert.Equal(t, Interval{Low: 1, High: 1, Point: 1, Resamples: 100}, got[Accuracy])
	auc := got[ROCAUC]
	assert.Equal(t, 1.0, auc.Low)
	assert.Equal(t, 1.0, auc.High)
	assert.Greater(t, auc.Resamples, 20)
	assert.Less(t, auc.Resamples, 80)

	// Only positives: AUC is undefined in every resample and on the sample.
	got = Bootstrap([]float64{1, 1}, []float64{0.9, 0.1}, 0.5, []string{ROCAUC}, 10, 3)
	iv := got[ROCAUC]
	assert.Equal(t, 0, iv.Resamples)
	assert.True(t, math.IsNaN(iv.Low) && math.IsNaN(iv.High) && math.IsNaN(iv.Point))
	b, err := json.Marshal(iv)
	require.NoError(t, err)
	assert.JSONEq(t, `{"low":null,"high":null,"point":null,"resamples":0}`, string(b))
	var back Interval
	require.NoError(t, json.Unmarshal(b, &back))
	assert.True(t, math.IsNaN(back.Low))
}

func TestBootstrapRejects(t *testing.T) {
	y, p := []float64{0, 1}, []float64{0.2, 0.8}
	assert.Nil(t, Bootstrap(y, p, 0.5, []string{"auc"}, 10, 1), "unknown metric")
	assert.Nil(t, Bootstrap(y, p, 0.5, []string{F1}, 0, 1), "no resamples")
	assert.Nil(t, Bootstrap(y, p[:1], 0.5, []string{F1}, 10, 1), "invalid input")
}

func TestPercentileInterpolatesLikeNumpy(t *testing.T) {
	// np.percentile([1, 2, 3, 4, 5], 2.5): rank 0.025·4 = 0.1 → 1 + 0.1·1 = 1.1
	// np.percentile([1, 2, 3, 4, 5], 97.5): rank 3.9 → 4 + 0.9·1 = 4.9
	v := []float64{1, 2, 3, 4, 5}
	assert.InDelta(t, 1.1, percentile(v, 0.025), 1e-15)
	assert.InDelta(t, 4.9, percentile(v, 0.975), 1e-15)
	assert.Equal(t, 7.0, percentile([]float64{7}, 0.975))
	assert.True(t, math.IsNaN(percentile(nil, 0.5)))
}

// BenchmarkBootstrap: 1,000 resamples of 10,000 rows.
func BenchmarkBootstrap(b *testing.B) {
	y, p := synthetic(10000, 3)
	for _, bc := range []struct {
		name  string
		names []string
	}{
		{"threshold", []string{Accuracy, F1, Precision, Recall}},
		{"ranking", []string{ROCAUC, PRAUC}},
		{"all", Names()},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				Bootstrap(y, p, 0.5, bc.names, 1000, 1)
			}
		})
	}
}
