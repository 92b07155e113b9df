package perfest

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCalibrationFileRoundTripsAndRefusesBadOnes(t *testing.T) {
	p := make([]float64, 200)
	y := make([]bool, 200)
	for i := range p {
		p[i] = float64(i) / 200
		y[i] = i%3 == 0 || i > 150
	}
	f, err := NewCalibrationFile(p, y, "file:///test.parquet")
	require.NoError(t, err)
	b, err := json.Marshal(f)
	require.NoError(t, err)
	got, err := DecodeCalibrationFile(b)
	require.NoError(t, err)
	assert.Equal(t, f, *got)
	assert.Equal(t, 200, got.Isotonic.Rows)

	_, err = NewCalibrationFile(p[:50], y[:50], "x")
	assert.ErrorContains(t, err, "calibration needs at least 100 labelled reference rows; got 50")
	for body, want := range map[string]string{
		`{"format":"mlpipe.calibration.v9","method":"isotonic"}`:                                          `calibration format "mlpipe.calibration.v9" (method "isotonic") is not mlpipe.calibration.v1 isotonic: upgrade the worker`,
		`{"format":"mlpipe.calibration.v1","method":"isotonic","isotonic":{"x":[0.1,0.2],"y":[0.5]}}`:     "calibration has 2 knots and 1 values",
		`{"format":"mlpipe.calibration.v1","method":"isotonic","isotonic":{"x":[0.1,0.2],"y":[0.5,0.4]}}`: "calibration knot 1 is not increasing",
		`not json`: "decode the calibration",
	} {
		_, err := DecodeCalibrationFile([]byte(body))
		assert.ErrorContains(t, err, want, body)
	}
}
