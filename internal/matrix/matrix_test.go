package matrix

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRoundTripIsExact(t *testing.T) {
	m := Matrix{Names: []string{"a", "b"}, X: []float64{0.1, 1.0 / 3, -2e-300, 7}, Y: []float64{1, 0}}
	var buf bytes.Buffer
	require.NoError(t, Write(&buf, m))
	got, err := Read(&buf, "m.csv")
	require.NoError(t, err)
	assert.Equal(t, m, got)
	assert.Equal(t, 2, got.Rows())
	assert.Equal(t, 2, got.Cols())
}

func TestWriteRefusesWrongShape(t *testing.T) {
	err := Write(&bytes.Buffer{}, Matrix{Names: []string{"a"}, X: []float64{1, 2}, Y: []float64{1}})
	assert.ErrorContains(t, err, "2 values for 1 rows × 1 features")
}

func TestReadNamesLineAndColumn(t *testing.T) {
	_, err := Read(strings.NewReader("a,b,__label\n1,2,0\n1,x,1\n"), "train.csv")
	assert.EqualError(t, err, `train.csv: line 3, column b: "x" is not a number`)
	_, err = Read(strings.NewReader("a,b\n1,2\n"), "raw.csv")
	assert.ErrorContains(t, err, "last column must be __label")
}

func TestWriteRefusesNonFiniteValues(t *testing.T) {
	var buf bytes.Buffer
	err := Write(&buf, Matrix{Names: []string{"a", "b"}, X: []float64{1, 2, 3, math.Inf(-1)}, Y: []float64{0, 1}})
	assert.EqualError(t, err, "matrix: row 2, feature b is -Inf: every value must be finite")
	err = Write(&buf, Matrix{Names: []string{"a"}, X: []float64{1}, Y: []float64{math.NaN()}})
	assert.EqualError(t, err, "matrix: row 1, label is NaN: every value must be finite")
}
