package report

import (
	"bytes"
	"encoding/base64"
	"image/png"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"
)

func render(t *testing.T, p Page) (string, *html.Node) {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, Render(&buf, p))
	doc, err := html.Parse(strings.NewReader(buf.String()))
	require.NoError(t, err)
	return buf.String(), doc
}

// findAll returns every element named tag under n, in document order.
func findAll(n *html.Node, tag string) []*html.Node {
	var out []*html.Node
	for c := range n.Descendants() {
		if c.Type == html.ElementNode && c.Data == tag {
			out = append(out, c)
		}
	}
	return out
}

func byID(t *testing.T, n *html.Node, id string) *html.Node {
	t.Helper()
	for c := range n.Descendants() {
		if c.Type == html.ElementNode && attr(c, "id") == id {
			return c
		}
	}
	require.Failf(t, "element not found", "no element with id %q", id)
	return nil
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func textOf(n *html.Node) string {
	var sb strings.Builder
	for c := range n.Descendants() {
		if c.Type == html.TextNode {
			sb.WriteString(c.Data)
		}
	}
	return strings.TrimSpace(sb.String())
}

// tableRows returns the cell texts of each body row of the first table under n.
func tableRows(n *html.Node) [][]string {
	var rows [][]string
	bodies := findAll(n, "tbody")
	if len(bodies) == 0 {
		return nil
	}
	for _, tr := range findAll(bodies[0], "tr") {
		var cells []string
		for _, td := range findAll(tr, "td") {
			cells = append(cells, textOf(td))
		}
		rows = append(rows, cells)
	}
	return rows
}

func headers(n *html.Node) []string {
	var out []string
	for _, th := range findAll(n, "th") {
		out = append(out, textOf(th))
	}
	return out
}

func TestRenderEmbedsFourPNGPlotsAndNothingExternal(t *testing.T) {
	_, doc := render(t, samplePage())

	imgs := findAll(doc, "img")
	require.Len(t, imgs, 4)
	const prefix = "data:image/png;base64,"
	for _, img := range imgs {
		src := attr(img, "src")
		require.True(t, strings.HasPrefix(src, prefix), "img src is not an embedded PNG: %.40s", src)
		raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(src, prefix))
		require.NoError(t, err)
		cfg, err := png.DecodeConfig(bytes.NewReader(raw))
		require.NoError(t, err)
		assert.Equal(t, 576, cfg.Width) // 4.5 in at 128 dpi
		assert.InDelta(t, 461, cfg.Height, 1)
		assert.NotEmpty(t, attr(img, "alt"))
	}
	assert.Equal(t, "ROC curve (AUC 0.912)", attr(imgs[0], "alt"))
	assert.Equal(t, "Confusion matrix: true stayed 7904, false churned 716, false stayed 566, true churned 3294", attr(imgs[2], "alt"))
	assert.Empty(t, findAll(doc, "script"))
	assert.Empty(t, findAll(doc, "link"))
}

func TestRenderHeaderNamesTheCandidate(t *testing.T) {
	_, doc := render(t, samplePage())
	meta := textOf(findAll(doc, "dl")[0])
	for _, want := range []string{"churn-classifier", "v4 (cand-7f3a)", "churn-training-2025-06-01",
		"2025-06-01 14:30 UTC", "s3://mlpipe/churn/test/sha256-9c1e.csv", "12,480", "churn-classifier v3"} {
		assert.Contains(t, meta, want)
	}
	assert.Equal(t, "Evaluation of churn-classifier v4 (cand-7f3a)", textOf(findAll(doc, "title")[0]))
}

func TestRenderEscapesUserText(t *testing.T) {
	p := samplePage()
	p.Model = `<script>alert("x")</script>`
	p.Slices[0].Value = `<img src=x onerror=alert(1)>`
	out, doc := render(t, p)

	assert.NotContains(t, out, "<script>")
	assert.Contains(t, out, "&lt;script&gt;")
	assert.Empty(t, findAll(doc, "script"))
	assert.Len(t, findAll(doc, "img"), 4, "a slice value must not become an image")
	assert.Contains(t, textOf(findAll(doc, "dl")[0]), `<script>alert("x")</script>`, "the name is shown as text")
}

func TestRenderShowsDashForNaN(t *testing.T) {
	_, doc := render(t, samplePage())
	rows := tableRows(byID(t, doc, "metrics"))
	require.Len(t, rows, 6)
	assert.Equal(t, []string{"accuracy", "0.8921", "[0.8866, 0.8975]", "0.8850", "+0.0071"}, rows[0])
	assert.Equal(t, []string{"precision", "0.8104", "[0.7980, 0.8226]", "0.8230", "-0.0126"}, rows[1])
	assert.Equal(t, []string{"log_loss", "0.2874", "—", "—", "—"}, rows[5])

	slices := tableRows(byID(t, doc, "slices"))
	require.Len(t, slices, 3)
	assert.Equal(t, []string{"region", "antarctica", "12", "1.000", "—", "—", "—", "—"}, slices[2])
	assert.NotContains(t, textOf(doc), "NaN")
}

func TestRenderListsFailedGateRules(t *testing.T) {
	_, doc := render(t, samplePage())
	var verdict *html.Node
	for _, d := range findAll(doc, "div") {
		if strings.HasPrefix(attr(d, "class"), "verdict") {
			verdict = d
		}
	}
	require.NotNil(t, verdict)
	assert.Equal(t, "verdict fail", attr(verdict, "class"))
	v := textOf(verdict)
	assert.Contains(t, v, "1 of 3 rules not met")
	assert.Contains(t, v, "p99 latency <= 20ms")
	assert.NotContains(t, v, "f1 >= 0.80", "passed rules are not listed as failures")

	rows := tableRows(byID(t, doc, "gate"))
	require.Len(t, rows, 3)
	assert.Equal(t, []string{"f1 >= 0.80", "0.8312", "PASS", "threshold from evaluation_threshold"}, rows[0])
	assert.Equal(t, []string{"p99 latency <= 20ms", "27.4", "FAIL", "p99 single-row latency 27.4 ms exceeds 20 ms"}, rows[2])

	// The gate comes before the metrics, so the decision is read first.
	out, _ := render(t, samplePage())
	assert.Less(t, strings.Index(out, `id="gate"`), strings.Index(out, `id="metrics"`))
}

func TestRenderPassedGate(t *testing.T) {
	p := samplePage()
	p.Gate = p.Gate[:2]
	_, doc := render(t, p)
	assert.Contains(t, textOf(doc), "Gate passed: all 2 rules met")
}

func TestRenderOtherTables(t *testing.T) {
	_, doc := render(t, samplePage())
	assert.Equal(t, []string{"churned", "0.821", "0.853", "0.837", "3,860"}, tableRows(byID(t, doc, "per-class"))[1])
	assert.Equal(t, []string{"0.500", "0.821", "0.853", "0.837", "0.897", "32.1%"}, tableRows(byID(t, doc, "sweep"))[1])
	assert.Equal(t, []string{"(0.000, 0.200]", "6,200", "0.060", "0.050"}, tableRows(byID(t, doc, "calibration"))[0])
	assert.Equal(t, [][]string{
		{"Single-row p50", "3.20 ms"},
		{"Single-row p99", "27.40 ms"},
		{"Batch throughput (batch of 512)", "84,214 rows/s"},
	}, tableRows(byID(t, doc, "latency")))
}

func TestRenderEmptyPage(t *testing.T) {
	out, doc := render(t, Page{Model: "m", Version: "1", Metrics: []MetricRow{{Name: "f1", Value: 0.5, Low: math.NaN(), High: math.NaN(), Champion: math.NaN(), Delta: math.NaN()}}})

	imgs := findAll(doc, "img")
	require.Len(t, imgs, 4, "the plots still render, empty")
	assert.Equal(t, "ROC curve (no data)", attr(imgs[0], "alt"), "a zero AUC from an unset field is not shown as a score")
	assert.NotContains(t, headers(byID(t, doc, "metrics")), "Champion", "no champion, no champion column")
	assert.Equal(t, [][]string{{"f1", "0.5000", "—"}}, tableRows(byID(t, doc, "metrics")))
	assert.Contains(t, textOf(doc), "No gate rules were evaluated.")
	assert.Contains(t, textOf(byID(t, doc, "slices")), "No slices were evaluated.")
	assert.Contains(t, textOf(byID(t, doc, "latency")), "Latency was not measured.")
	assert.Contains(t, textOf(findAll(doc, "dl")[0]), "none (no model in production)")
	assert.NotContains(t, out, "NaN")
}

func TestRenderWritesNothingOnError(t *testing.T) {
	p := samplePage()
	p.ROC[3].Y = math.NaN()
	var buf bytes.Buffer
	err := Render(&buf, p)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "ROC point 3")
	assert.Zero(t, buf.Len(), "no half page")
}

// TestWriteSample writes the sample page for a person to look at:
// REPORT_SAMPLE=/tmp/report-sample.html go test -run TestWriteSample ./internal/report
func TestWriteSample(t *testing.T) {
	path := os.Getenv("REPORT_SAMPLE")
	if path == "" {
		t.Skip("set REPORT_SAMPLE to a file path to write the sample page")
	}
	var buf bytes.Buffer
	require.NoError(t, Render(&buf, samplePage()))
	require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
}
