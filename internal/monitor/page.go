package monitor

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html/template"
	"image/color"
	"io"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/mlpipe/mlpipe/internal/drift"
)

// WritePage writes the snapshot as one self-contained HTML page: the
// verdict, the drift table, reference-vs-current histograms of the drifted
// columns (PNG data URIs), the performance and business tables, and the
// infrastructure figures.
func WritePage(w io.Writer, s *Snapshot) error {
	var charts []chart
	for _, r := range s.driftResults() {
		if !r.Drifted || r.Histogram == nil {
			continue
		}
		png, err := histogramPNG(r)
		if err != nil {
			return fmt.Errorf("plot %s: %w", r.Column, err)
		}
		charts = append(charts, chart{Column: r.Column, Src: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))})
	}
	return pageTmpl.Execute(w, struct {
		*Snapshot
		Charts []chart
	}{s, charts})
}

type chart struct {
	Column string
	Src    template.URL
}

// driftResults are the features, then the label and the prediction.
func (s *Snapshot) driftResults() []drift.Result {
	out := append([]drift.Result(nil), s.Drift.Features...)
	for _, r := range []*drift.Result{s.Drift.Label, s.Drift.Prediction} {
		if r != nil {
			out = append(out, *r)
		}
	}
	return out
}

var (
	refColor = color.RGBA{R: 0x99, G: 0x99, B: 0x99, A: 0xff}
	curColor = color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}
	sans     = font.Font{Typeface: "Liberation", Variant: "Sans"}
)

// histogramPNG draws reference and current shares per bin side by side.
func histogramPNG(r drift.Result) ([]byte, error) {
	h := r.Histogram
	labels := h.Labels
	if len(labels) == 0 {
		for i := 0; i+1 < len(h.Edges); i++ {
			labels = append(labels, strconv.FormatFloat(h.Edges[i], 'g', 3, 64))
		}
	}
	shares := func(c []int64) plotter.Values {
		var tot float64
		for _, v := range c {
			tot += float64(v)
		}
		out := make(plotter.Values, len(labels))
		for i := range out {
			if i < len(c) && tot > 0 {
				out[i] = float64(c[i]) / tot
			}
		}
		return out
	}
	p := plot.New()
	p.Title.Text = r.Column + ": reference (grey) vs window (red)"
	p.Title.TextStyle.Font = font.From(sans, vg.Points(12))
	p.Y.Label.Text = "share of rows"
	p.X.Label.Text = "category"
	if len(h.Labels) == 0 {
		p.X.Label.Text = "bin from (the reference's deciles)"
	}
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = font.From(sans, vg.Points(10))
		a.Tick.Label.Font = font.From(sans, vg.Points(8))
	}
	w := vg.Points(8)
	ref, err := plotter.NewBarChart(shares(h.Reference), w)
	if err != nil {
		return nil, err
	}
	cur, err := plotter.NewBarChart(shares(h.Current), w)
	if err != nil {
		return nil, err
	}
	ref.Color, ref.LineStyle.Width, ref.Offset = refColor, 0, -w/2
	cur.Color, cur.LineStyle.Width, cur.Offset = curColor, 0, w/2
	p.Add(ref, cur)
	p.NominalX(labels...)
	c := vgimg.NewWith(vgimg.UseWH(6*vg.Inch, 3*vg.Inch), vgimg.UseDPI(110))
	p.Draw(draw.New(c))
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("encode png: %w", err)
	}
	return buf.Bytes(), nil
}

var pageTmpl = template.Must(template.New("page").Funcs(template.FuncMap{
	"pct": func(v float64) string { return strconv.FormatFloat(100*v, 'f', 1, 64) + "%" },
	"f3":  func(v float64) string { return strconv.FormatFloat(v, 'f', 3, 64) },
	"f1":  func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) },
	"t": func(s *Snapshot) string {
		return s.WindowStart.Format("2006-01-02 15:04:05") + " to " + s.WindowEnd.Format("15:04:05 MST")
	},
}).Parse(pageHTML))

const pageHTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>{{.Model}} monitor: {{.Verdict}}</title>
<style>
body{font-family:"Liberation Sans",Arial,sans-serif;margin:2em;max-width:72em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:right}
th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}.bad{color:#b00;font-weight:bold}
.verdict{font-size:1.3em;padding:.5em;border-left:.4em solid #888;background:#fafafa}
</style></head><body>
<h1>{{.Model}} version {{.ModelVersion}}</h1>
<p>Window {{t .Snapshot}}{{if .WorkflowID}} · workflow <code>{{.WorkflowID}}</code>{{end}}</p>
<p class="verdict">{{.Summary}}</p>
<p>{{.Traffic.Predictions}} predictions, {{.Traffic.Feedback}} feedback, {{.Traffic.Joined}} joined, {{.Traffic.UnknownFeedback}} feedback for unknown request IDs.
{{if .Reference}}Reference profile: <code>{{.Reference}}</code>.{{end}} {{.ReferenceNote}}</p>
{{range .Traffic.Skipped}}<p class="bad">skipped log batch: {{.}}</p>{{end}}
{{range .Warnings}}<p class="bad">{{.}}</p>{{end}}

<h2>Data quality</h2>
{{range .Quality.Violations}}<p class="bad">{{.}}</p>{{end}}
{{if .Quality.Columns}}<table><tr><th>column</th><th>kind</th><th>null rate</th><th>reference</th><th>out of range</th><th>unseen</th><th>wrong type</th></tr>
{{range .Quality.Columns}}<tr><td>{{.Column}}</td><td>{{.Kind}}</td><td>{{pct .NullRate}}</td><td>{{pct .RefNullRate}}</td><td>{{.OutOfRange}}</td><td>{{.Unseen}}{{range .UnseenExamples}} {{.}}{{end}}</td><td>{{.WrongType}}</td></tr>
{{end}}</table>{{end}}
<h3>Expectation suite</h3>
<p>{{.Quality.SuiteNote}}</p>
{{if .Quality.Expectations}}<table><tr><th>expectation</th><th>where</th><th>column</th><th>severity</th><th>result</th><th>unexpected</th><th>what was found</th></tr>
{{range .Quality.Expectations}}<tr><td>{{.Expectation}}</td><td>{{.Where}}</td><td>{{.Column}}</td><td>{{.Severity}}</td><td{{if not .Success}} class="bad"{{end}}>{{if .Skipped}}skipped{{else if .Success}}passed{{else}}failed{{end}}</td><td>{{with .Unexpected}}{{.}}{{end}}</td><td>{{.Message}}{{.Skipped}}{{range .Examples}} <code>{{.}}</code>{{end}}</td></tr>
{{end}}</table>{{end}}

<h2>Drift</h2>
<p>{{.Drift.Dataset.DriftedFeatures}} of {{.Drift.Dataset.Features}} features drifted ({{pct .Drift.Dataset.Share}}; dataset drift at {{pct .Drift.Dataset.Threshold}}{{if .Drift.Dataset.Drifted}}: <span class="bad">dataset drift</span>{{end}}).
A column drifts when its test is significant (p &lt; {{.Drift.Config.Alpha}}) and its effect reaches the floor (W1/std ≥ {{.Drift.Config.NumericFloor}}, share change ≥ {{.Drift.Config.CategoricalFloor}}).</p>
<table><tr><th>column</th><th>kind</th><th>n</th><th>test</th><th>p-value</th><th>effect</th><th>size</th><th>PSI</th><th>drifted</th><th>why</th></tr>
{{range .DriftRows}}<tr><td>{{.Column}}</td><td>{{.Kind}}</td><td>{{.Count}}</td><td>{{.Test}}</td><td>{{printf "%.3g" .PValue}}</td><td>{{.Effect}}</td><td>{{f3 .EffectSize}}</td><td>{{if .Numeric}}{{f3 .Numeric.PSI}}{{end}}</td><td{{if .Drifted}} class="bad"{{end}}>{{if .Drifted}}yes{{else}}no{{end}}</td><td>{{.Reason}}{{.Skipped}}</td></tr>
{{end}}</table>
{{range .Drift.Skipped}}<p>not measured: {{.}}</p>{{end}}
{{range .Charts}}<figure><img alt="reference and window histograms of {{.Column}}" src="{{.Src}}"><figcaption>{{.Column}}</figcaption></figure>{{end}}

<h2>Model performance</h2>
{{if .Performance.Note}}<p>{{.Performance.Note}}</p>{{end}}
{{if .Performance.Calibration}}<p>Calibration of the label-free estimate: {{.Performance.Calibration}}</p>{{end}}
<table><tr><th>version</th><th>variant</th><th>predictions</th><th>per second</th><th>p50 ms</th><th>p99 ms</th><th>error rate</th></tr>
{{range .Performance.Serving}}<tr><td>{{.Version}}</td><td>{{.Variant}}</td><td>{{.Predictions}}</td><td>{{f1 .PerSecond}}</td><td>{{f1 .P50Ms}}</td><td>{{f1 .P99Ms}}</td><td>{{if lt .ErrorRate 0.0}}n/a{{else}}{{pct .ErrorRate}}{{end}}</td></tr>
{{end}}</table>
<table><tr><th>metric</th><th>kind</th><th>value</th><th>95% interval</th><th>n</th><th>method</th></tr>
{{range .Performance.Realised}}<tr><td>{{.Name}}</td><td>realised</td><td>{{f3 .Value}}</td><td>{{f3 .Low}} to {{f3 .High}}</td><td>{{.N}}</td><td>{{.Method}}</td></tr>{{end}}
{{range .Performance.Estimated}}<tr><td>{{.Name}}</td><td>estimated, no labels</td><td>{{f3 .Value}}</td><td>{{f3 .Low}} to {{f3 .High}}</td><td>{{.N}}</td><td>{{.Method}}</td></tr>{{end}}
</table>

<h2>Business</h2>
<table><tr><th>variant</th><th>feedback</th><th>conversions</th><th>conversion rate</th><th>value</th><th>value per prediction</th></tr>
{{range .Business}}<tr><td>{{.Variant}}</td><td>{{.Feedback}}</td><td>{{.Conversions}}</td><td>{{pct .ConversionRate}}</td><td>{{f1 .Value}}</td><td>{{f3 .ValuePerPrediction}}</td></tr>
{{end}}</table>

<h2>Infrastructure</h2>
<table><tr><th>process</th><th>CPU seconds</th><th>memory MB</th><th>goroutines</th></tr>
{{with .Infra.Gateway}}<tr><td>gateway {{.Source}}</td><td>{{f1 .CPUSeconds}}</td><td>{{f1 .MemoryMB}}</td><td>{{.Goroutines}}</td></tr>{{end}}
{{with .Infra.Worker}}<tr><td>worker {{.Source}}</td><td>{{f1 .CPUSeconds}}</td><td>{{f1 .MemoryMB}}</td><td>{{.Goroutines}}</td></tr>{{end}}
</table>
<table><tr><th>task queue</th><th>kind</th><th>backlog</th><th>pollers</th><th>oldest task s</th></tr>
{{range .Infra.Queues}}<tr><td>{{.Name}}</td><td>{{.Kind}}</td><td>{{.Backlog}}</td><td>{{.Pollers}}</td><td>{{.BacklogAgeSeconds}}</td></tr>{{end}}
</table>
<p>GPU: {{.Infra.GPU}}</p>
{{if .Infra.GPUs}}<table><tr><th>device</th><th>utilisation</th><th>memory used MB</th><th>memory MB</th></tr>
{{range .Infra.GPUs}}<tr><td>{{.Name}}</td><td>{{f1 .Utilization}}%</td><td>{{f1 .MemoryMB}}</td><td>{{f1 .MemoryTotal}}</td></tr>{{end}}</table>{{end}}
{{range .Infra.Notes}}<p>{{.}}</p>{{end}}
</body></html>
`

// DriftRows are the rows of the page's drift table.
func (s *Snapshot) DriftRows() []drift.Result { return s.driftResults() }
