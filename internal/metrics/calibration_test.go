package metrics

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCalibrationHandWorked(t *testing.T) {
	// 4 bins: [0, .25], (.25, .5], (.5, .75], (.75, 1]
	// p = [0, 0.1, 0.2, 0.25, 0.6, 0.9, 1.0], y = [0, 0, 1, 0, 1, 1, 1]
	//   bin 0: 0, 0.1, 0.2, 0.25 (an edge goes to the lower bin) → count 4,
	//          mean (0+0.1+0.2+0.25)/4 = 0.1375, positives 1/4
	//   bin 1: empty → count 0, averages NaN
	//   bin 2: 0.6 → mean 0.6, positives 1/1
	//   bin 3: 0.9, 1.0 → mean 0.95, positives 2/2
	got := Calibration([]float64{0, 0, 1, 0, 1, 1, 1}, []float64{0, 0.1, 0.2, 0.25, 0.6, 0.9, 1.0}, 4)
	require.Len(t, got, 4)
	for k, b := range got {
		assert.Equal(t, float64(k)/4, b.Lower)
		assert.Equal(t, float64(k+1)/4, b.Upper)
	}
	assert.Equal(t, []int{4, 0, 1, 2}, []int{got[0].Count, got[1].Count, got[2].Count, got[3].Count})
	assert.InDelta(t, 0.1375, got[0].MeanPredicted, 1e-15)
	assert.Equal(t, 0.25, got[0].FractionPositive)
	assert.True(t, math.IsNaN(got[1].MeanPredicted))
	assert.True(t, math.IsNaN(got[1].FractionPositive))
	assert.Equal(t, 0.6, got[2].MeanPredicted)
	assert.Equal(t, 1.0, got[2].FractionPositive)
	assert.InDelta(t, 0.95, got[3].MeanPredicted, 1e-15)
	assert.Equal(t, 1.0, got[3].FractionPositive)

	b, err := json.Marshal(got)
	require.NoError(t, err, "an empty bin's NaN must not break encoding")
	assert.Contains(t, string(b), `{"lower":0.25,"upper":0.5,"count":0,"mean_predicted":null,"fraction_positive":null}`)
	var back []CalibrationBin
	require.NoError(t, json.Unmarshal(b, &back))
	assert.True(t, math.IsNaN(back[1].MeanPredicted))
	assert.Equal(t, got[3], back[3])
}

func TestCalibrationEdgesWithTenBins(t *testing.T) {
	// 0.3 and 0.7 sit exactly on edges 3/10 and 7/10 (0.3·10 rounds to 3 in
	// floating point): each goes to the bin below; 0.30000000000000004 is
	// just above and goes up.
	got := Calibration([]float64{0, 1, 0}, []float64{0.3, 0.7, 0.30000000000000004}, 10)
	require.Len(t, got, 10)
	assert.Equal(t, 1, got[2].Count)
	assert.Equal(t, 1, got[3].Count)
	assert.Equal(t, 1, got[6].Count)

	assert.Nil(t, Calibration([]float64{0}, []float64{0.3}, 0))
	assert.Nil(t, Calibration([]float64{0}, []float64{1.3}, 10))
}
