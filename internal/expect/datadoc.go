package expect

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"sort"
	"strings"
	"time"
)

// DataDoc renders the report as one self-contained HTML page (inline CSS,
// no scripts, no external assets), Great Expectations' data doc in spirit:
// the suite's statistics, then one row per expectation with its arguments,
// what was observed and a sample of unexpected values.
func DataDoc(rep Report) ([]byte, error) {
	var buf bytes.Buffer
	if err := docTemplate.Execute(&buf, docView(rep)); err != nil {
		return nil, fmt.Errorf("render data doc: %w", err)
	}
	return buf.Bytes(), nil
}

type docRow struct {
	Status, Class, Where, Type, Column, Kwargs, Message, Observed, Sample string
	Counts                                                                string
}

type docPage struct {
	Title, Data, RunTime, Verdict, VerdictClass string
	Stats                                       Statistics
	Rows                                        int64
	Columns                                     []ColumnType
	Results                                     []docRow
}

func docView(rep Report) docPage {
	pg := docPage{Title: "Data validation", Data: rep.Meta.Data, Stats: rep.Statistics, Rows: rep.Meta.Rows, Columns: rep.Meta.Columns}
	if !rep.Meta.RunTime.IsZero() {
		pg.RunTime = rep.Meta.RunTime.UTC().Format(time.RFC3339)
	}
	switch {
	case !rep.Success:
		pg.Verdict, pg.VerdictClass = "FAILED", "fail"
	case rep.Statistics.Warnings > 0:
		pg.Verdict, pg.VerdictClass = "PASSED WITH WARNINGS", "warn"
	default:
		pg.Verdict, pg.VerdictClass = "PASSED", "ok"
	}
	for _, res := range rep.Results {
		row := docRow{Where: res.Where, Type: res.Config.Type, Column: res.Column(), Kwargs: kwargsText(res.Config.Kwargs), Message: res.Message}
		switch {
		case res.Skipped != "":
			row.Status, row.Class = "skipped", "skip"
		case res.Success:
			row.Status, row.Class = "passed", "ok"
		case res.IsWarning():
			row.Status, row.Class = "warning", "warn"
		default:
			row.Status, row.Class = "failed", "fail"
		}
		d := res.Result
		if d.ElementCount != nil && d.UnexpectedCount != nil {
			row.Counts = fmt.Sprintf("%d of %d unexpected", *d.UnexpectedCount, *d.ElementCount)
			if d.UnexpectedPercent != nil {
				row.Counts += fmt.Sprintf(" (%s%%)", fmtPct(*d.UnexpectedPercent))
			}
			if d.MissingCount != nil && *d.MissingCount > 0 {
				row.Counts += fmt.Sprintf("; %d missing", *d.MissingCount)
			}
		}
		if d.ObservedValue != nil {
			row.Observed = formatValue(d.ObservedValue)
		}
		var sample []string
		for _, v := range d.PartialUnexpectedList {
			sample = append(sample, formatValue(v))
		}
		for _, i := range d.PartialUnexpectedIndexList {
			sample = append(sample, fmt.Sprintf("row %d", i))
		}
		row.Sample = strings.Join(sample, ", ")
		pg.Results = append(pg.Results, row)
	}
	return pg
}

func kwargsText(kw map[string]any) string {
	keys := make([]string, 0, len(kw))
	for k := range kw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		b, err := json.Marshal(kw[k])
		if err != nil {
			b = []byte(fmt.Sprint(kw[k]))
		}
		parts = append(parts, k+": "+string(b))
	}
	return strings.Join(parts, ", ")
}

var docTemplate = template.Must(template.New("doc").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}}: {{.Data}}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2em;color:#222}
h1{font-size:1.4em;margin-bottom:.2em}
.meta{color:#555;margin-bottom:1em}
.verdict{display:inline-block;padding:.2em .7em;border-radius:4px;font-weight:600}
.ok{background:#e3f4e6;color:#1b5e20}.fail{background:#fde4e4;color:#b71c1c}
.warn{background:#fff4d6;color:#7a5300}.skip{background:#eceff1;color:#455a64}
table{border-collapse:collapse;width:100%;margin:1em 0}
th,td{border-bottom:1px solid #ddd;padding:.35em .5em;text-align:left;vertical-align:top}
th{background:#f5f5f5}
code{font-size:12px;word-break:break-all}
.stats td{border:none;padding-right:2em}
</style></head><body>
<h1>{{.Title}}</h1>
<div class="meta">{{.Data}}{{if .RunTime}} &middot; run at {{.RunTime}}{{end}} &middot; {{.Rows}} rows</div>
<div class="verdict {{.VerdictClass}}">{{.Verdict}}</div>
<table class="stats"><tr>
<td>evaluated <b>{{.Stats.Evaluated}}</b></td><td>successful <b>{{.Stats.Successful}}</b></td>
<td>unsuccessful <b>{{.Stats.Unsuccessful}}</b></td><td>warnings <b>{{.Stats.Warnings}}</b></td>
<td>success <b>{{printf "%.1f" .Stats.SuccessPercent}}%</b></td></tr></table>
<h2>Expectations</h2>
<table><tr><th>status</th><th>where</th><th>expectation</th><th>column</th><th>arguments</th><th>observed</th><th>unexpected</th><th>sample</th></tr>
{{range .Results}}<tr><td><span class="verdict {{.Class}}">{{.Status}}</span></td><td>{{.Where}}</td><td>{{.Type}}</td><td>{{.Column}}</td>
<td><code>{{.Kwargs}}</code></td><td>{{.Message}}{{if .Observed}}<br><code>{{.Observed}}</code>{{end}}</td><td>{{.Counts}}</td><td><code>{{.Sample}}</code></td></tr>
{{end}}</table>
<h2>Columns</h2>
<table><tr><th>column</th><th>type</th></tr>
{{range .Columns}}<tr><td>{{.Name}}</td><td>{{.Type}}</td></tr>
{{end}}</table>
</body></html>
`))
