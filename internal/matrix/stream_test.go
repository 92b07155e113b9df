package matrix

import (
	"bytes"
	"errors"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Written a block at a time, a matrix is the same file WriteBinary writes,
// and reads back exactly.
func TestWriterWritesWhatWriteBinaryWrites(t *testing.T) {
	m := Matrix{Names: []string{"a", "b"}, X: make([]float64, 2*10001), Y: make([]float64, 10001)}
	for i := range m.X {
		m.X[i] = math.Sin(float64(i)) / 3
	}
	for i := range m.Y {
		m.Y[i] = float64(i % 2)
	}
	var want bytes.Buffer
	require.NoError(t, WriteBinary(&want, m))
	for _, block := range []int{1, 3, 4096, 10001} {
		var got bytes.Buffer
		w, err := NewWriter(&got, m.Names, m.Rows())
		require.NoError(t, err)
		for lo := 0; lo < m.Rows(); lo += block {
			hi := min(lo+block, m.Rows())
			require.NoError(t, w.Write(m.X[2*lo:2*hi], m.Y[lo:hi]))
		}
		require.NoError(t, w.Close())
		require.Equal(t, want.Bytes(), got.Bytes(), "blocks of %d", block)
	}
	back, err := Read(bytes.NewReader(want.Bytes()), "m")
	require.NoError(t, err)
	assert.Equal(t, m, back)
}

// A value that is not finite is refused naming the row of the matrix, not
// of the block; too many or too few rows are refused too.
func TestWriterRefusesBadRows(t *testing.T) {
	w, err := NewWriter(&bytes.Buffer{}, []string{"a", "b"}, 3)
	require.NoError(t, err)
	require.NoError(t, w.Write([]float64{1, 2, 3, 4}, []float64{0, 1}))
	err = w.Write([]float64{5, math.NaN()}, []float64{1})
	assert.EqualError(t, err, "matrix: row 3, feature b is NaN: every value must be finite")
	assert.True(t, errors.Is(err, ErrNotFinite))
	err = w.Write([]float64{5, 6}, []float64{math.Inf(1)})
	assert.EqualError(t, err, "matrix: row 3, label is +Inf: every value must be finite")
	assert.EqualError(t, w.Close(), "matrix: 2 rows written of the 3 announced")
	assert.EqualError(t, w.Write([]float64{1, 2, 3, 4}, []float64{0, 1}), "matrix: 4 rows written, more than the 3 announced")
	assert.EqualError(t, w.Write([]float64{1}, []float64{0}), "matrix: 1 values for 1 rows × 2 features")
}
