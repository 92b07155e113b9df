package report

import (
	"fmt"
	"image/color"

	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// ClassCurve is one class's one-vs-rest ROC curve; AUC may be NaN and
// Points empty when the class is missing from the test rows.
type ClassCurve struct {
	Label  string
	AUC    float64
	Points []Point
}

// classColors tell up to eight classes apart (Tableau 10, which reads for
// the common colour-vision deficiencies); more classes reuse them.
var classColors = []color.RGBA{
	{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}, {R: 0xff, G: 0x7f, B: 0x0e, A: 0xff},
	{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff}, {R: 0xd6, G: 0x27, B: 0x28, A: 0xff},
	{R: 0x94, G: 0x67, B: 0xbd, A: 0xff}, {R: 0x8c, G: 0x56, B: 0x4b, A: 0xff},
	{R: 0xe3, G: 0x77, B: 0xc2, A: 0xff}, {R: 0x7f, G: 0x7f, B: 0x7f, A: 0xff},
}

// ROCOvRPlot draws each class's one-vs-rest ROC curve, one colour per class
// with its AUC in the legend, over the chance diagonal; macro is the mean
// AUC shown in the title (NaN when undefined).
func ROCOvRPlot(curves []ClassCurve, macro float64) ([]byte, error) {
	title := "ROC one-vs-rest (macro AUC " + fmtFloat(macro, 3) + ")"
	if len(curves) == 0 {
		title = "ROC one-vs-rest (no data)"
	}
	p := unitPlot(title, "False positive rate", "True positive rate")
	p.Add(diagonal())
	p.Legend.Top, p.Legend.Left = false, false
	p.Legend.TextStyle.Font = font.From(sans, vg.Points(9))
	for i, c := range curves {
		name := fmt.Sprintf("%s (AUC %s)", c.Label, fmtFloat(c.AUC, 3))
		if len(c.Points) == 0 {
			// No curve to draw (a class absent from the test rows): the
			// legend still names it, so its undefined AUC is not lost.
			p.Legend.Add(name + ", no curve")
			continue
		}
		xys, err := toXYs("ROC of "+c.Label, c.Points)
		if err != nil {
			return nil, err
		}
		l, err := plotter.NewLine(xys)
		if err != nil {
			return nil, fmt.Errorf("ROC curve of %s: %w", c.Label, err)
		}
		l.Color = classColors[i%len(classColors)]
		l.Width = vg.Points(1.6)
		p.Add(l)
		p.Legend.Add(name, l)
	}
	return encodePNG(p)
}
