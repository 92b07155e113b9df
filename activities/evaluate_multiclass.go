package activities

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/mlpipe/mlpipe/internal/bundle"
	"github.com/mlpipe/mlpipe/internal/metrics"
	"github.com/mlpipe/mlpipe/internal/spec"
)

// scoreMultiClass evaluates a model over three or more classes: the
// metrics of metrics.MultiClassNames, the per-class table, one-vs-rest ROC
// curves, slices and bootstrap intervals for the gate's metrics.
func scoreMultiClass(doc *EvaluationReport, b *bundle.Bundle, data testData, settings spec.Evaluation, opts metrics.Options) (Evaluation, map[string]metrics.Interval, error) {
	proba, err := b.ScoreClassProba(data.test.X, data.test.Cols())
	if err != nil {
		return Evaluation{}, nil, invalid("evaluate %s: %v", data.name, err)
	}
	classes := b.ClassList()
	full, err := metrics.EvaluateMultiClass(data.test.Y, proba, classes, opts)
	if err != nil {
		return Evaluation{}, nil, invalid("evaluate %s: %v", data.name, err)
	}
	doc.Multiclass = &full
	if data.raw != nil {
		if doc.Slices, err = multiClassSliceReports(data.raw, settings.Slices, data.test.Y, proba, classes); err != nil {
			return Evaluation{}, nil, invalid("evaluation.slices: %v", err)
		}
	}
	ev := Evaluation{Metrics: definedMultiClass(full.Report), Classes: classes, ClassConfusion: full.Report.Confusion}
	return ev, full.Intervals, nil
}

// championMultiClass scores a multi-class champion on rows it encoded
// itself (y in its own class order).
func championMultiClass(cb *bundle.Bundle, X, y []float64) (map[string]float64, error) {
	p, err := cb.ScoreClassProba(X, cb.Transform.NumOutputs())
	if err != nil {
		return nil, err
	}
	rep, err := metrics.MultiClass(y, p, cb.ClassList())
	if err != nil {
		return nil, err
	}
	return definedMultiClass(rep), nil
}

// classesDiffer says why the champion's numbers cannot stand beside the
// candidate's: one is binary and the other not, or they predict different
// classes. "" when they compare.
func classesDiffer(version int, champ, cand *bundle.Bundle) string {
	if !champ.MultiClass() && !cand.MultiClass() {
		return ""
	}
	a, b := slices.Sorted(slices.Values(champ.ClassList())), slices.Sorted(slices.Values(cand.ClassList()))
	if champ.MultiClass() == cand.MultiClass() && slices.Equal(a, b) {
		return ""
	}
	return fmt.Sprintf("version %d predicts %s and this model %s; their metrics do not compare", version, describeClasses(champ), describeClasses(cand))
}

func describeClasses(b *bundle.Bundle) string {
	kind := "binary"
	if b.MultiClass() {
		kind = fmt.Sprintf("%d classes", len(b.ClassList()))
	}
	return fmt.Sprintf("%s (%s)", kind, strings.Join(b.ClassList(), ", "))
}

// definedMultiClass is a multi-class report's metrics by name, without the
// undefined ones (NaN), which JSON cannot carry through Temporal.
func definedMultiClass(rep metrics.MultiReport) map[string]float64 {
	out := map[string]float64{}
	for _, name := range metrics.MultiClassNames() {
		if v, ok := rep.Get(name); ok && !math.IsNaN(v) {
			out[name] = v
		}
	}
	return out
}

// Summary is the evaluation in one line, for the stage table and the Web
// UI: F1, accuracy and ROC AUC, their macro and one-vs-rest forms for a
// multi-class model. A metric the test rows leave undefined (absent from
// Metrics) reads n/a, not 0.000.
func (e Evaluation) Summary() string {
	if len(e.Classes) >= 3 {
		return fmt.Sprintf("f1_macro %s, accuracy %s, roc_auc_ovr %s on %d rows, %d classes",
			e.metric(metrics.F1Macro), e.metric(metrics.Accuracy), e.metric(metrics.ROCAUCOVR), e.TestRows, len(e.Classes))
	}
	return fmt.Sprintf("f1 %s, accuracy %s, roc_auc %s on %d rows", e.metric(metrics.F1), e.metric(metrics.Accuracy), e.metric(metrics.ROCAUC), e.TestRows)
}

func (e Evaluation) metric(name string) string {
	if v, ok := e.Metrics[name]; ok {
		return fmt.Sprintf("%.3f", v)
	}
	return "n/a"
}
