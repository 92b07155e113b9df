package activities

import (
	"fmt"
	"math"

	"github.com/mlpipe/mlpipe/internal/bundle"
	"github.com/mlpipe/mlpipe/internal/metrics"
	"github.com/mlpipe/mlpipe/internal/report"
	"github.com/mlpipe/mlpipe/internal/tune"
)

// reportPage lays an evaluation out for a reviewer.
func reportPage(doc EvaluationReport, b *bundle.Bundle) report.Page {
	p := report.Page{
		Model: doc.Model, Version: "candidate from " + doc.WorkflowID, WorkflowID: doc.WorkflowID,
		CreatedAt: doc.CreatedAt, TestData: doc.TestData, Rows: doc.Rows, Labels: b.Labels,
	}
	if doc.Multiclass != nil {
		multiClassPage(&p, doc)
	} else if doc.Evaluation != nil {
		binaryPage(&p, doc)
	}
	if ch := doc.Champion; ch != nil {
		p.Champion = fmt.Sprintf("%s v%d", doc.Model, ch.Version)
		if ch.Error != "" {
			p.Champion += " (not scored: " + ch.Error + ")"
		}
	}
	for _, t := range doc.Gate {
		p.Gate = append(p.Gate, report.GateRow{Rule: t.Rule, Measured: t.Actual, Passed: t.Passed, Detail: t.Detail})
	}
	for _, r := range doc.Search {
		status := r.Status
		if r.Reason != "" {
			status += ": " + r.Reason
		}
		p.Search = append(p.Search, report.SearchRow{Trial: r.TrialID, Params: tune.ParamText(r.Params), Mean: r.Mean, Std: r.Std,
			Epochs: r.Epochs, Seconds: r.Seconds, Status: status})
	}
	if l := doc.Latency; l != nil {
		p.Latency = &report.Latency{P50Single: l.P50Single, P99Single: l.P99Single, BatchRowsPerSecond: l.BatchRowsPerSecond, BatchSize: l.BatchSize}
	}
	return p
}

// metricRows lists every metric with its interval and the champion's value.
func metricRows(names []string, get func(string) (float64, bool), intervals map[string]metrics.Interval, champ *Champion) []report.MetricRow {
	var out []report.MetricRow
	for _, name := range names {
		v, _ := get(name)
		row := report.MetricRow{Name: name, Value: v, Low: math.NaN(), High: math.NaN(), Champion: math.NaN(), Delta: math.NaN()}
		if iv, ok := intervals[name]; ok {
			row.Low, row.High = iv.Low, iv.High
		}
		if champ != nil {
			if cv, ok := champ.Metrics[name]; ok {
				row.Champion, row.Delta = cv, v-cv
			}
		}
		out = append(out, row)
	}
	return out
}

// multiClassPage fills the multi-class layout: K×K confusion matrix,
// one-vs-rest ROC curves, per-class table and macro-averaged slices.
func multiClassPage(p *report.Page, doc EvaluationReport) {
	ev := doc.Multiclass
	p.Classes, p.ConfusionK, p.AUC = ev.Report.Classes, ev.Report.Confusion, ev.Report.ROCAUCOVR
	p.Metrics = metricRows(metrics.MultiClassNames(), ev.Report.Get, ev.Intervals, doc.Champion)
	for _, c := range ev.ROC {
		curve := report.ClassCurve{Label: c.Label, AUC: c.AUC}
		for _, pt := range c.Points {
			curve.Points = append(curve.Points, report.Point{X: pt.X, Y: pt.Y})
		}
		p.ClassROC = append(p.ClassROC, curve)
	}
	for _, r := range ev.PerClass {
		p.PerClass = append(p.PerClass, report.ClassRow{Label: r.Label, Precision: r.Precision, Recall: r.Recall, F1: r.F1, Support: r.Support})
	}
	for _, s := range doc.Slices {
		if r := s.Multiclass; r != nil {
			p.Slices = append(p.Slices, report.SliceRow{Column: s.Column, Value: s.Value, Rows: s.Rows, Accuracy: r.Accuracy,
				Precision: r.PrecisionMacro, Recall: r.RecallMacro, F1: r.F1Macro, ROCAUC: r.ROCAUCOVR})
		}
	}
}

// binaryPage fills the binary layout.
func binaryPage(p *report.Page, doc EvaluationReport) {
	ev := doc.Evaluation
	p.AUC, p.AP = ev.Report.ROCAUC, ev.Report.PRAUC
	c := ev.Report.Confusion
	p.Confusion = [2][2]int{{c.TN, c.FP}, {c.FN, c.TP}}
	p.Metrics = metricRows(metrics.Names(), ev.Report.Get, ev.Intervals, doc.Champion)
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
		if r := s.Report; r != nil {
			p.Slices = append(p.Slices, report.SliceRow{Column: s.Column, Value: s.Value, Rows: s.Rows, Accuracy: r.Accuracy, Precision: r.Precision, Recall: r.Recall, F1: r.F1, ROCAUC: r.ROCAUC})
		}
	}
}
