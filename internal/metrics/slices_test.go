package metrics

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSlicesHandWorked(t *testing.T) {
	// rows:    0      1      2      3      4      5
	// y        1      0      1      0      1      1
	// p        0.9    0.2    0.4    0.6    0.7    0.3
	// group    b      a      a      b      c      c
	// a: y [0, 1], p [0.2, 0.4] → nothing above 0.5: TN 1, FN 1; AUC 1
	// b: y [1, 0], p [0.9, 0.6] → TP 1, FP 1: precision ½; AUC 1
	// c: y [1, 1], p [0.7, 0.3] → TP 1, FN 1; one class → AUC NaN
	y := []float64{1, 0, 1, 0, 1, 1}
	p := []float64{0.9, 0.2, 0.4, 0.6, 0.7, 0.3}
	got, err := Slices(y, p, 0.5, []string{"b", "a", "a", "b", "c", "c"})
	require.NoError(t, err)
	require.Len(t, got, 3)
	assert.Equal(t, []string{"a", "b", "c"}, []string{got[0].Group, got[1].Group, got[2].Group})
	for _, s := range got {
		assert.Equal(t, 2, s.Rows)
	}
	assert.Equal(t, Confusion{TN: 1, FN: 1}, got[0].Report.Confusion)
	assert.Equal(t, 1.0, got[0].Report.ROCAUC)
	assert.Equal(t, Confusion{TP: 1, FP: 1}, got[1].Report.Confusion)
	assert.Equal(t, 0.5, got[1].Report.Precision)
	assert.Equal(t, Confusion{TP: 1, FN: 1}, got[2].Report.Confusion)
	assert.True(t, math.IsNaN(got[2].Report.ROCAUC))

	want, err := Binary([]float64{1, 0}, []float64{0.9, 0.6}, 0.5)
	require.NoError(t, err)
	assert.Equal(t, want, got[1].Report)
}

func TestSlicesRejects(t *testing.T) {
	_, err := Slices([]float64{0, 1}, []float64{0.1, 0.9}, 0.5, []string{"a"})
	assert.ErrorContains(t, err, "1 group values for 2 rows")
	_, err = Slices([]float64{0, 1}, []float64{0.1, 1.9}, 0.5, []string{"a", "b"})
	assert.ErrorContains(t, err, "probability at row 1 is 1.9")
}
