package report

import (
	"fmt"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// CalibrationPlot draws the reliability diagram: for each non-empty bin the
// mean predicted probability against the observed positive rate, with the
// diagonal that a perfectly calibrated model would follow. Returns a PNG.
func CalibrationPlot(bins []CalBin) ([]byte, error) {
	p := unitPlot("Calibration", "Mean predicted probability", "Observed positive rate")
	p.Add(diagonal())
	var points []Point
	for _, b := range bins {
		if b.Count == 0 { // empty bins have no observed rate to show
			continue
		}
		points = append(points, Point{X: b.MeanPredicted, Y: b.Observed})
	}
	if len(points) == 0 {
		return encodePNG(p)
	}
	if err := addCurve(p, "calibration", points); err != nil {
		return nil, err
	}
	xys, _ := toXYs("calibration", points) // addCurve has checked them
	dots, err := plotter.NewScatter(xys)
	if err != nil {
		return nil, fmt.Errorf("calibration points: %w", err)
	}
	dots.GlyphStyle = draw.GlyphStyle{Color: curveColor, Radius: vg.Points(3.5), Shape: draw.CircleGlyph{}}
	p.Add(dots)
	return encodePNG(p)
}
