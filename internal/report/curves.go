package report

import (
	"fmt"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// ROCPlot draws the ROC curve with the chance diagonal and returns a PNG.
// points are (false positive rate, true positive rate); auc may be NaN.
// No points draws the axes and the diagonal only.
func ROCPlot(points []Point, auc float64) ([]byte, error) {
	p := unitPlot(curveTitle("ROC curve", "AUC", auc, len(points)), "False positive rate", "True positive rate")
	p.Add(diagonal())
	if err := addCurve(p, "ROC", points); err != nil {
		return nil, err
	}
	return encodePNG(p)
}

// PRPlot draws the precision-recall curve and returns a PNG.
// points are (recall, precision); ap (average precision) may be NaN.
func PRPlot(points []Point, ap float64) ([]byte, error) {
	p := unitPlot(curveTitle("Precision-recall", "AP", ap, len(points)), "Recall", "Precision")
	if err := addCurve(p, "precision-recall", points); err != nil {
		return nil, err
	}
	return encodePNG(p)
}

// curveTitle names the curve and its summary score; with no points the
// score is a zero value, not a measurement, so it says "no data" instead.
func curveTitle(name, score string, value float64, points int) string {
	if points == 0 {
		return name + " (no data)"
	}
	return name + " (" + score + " " + fmtFloat(value, 3) + ")"
}

// addCurve draws points as a solid line; no points adds nothing.
func addCurve(p *plot.Plot, what string, points []Point) error {
	if len(points) == 0 {
		return nil
	}
	xys, err := toXYs(what, points)
	if err != nil {
		return err
	}
	l, err := plotter.NewLine(xys)
	if err != nil {
		return fmt.Errorf("%s curve: %w", what, err)
	}
	l.Color = curveColor
	l.Width = vg.Points(2)
	p.Add(l)
	return nil
}
