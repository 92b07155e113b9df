package report

import (
	"bytes"
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"strings"
)

//go:embed page.html
var pageHTML string

var pageTemplate = template.Must(template.New("page").Funcs(template.FuncMap{
	"num":      func(f float64) string { return fmtFloat(f, 3) },
	"num4":     func(f float64) string { return fmtFloat(f, 4) },
	"measured": fmtMeasured,
	"delta":    fmtDelta,
	"interval": fmtInterval,
	"pct":      fmtPercent,
	"int":      fmtInt,
	"rate":     fmtRate,
	"dur":      fmtDuration,
	"time":     fmtTime,
}).Parse(pageHTML))

// view is what the template sees: the page plus what Render derives from it.
type view struct {
	Page
	Plots  []figure
	Failed []GateRow
}

// figure is one embedded plot.
type figure struct {
	Src template.URL // a data: URI, which html/template would otherwise refuse
	Alt string
}

// Render writes p as a self-contained HTML page. The whole page is built
// before anything is written, so a failed plot never leaves half a page in w.
func Render(w io.Writer, p Page) error {
	p.Labels = defaultLabels(p.Labels)
	if p.Title == "" {
		p.Title = "Evaluation of " + p.Model + " " + p.Version
	}
	v := view{Page: p}
	for _, g := range p.Gate {
		if !g.Passed {
			v.Failed = append(v.Failed, g)
		}
	}

	c := p.Confusion
	type plotSpec struct {
		name string
		alt  string
		draw func() ([]byte, error)
	}
	plots := []plotSpec{
		{"ROC", curveTitle("ROC curve", "AUC", p.AUC, len(p.ROC)), func() ([]byte, error) { return ROCPlot(p.ROC, p.AUC) }},
		{"precision-recall", curveTitle("Precision-recall curve", "AP", p.AP, len(p.PR)), func() ([]byte, error) { return PRPlot(p.PR, p.AP) }},
		{"confusion matrix", fmt.Sprintf("Confusion matrix: true %s %d, false %s %d, false %s %d, true %s %d",
			p.Labels[0], c[0][0], p.Labels[1], c[0][1], p.Labels[0], c[1][0], p.Labels[1], c[1][1]),
			func() ([]byte, error) { return ConfusionPlot(p.Confusion, p.Labels) }},
		{"calibration", "Reliability diagram", func() ([]byte, error) { return CalibrationPlot(p.Calibration) }},
	}
	if p.MultiClass() {
		plots = []plotSpec{
			{"ROC", fmt.Sprintf("One-vs-rest ROC curves of %d classes, macro AUC %s", len(p.Classes), fmtFloat(p.AUC, 3)),
				func() ([]byte, error) { return ROCOvRPlot(p.ClassROC, p.AUC) }},
			{"confusion matrix", confusionAlt(p.ConfusionK, p.Classes),
				func() ([]byte, error) { return ConfusionPlotK(p.ConfusionK, p.Classes) }},
		}
	}
	for _, pl := range plots {
		png, err := pl.draw()
		if err != nil {
			return fmt.Errorf("render report: %s plot: %w", pl.name, err)
		}
		v.Plots = append(v.Plots, figure{
			Src: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png)),
			Alt: pl.alt,
		})
	}

	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, v); err != nil {
		return fmt.Errorf("render report: %w", err)
	}
	if _, err := buf.WriteTo(w); err != nil {
		return fmt.Errorf("render report: write: %w", err)
	}
	return nil
}

// confusionAlt describes a K×K matrix for readers who cannot see the plot.
func confusionAlt(m [][]int, classes []string) string {
	var b strings.Builder
	b.WriteString("Confusion matrix, actual → predicted:")
	for a, row := range m {
		for pr, n := range row {
			if a < len(classes) && pr < len(classes) {
				fmt.Fprintf(&b, " %s→%s %d;", classes[a], classes[pr], n)
			}
		}
	}
	return strings.TrimSuffix(b.String(), ";")
}
