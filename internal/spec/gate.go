package spec

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"

	"github.com/mlpipe/mlpipe/internal/metrics"
)

// Where gate rules read a metric.
const (
	// GateOnPoint compares the point estimate on the test split.
	GateOnPoint = "point"
	// GateOnLowerBound compares the pessimistic end of the bootstrap 95%
	// interval: the lower bound for scores, the upper for losses.
	GateOnLowerBound = "lower_bound"
)

// Threshold is one gate condition, checked against an evaluation.
type Threshold struct {
	// Kind is "value" (evaluation_threshold) or "change"
	// (champion_threshold, against the production model).
	Kind   string  `json:"kind,omitempty"`
	Metric string  `json:"metric"`
	Bound  float64 `json:"bound"`
	Actual float64 `json:"actual"`
	Passed bool    `json:"passed"`
	// Rule reads as the condition, e.g. "f1 >= 0.8".
	Rule string `json:"rule"`
	// Detail says what was compared, e.g. "lower bound of 95% interval".
	Detail string `json:"detail,omitempty"`
}

// Scores is what the gate reads: point estimates and, when bootstrapped,
// 95% intervals (Low/High).
type Scores struct {
	Point map[string]float64 `json:"point"`
	Low   map[string]float64 `json:"low,omitempty"`
	High  map[string]float64 `json:"high,omitempty"`
}

// pessimistic is the value a rule compares: the point estimate, or the
// interval's unfavourable end when the spec gates on the lower bound.
func (p *Pipeline) pessimistic(s Scores, m string) (float64, string, bool) {
	v, ok := s.Point[m]
	if p.Evaluation.GateOn != GateOnLowerBound {
		return v, "point estimate", ok
	}
	end, what := s.Low, "lower bound of the 95% interval"
	if !metrics.HigherIsBetter(m) {
		end, what = s.High, "upper bound of the 95% interval"
	}
	if b, found := end[m]; found {
		return b, what, true
	}
	return v, "point estimate (no interval)", ok
}

// CheckGate evaluates the evaluation_threshold rules against the candidate
// and, when there is a champion (the production version), the
// champion_threshold rules against it. The first model of a name has no
// champion and skips change rules. Rules come in metric-name order.
func (p *Pipeline) CheckGate(candidate Scores, champion *Scores) []Threshold {
	var out []Threshold
	for _, m := range slices.Sorted(maps.Keys(p.EvaluationThreshold)) {
		bound := p.EvaluationThreshold[m]
		v, what, ok := p.pessimistic(candidate, m)
		t := Threshold{Kind: "value", Metric: m, Bound: bound, Actual: v, Detail: what}
		t.Rule = fmt.Sprintf("%s %s %s", m, op(m), num(bound))
		t.Passed = ok && holds(m, v, bound)
		out = append(out, t)
	}
	if champion == nil {
		return out
	}
	for _, m := range slices.Sorted(maps.Keys(p.ChampionThreshold)) {
		drop := p.ChampionThreshold[m]
		v, what, ok := p.pessimistic(candidate, m)
		base, hasBase := champion.Point[m]
		bound := base - drop
		if !metrics.HigherIsBetter(m) {
			bound = base + drop
		}
		t := Threshold{Kind: "change", Metric: m, Bound: bound, Actual: v,
			Detail: fmt.Sprintf("%s against the champion's %s", what, strconv.FormatFloat(base, 'g', 4, 64))} // a measurement: 4 digits, as "got" shows
		t.Rule = fmt.Sprintf("%s %s champion %s %s", m, op(m), sign(m), num(drop))
		t.Passed = ok && hasBase && holds(m, v, bound)
		out = append(out, t)
	}
	return out
}

// CheckThresholds checks the value rules on point estimates alone.
func (p *Pipeline) CheckThresholds(measured map[string]float64) []Threshold {
	return p.CheckGate(Scores{Point: measured}, nil)
}

func holds(metric string, v, bound float64) bool {
	if math.IsNaN(v) {
		return false
	}
	if metrics.HigherIsBetter(metric) {
		return v >= bound
	}
	return v <= bound
}

func op(metric string) string {
	if metrics.HigherIsBetter(metric) {
		return ">="
	}
	return "<="
}

func sign(metric string) string {
	if metrics.HigherIsBetter(metric) {
		return "-"
	}
	return "+"
}

func num(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
