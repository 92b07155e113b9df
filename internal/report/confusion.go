package report

import (
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// ConfusionPlot draws the 2×2 confusion matrix as a heatmap with the count
// and share of all rows written in each cell, and returns a PNG.
// m is indexed [actual][predicted]; labels are negative, positive.
func ConfusionPlot(m [2][2]int, labels [2]string) ([]byte, error) {
	labels = defaultLabels(labels)
	return ConfusionPlotK([][]int{m[0][:], m[1][:]}, labels[:])
}

// ConfusionPlotK draws a K×K confusion matrix the same way: m is indexed
// [actual][predicted] and labels names the classes in that order. Actual
// class 0 is the top row; the diagonal, the correct predictions, runs from
// top left to bottom right.
func ConfusionPlotK(m [][]int, labels []string) ([]byte, error) {
	k := len(labels)
	if len(m) != k {
		return nil, fmt.Errorf("confusion matrix has %d rows for %d classes", len(m), k)
	}
	total, peak := 0, 0
	for _, row := range m {
		if len(row) != k {
			return nil, fmt.Errorf("confusion matrix row has %d cells for %d classes", len(row), k)
		}
		for _, n := range row {
			if n < 0 {
				return nil, fmt.Errorf("confusion matrix holds a negative count %d: counts must be zero or more", n)
			}
			total += n
			peak = max(peak, n)
		}
	}

	p := newPlot("Confusion matrix")
	p.X.Label.Text = "Predicted"
	p.Y.Label.Text = "Actual"
	// Actual class 0 sits on the top row, at y = k-1.
	reversed := make([]string, k)
	for i, l := range labels {
		reversed[k-1-i] = l
	}
	p.NominalX(labels...)
	p.NominalY(reversed...)
	p.X.Min, p.X.Max = -0.5, float64(k)-0.5
	p.Y.Min, p.Y.Max = -0.5, float64(k)-0.5
	p.X.Padding, p.Y.Padding = 0, 0
	size := vg.Points(15)
	if k > 4 {
		size = vg.Points(max(8, 15-1.5*float64(k-4)))
	}

	var centres plotter.XYLabels
	var styles []text.Style
	for actual := range k {
		for predicted := range k {
			n := m[actual][predicted]
			x, y := float64(predicted), float64(k-1-actual)
			fill := cellColor(n, peak)
			cell, err := plotter.NewPolygon(plotter.XYs{
				{X: x - 0.5, Y: y - 0.5}, {X: x + 0.5, Y: y - 0.5},
				{X: x + 0.5, Y: y + 0.5}, {X: x - 0.5, Y: y + 0.5},
			})
			if err != nil {
				return nil, fmt.Errorf("confusion cell: %w", err)
			}
			cell.Color = fill
			cell.LineStyle.Color = color.White
			cell.LineStyle.Width = vg.Points(2)
			p.Add(cell)

			share := "—"
			if total > 0 {
				share = fmt.Sprintf("%.1f%%", 100*float64(n)/float64(total))
			}
			centres.XYs = append(centres.XYs, plotter.XY{X: x, Y: y})
			centres.Labels = append(centres.Labels, fmtInt(n)+"\n"+share)
			styles = append(styles, text.Style{
				Color:   textOn(fill),
				Font:    font.From(sans, size),
				XAlign:  draw.XCenter,
				YAlign:  draw.YCenter,
				Handler: plot.DefaultTextHandler,
			})
		}
	}
	cellLabels, err := plotter.NewLabels(centres)
	if err != nil {
		return nil, fmt.Errorf("confusion labels: %w", err)
	}
	cellLabels.TextStyle = styles
	p.Add(cellLabels)
	return encodePNG(p)
}

// cellColor shades from near white (zero) to deep blue (the largest count).
func cellColor(n, peak int) color.RGBA {
	t := 0.0
	if peak > 0 {
		t = float64(n) / float64(peak)
	}
	lerp := func(a, b uint8) uint8 { return uint8(float64(a) + t*(float64(b)-float64(a))) }
	return color.RGBA{R: lerp(0xf0, 0x08), G: lerp(0xf5, 0x45), B: lerp(0xff, 0x94), A: 0xff}
}

// textOn picks black or white text, whichever reads better on fill.
func textOn(fill color.RGBA) color.Color {
	luma := 0.299*float64(fill.R) + 0.587*float64(fill.G) + 0.114*float64(fill.B)
	if luma < 140 {
		return color.White
	}
	return color.Black
}

func defaultLabels(l [2]string) [2]string {
	if l[0] == "" {
		l[0] = "negative"
	}
	if l[1] == "" {
		l[1] = "positive"
	}
	return l
}
