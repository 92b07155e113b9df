package perfest

import (
	"encoding/json"
	"fmt"
)

// CalibrationFormat names the stored calibration's format.
const CalibrationFormat = "mlpipe.calibration.v1"

// CalibrationFile is a calibration as stored beside a model version's
// evaluation report: the isotonic map fitted on the test split's
// probabilities and labels, which the monitor applies before CBPE.
type CalibrationFile struct {
	Format string `json:"format"`
	Method string `json:"method"`
	// FittedOn names the labelled rows it was fitted on (the test data).
	FittedOn string     `json:"fitted_on"`
	Isotonic Calibrator `json:"isotonic"`
}

// NewCalibrationFile fits the isotonic calibration on the test split.
func NewCalibrationFile(proba []float64, yTrue []bool, fittedOn string) (CalibrationFile, error) {
	c, err := FitIsotonic(proba, yTrue)
	if err != nil {
		return CalibrationFile{}, err
	}
	return CalibrationFile{Format: CalibrationFormat, Method: "isotonic", FittedOn: fittedOn, Isotonic: *c}, nil
}

// DecodeCalibrationFile reads a stored calibration, refusing a format
// this build does not know and a map that is not increasing.
func DecodeCalibrationFile(b []byte) (*CalibrationFile, error) {
	var f CalibrationFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("decode the calibration: %w", err)
	}
	if f.Format != CalibrationFormat || f.Method != "isotonic" {
		return nil, fmt.Errorf("calibration format %q (method %q) is not %s isotonic: upgrade the worker", f.Format, f.Method, CalibrationFormat)
	}
	c := f.Isotonic
	if len(c.X) == 0 || len(c.X) != len(c.Y) {
		return nil, fmt.Errorf("calibration has %d knots and %d values: want the same number, at least one", len(c.X), len(c.Y))
	}
	for i := 1; i < len(c.X); i++ {
		if c.X[i] < c.X[i-1] || c.Y[i] < c.Y[i-1] {
			return nil, fmt.Errorf("calibration knot %d is not increasing", i)
		}
	}
	return &f, nil
}
