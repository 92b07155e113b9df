package report

import (
	"bytes"
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Plot size and resolution: 4.5×3.6 in at 128 dpi gives 576×460 px, sharp
// enough on a high-density screen while keeping each data: URI small.
const (
	plotWidth  = 4.5 * vg.Inch
	plotHeight = 3.6 * vg.Inch
	plotDPI    = 128
)

var (
	curveColor    = color.RGBA{R: 0x1f, G: 0x6f, B: 0xb4, A: 0xff}
	referenceGrey = color.RGBA{R: 0x99, G: 0x99, B: 0x99, A: 0xff}
)

// encodePNG draws p on a canvas of the standard size and returns the PNG bytes.
func encodePNG(p *plot.Plot) ([]byte, error) {
	c := vgimg.NewWith(vgimg.UseWH(plotWidth, plotHeight), vgimg.UseDPI(plotDPI))
	p.Draw(draw.New(c))
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("encode png: %w", err)
	}
	return buf.Bytes(), nil
}

// sans matches the page's sans-serif text; gonum/plot defaults to serif.
// Changing plot.DefaultFont would leak into every other user of gonum/plot.
var sans = font.Font{Typeface: "Liberation", Variant: "Sans"}

// newPlot returns an empty plot with every text in sans.
func newPlot(title string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font = font.From(sans, vg.Points(13))
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = font.From(sans, vg.Points(11))
		a.Tick.Label.Font = font.From(sans, vg.Points(10))
	}
	return p
}

// unitPlot returns a plot whose both axes span [0, 1], as rates and
// probabilities do, with a light grid.
func unitPlot(title, xLabel, yLabel string) *plot.Plot {
	p := newPlot(title)
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	p.X.Min, p.X.Max = 0, 1
	p.Y.Min, p.Y.Max = 0, 1.02 // room so a curve along y = 1 is not cut by the frame
	p.Add(plotter.NewGrid())
	return p
}

// toXYs checks that every point is finite and returns them for plotting;
// what names the curve in the error.
func toXYs(what string, points []Point) (plotter.XYs, error) {
	xys := make(plotter.XYs, len(points))
	for i, pt := range points {
		if !finite(pt.X) || !finite(pt.Y) {
			return nil, fmt.Errorf("%s point %d is (%v, %v): coordinates must be finite numbers", what, i, pt.X, pt.Y)
		}
		xys[i].X, xys[i].Y = pt.X, pt.Y
	}
	return xys, nil
}

// diagonal is the dashed y = x reference line.
func diagonal() *plotter.Line {
	l, _ := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}}) // constant finite points cannot fail
	l.Color = referenceGrey
	l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	return l
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
