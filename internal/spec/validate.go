package spec

import (
	"maps"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/mlpipe/mlpipe/internal/metrics"
)

var modelName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)

// Strategies are the deployment strategies this version runs.
var Strategies = []string{"direct"}

// Validate checks a resolved spec without touching any file or network, so
// the workflow can run it on its input before doing any work. It fills in
// defaults (approval timeout, strategy, feature target) on the way.
func (p *Pipeline) Validate() error {
	var probs problems
	if p.Name == "" {
		probs.add("name: give the pipeline a name")
	}
	if !modelName.MatchString(p.Model) {
		probs.add("model %q: use 1-63 lowercase letters, digits, '.', '_' or '-' (e.g. churn-classifier)", p.Model)
	}
	if p.Data.Target == "" {
		probs.add("data.target: name the label column")
	}
	if p.Data.Positive == "" {
		probs.add("data.positive: name the label value of the positive class (e.g. \"yes\")")
	}
	p.Features.Target, p.Features.Positive = p.Data.Target, p.Data.Positive

	if _, err := p.Plan(); err != nil {
		probs.add("%s", strings.TrimPrefix(err.Error(), "invalid pipeline spec: "))
	}
	if err := p.Validation.Validate(); err != nil {
		probs.add("validation: %v", err)
	}
	for i, e := range p.Expectations {
		if err := e.Validate(); err != nil {
			probs.add("expectations[%d]: %v", i, err)
		}
	}
	p.Hyperparameters = p.Hyperparameters.Defaults()
	if err := p.Hyperparameters.Validate(); err != nil {
		probs.add("hyperparameters: %v", err)
	}
	for _, m := range slices.Sorted(maps.Keys(p.EvaluationThreshold)) {
		v := p.EvaluationThreshold[m]
		switch {
		case !slices.Contains(metrics.Names(), m):
			probs.add("evaluation_threshold: unknown metric %q; use one of %s", m, strings.Join(metrics.Names(), ", "))
		case math.IsNaN(v) || math.IsInf(v, 0):
			probs.add("evaluation_threshold.%s: %v is not a number", m, v)
		}
	}
	for _, st := range p.Stages {
		p.checkStage(st, &probs)
	}
	for i, a := range p.Approval.Approvers {
		if strings.TrimSpace(a) == "" {
			probs.add("approval.approvers[%d] is empty", i)
		}
	}
	if p.Approval.Timeout < 0 {
		probs.add("approval.timeout must not be negative")
	}
	if p.Approval.Timeout == 0 {
		p.Approval.Timeout = DefaultApprovalTimeout
	}
	if p.Deployment.Strategy == "" {
		p.Deployment.Strategy = "direct"
	}
	if !slices.Contains(Strategies, p.Deployment.Strategy) {
		probs.add("deployment.strategy %q is not available in this version; use one of %s", p.Deployment.Strategy, strings.Join(Strategies, ", "))
	}
	return probs.err("spec")
}

func (p *Pipeline) checkStage(st Stage, probs *problems) {
	if st.Retries < 0 {
		probs.add("stage %s: retries must not be negative", st.Name)
	}
	if st.Timeout < 0 {
		probs.add("stage %s: timeout must not be negative", st.Name)
	}
	for _, c := range st.Checks {
		switch c {
		case CheckSchema:
			if len(p.Validation.Schema) == 0 {
				probs.add("stage %s: check schema needs validation.schema (column: type)", st.Name)
			}
		case CheckComplete:
			if p.Validation.Completeness == nil {
				probs.add("stage %s: check completeness needs validation.completeness.max_null_fraction", st.Name)
			}
		case CheckFreshness:
			if p.Validation.Freshness == nil {
				probs.add("stage %s: check freshness needs validation.freshness {column, max_age}", st.Name)
			}
		case CheckExpections:
		default:
			probs.add("stage %s: unknown check %q; use schema, completeness, freshness or expectations", st.Name, c)
		}
	}
	for _, g := range st.Gate {
		if g != GateThreshold {
			probs.add("stage %s: unknown gate %q; use %s", st.Name, g, GateThreshold)
		} else if len(p.EvaluationThreshold) == 0 {
			probs.add("stage %s: gate evaluation_threshold needs evaluation_threshold (e.g. {f1: 0.8})", st.Name)
		}
	}
}

// Threshold is one gate condition, checked against an evaluation report.
type Threshold struct {
	Metric string  `json:"metric"`
	Bound  float64 `json:"bound"`
	Actual float64 `json:"actual"`
	Passed bool    `json:"passed"`
	// Rule reads as the condition, e.g. "f1 >= 0.8".
	Rule string `json:"rule"`
}

// CheckThresholds evaluates every evaluation_threshold against measured
// metrics, in metric-name order. A metric the report lacks fails.
func (p *Pipeline) CheckThresholds(measured map[string]float64) []Threshold {
	out := make([]Threshold, 0, len(p.EvaluationThreshold))
	for _, m := range slices.Sorted(maps.Keys(p.EvaluationThreshold)) {
		bound := p.EvaluationThreshold[m]
		t := Threshold{Metric: m, Bound: bound}
		actual, ok := measured[m]
		t.Actual = actual
		op := ">="
		if !metrics.HigherIsBetter(m) {
			op = "<="
		}
		t.Rule = m + " " + op + " " + trimFloat(bound)
		switch {
		case !ok || math.IsNaN(actual):
			t.Passed = false
		case op == ">=":
			t.Passed = actual >= bound
		default:
			t.Passed = actual <= bound
		}
		out = append(out, t)
	}
	return out
}

func trimFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
