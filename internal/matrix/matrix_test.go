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

func TestBinaryRoundTripIsExact(t *testing.T) {
	m := Matrix{Names: []string{"a", "b=x y"}, X: []float64{0.1, 1.0 / 3, -2e-300, math.MaxFloat64, math.Copysign(0, -1), 5e-324}, Y: []float64{1, 0, 2}}
	var buf bytes.Buffer
	require.NoError(t, WriteBinary(&buf, m))
	assert.Equal(t, magic, buf.String()[:len(magic)])
	got, err := Read(bytes.NewReader(buf.Bytes()), "train.matrix")
	require.NoError(t, err)
	require.Equal(t, m.Names, got.Names)
	for i := range m.X {
		assert.Equal(t, math.Float64bits(m.X[i]), math.Float64bits(got.X[i]), "X[%d]", i)
	}
	assert.Equal(t, m.Y, got.Y)
	// 8 bytes a value plus the header: far below CSV's text.
	assert.Less(t, buf.Len(), len(magic)+4+200+8*9)
}

func TestBinaryWriteRefusesWhatCSVRefuses(t *testing.T) {
	err := WriteBinary(&bytes.Buffer{}, Matrix{Names: []string{"a"}, X: []float64{1, 2}, Y: []float64{1}})
	assert.ErrorContains(t, err, "2 values for 1 rows × 1 features")
	err = WriteBinary(&bytes.Buffer{}, Matrix{Names: []string{"a"}, X: []float64{math.NaN()}, Y: []float64{1}})
	assert.EqualError(t, err, "matrix: row 1, feature a is NaN: every value must be finite")
}

func TestBinaryReaderIsStrictAndNamesTheFile(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, WriteBinary(&buf, Matrix{Names: []string{"a", "b"}, X: []float64{1, 2, 3, 4}, Y: []float64{0, 1}}))
	good := buf.Bytes()
	hlen := int(good[len(magic)])
	header := string(good[len(magic)+4 : len(magic)+4+hlen])
	withHeader := func(h string) []byte {
		out := []byte(magic)
		out = append(out, byte(len(h)), 0, 0, 0)
		out = append(out, h...)
		return append(out, good[len(magic)+4+hlen:]...)
	}
	cases := map[string]struct {
		body []byte
		want string
	}{
		"cut short":      {good[:len(good)-3], "f.matrix: y: unexpected EOF (the header says 2 rows × 2 cols: the file is cut short)"},
		"trailing bytes": {append(append([]byte{}, good...), 0), "f.matrix: bytes after the 2 rows × 2 cols the header announces: the file is corrupt"},
		"wrong dtype":    {withHeader(strings.Replace(header, "float64", "float32", 1)), `f.matrix: dtype "float32"; this mlpipe reads float64`},
		"cols disagree":  {withHeader(strings.Replace(header, `"cols":2`, `"cols":3`, 1)), "f.matrix: header says 3 cols but names 2"},
		"bad header":     {withHeader(strings.Replace(header, "{", "[", 1)), "f.matrix: header: "},
		"huge header":    {append([]byte(magic), 0xff, 0xff, 0xff, 0x7f), "f.matrix: header length 2147483647 is over 67108864 bytes: the file is corrupt"},
		"no header":      {[]byte(magic), "f.matrix: not a feature matrix: unexpected EOF"},
	}
	for name, c := range cases {
		_, err := Read(bytes.NewReader(c.body), "f.matrix")
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), c.want, name)
	}
	nan := bytes.Clone(good)
	copy(nan[len(nan)-8:], []byte{0, 0, 0, 0, 0, 0, 0xf8, 0x7f})
	_, err := Read(bytes.NewReader(nan), "f.matrix")
	assert.EqualError(t, err, "f.matrix: matrix: row 2, label is NaN: every value must be finite")
}

func TestReadStillReadsCSVMatrices(t *testing.T) {
	got, err := Read(strings.NewReader("a,b,__label\n1,2,0\n3,4.5,1\n"), "train.csv")
	require.NoError(t, err)
	assert.Equal(t, Matrix{Names: []string{"a", "b"}, X: []float64{1, 2, 3, 4.5}, Y: []float64{0, 1}}, got)
}
