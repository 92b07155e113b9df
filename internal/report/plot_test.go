package report

import (
	"bytes"
	"image/color"
	"image/png"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func decodePNG(t *testing.T, b []byte) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	require.NoError(t, err)
	assert.Equal(t, 576, img.Bounds().Dx())
}

func TestPlotsAreDecodablePNGs(t *testing.T) {
	p := samplePage()
	for name, draw := range map[string]func() ([]byte, error){
		"roc":            func() ([]byte, error) { return ROCPlot(p.ROC, p.AUC) },
		"roc empty":      func() ([]byte, error) { return ROCPlot(nil, math.NaN()) },
		"pr":             func() ([]byte, error) { return PRPlot(p.PR, p.AP) },
		"pr empty":       func() ([]byte, error) { return PRPlot(nil, math.NaN()) },
		"confusion":      func() ([]byte, error) { return ConfusionPlot(p.Confusion, p.Labels) },
		"confusion zero": func() ([]byte, error) { return ConfusionPlot([2][2]int{}, [2]string{}) },
		"calibration":    func() ([]byte, error) { return CalibrationPlot(p.Calibration) },
		"calibration empty": func() ([]byte, error) {
			return CalibrationPlot([]CalBin{{Lower: 0, Upper: 1, MeanPredicted: math.NaN(), Observed: math.NaN()}})
		},
	} {
		t.Run(name, func(t *testing.T) {
			b, err := draw()
			require.NoError(t, err)
			decodePNG(t, b)
		})
	}
}

func TestPlotsRejectBadInput(t *testing.T) {
	_, err := PRPlot([]Point{{0, 1}, {math.Inf(1), 0.5}}, 0.5)
	assert.ErrorContains(t, err, "precision-recall point 1")

	_, err = CalibrationPlot([]CalBin{{Lower: 0, Upper: 1, Count: 3, MeanPredicted: math.NaN(), Observed: 0.5}})
	assert.ErrorContains(t, err, "calibration point 0")

	_, err = ConfusionPlot([2][2]int{{1, -2}, {3, 4}}, [2]string{})
	assert.ErrorContains(t, err, "negative count -2")
}

func TestConfusionShading(t *testing.T) {
	// The largest count is the darkest cell and gets white text; zero is near white with black text.
	assert.Equal(t, color.RGBA{R: 0x08, G: 0x45, B: 0x94, A: 0xff}, cellColor(10, 10))
	assert.Equal(t, color.RGBA{R: 0xf0, G: 0xf5, B: 0xff, A: 0xff}, cellColor(0, 10))
	assert.Equal(t, color.RGBA{R: 0xf0, G: 0xf5, B: 0xff, A: 0xff}, cellColor(0, 0), "an all-zero matrix does not divide by zero")
	assert.Equal(t, color.White, textOn(cellColor(10, 10)))
	assert.Equal(t, color.Black, textOn(cellColor(0, 10)))
}
