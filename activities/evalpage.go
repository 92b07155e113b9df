package activities

import (
	"fmt"
	"math"
	"strings"

	"github.com/mlpipe/mlpipe/internal/bundle"
	"github.com/mlpipe/mlpipe/internal/metrics"
	"github.com/mlpipe/mlpipe/internal/report"
)

// reportPage lays an evaluation out for a reviewer.
func reportPage(doc EvaluationReport, b *bundle.Bundle) report.Page {
	ev := doc.Evaluation
	p := report.Page{
		Model: doc.Model, Version: "candidate from " + doc.WorkflowID, WorkflowID: doc.WorkflowID,
		CreatedAt: doc.CreatedAt, TestData: doc.TestData, Rows: doc.Rows, Labels: b.Labels,
		AUC: ev.Report.ROCAUC, AP: ev.Report.PRAUC,
	}
	c := ev.Report.Confusion
	p.Confusion = [2][2]int{{c.TN, c.FP}, {c.FN, c.TP}}
	var champ map[string]float64
	if ch := doc.Champion; ch != nil {
		p.Champion = fmt.Sprintf("%s v%d", doc.Model, ch.Version)
		if ch.Error != "" {
			p.Champion += " (not scored: " + ch.Error + ")"
		}
		champ = ch.Metrics
	}
	for _, name := range metrics.Names() {
		v, _ := ev.Report.Get(name)
		row := report.MetricRow{Name: name, Value: v, Low: math.NaN(), High: math.NaN(), Champion: math.NaN(), Delta: math.NaN()}
		if iv, ok := ev.Intervals[name]; ok {
			row.Low, row.High = iv.Low, iv.High
		}
		if cv, ok := champ[name]; ok {
			row.Champion, row.Delta = cv, v-cv
		}
		p.Metrics = append(p.Metrics, row)
	}
	for _, r := range ev.PerClass {
		p.PerClass = append(p.PerClass, report.ClassRow{Label: r.Label, Precision: r.Precision, Recall: r.Recall, F1: r.F1, Support: r.Support})
	}
	for _, pt := range ev.ROC {
		p.ROC = append(p.ROC, report.Point{X: pt.X, Y: pt.Y})
	}
	for _, pt := range ev.PR {
		p.PR = append(p.PR, report.Point{X: pt.X, Y: pt.Y})
	}
	for _, cb := range ev.Calibration {
		p.Calibration = append(p.Calibration, report.CalBin{Lower: cb.Lower, Upper: cb.Upper, Count: cb.Count, MeanPredicted: cb.MeanPredicted, Observed: cb.FractionPositive})
	}
	for _, s := range ev.Sweep {
		p.Sweep = append(p.Sweep, report.SweepRow{Threshold: s.Threshold, Precision: s.Precision, Recall: s.Recall, F1: s.F1, Accuracy: s.Accuracy, PositiveRate: s.PositiveRate})
	}
	for _, s := range doc.Slices {
		r := s.Report
		p.Slices = append(p.Slices, report.SliceRow{Column: s.Column, Value: s.Value, Rows: s.Rows, Accuracy: r.Accuracy, Precision: r.Precision, Recall: r.Recall, F1: r.F1, ROCAUC: r.ROCAUC})
	}
	for _, t := range doc.Gate {
		p.Gate = append(p.Gate, report.GateRow{Rule: t.Rule, Measured: t.Actual, Passed: t.Passed, Detail: t.Detail})
	}
	for _, r := range doc.Search {
		status := r.Status
		if r.Reason != "" {
			status += ": " + r.Reason
		}
		params := make([]string, len(r.Params))
		for i, p := range r.Params {
			params[i] = fmt.Sprintf("%s=%v", p.Name, p.Value)
		}
		p.Search = append(p.Search, report.SearchRow{Trial: r.TrialID, Params: strings.Join(params, " "), Mean: r.Mean, Std: r.Std,
			Epochs: r.Epochs, Seconds: r.Seconds, Status: status})
	}
	if l := doc.Latency; l != nil {
		p.Latency = &report.Latency{P50Single: l.P50Single, P99Single: l.P99Single, BatchRowsPerSecond: l.BatchRowsPerSecond, BatchSize: l.BatchSize}
	}
	return p
}
