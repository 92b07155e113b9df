package spec

import (
	"maps"
	"math"
	"regexp"
	"slices"
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
	for _, m := range slices.Sorted(maps.Keys(p.ChampionThreshold)) {
		v := p.ChampionThreshold[m]
		switch {
		case !slices.Contains(metrics.Names(), m):
			probs.add("champion_threshold: unknown metric %q; use one of %s", m, strings.Join(metrics.Names(), ", "))
		case math.IsNaN(v) || v < 0:
			probs.add("champion_threshold.%s: %v must be a non-negative allowed drop, e.g. 0.01", m, v)
		}
	}
	p.checkEvaluation(&probs)
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

func (p *Pipeline) checkEvaluation(probs *problems) {
	e := &p.Evaluation
	switch e.GateOn {
	case "":
		e.GateOn = GateOnPoint
	case GateOnPoint, GateOnLowerBound:
	default:
		probs.add("evaluation.gate_on %q: use point or lower_bound", e.GateOn)
	}
	if e.Bootstrap == 0 {
		e.Bootstrap = 1000
	}
	if e.GateOn == GateOnLowerBound && e.Bootstrap < 0 {
		probs.add("evaluation.gate_on lower_bound needs bootstrap intervals; remove bootstrap: %d", e.Bootstrap)
	}
	if e.Threshold == 0 {
		e.Threshold = 0.5
	}
	if e.Threshold <= 0 || e.Threshold >= 1 {
		probs.add("evaluation.threshold %v must be between 0 and 1", e.Threshold)
	}
	for i, s := range e.Slices {
		if s.Column == "" {
			probs.add("evaluation.slices[%d]: name a column", i)
		}
		if !slices.IsSorted(s.Buckets) || len(s.Buckets) == 1 {
			probs.add("evaluation.slices[%d] (%s): buckets must be at least two ascending edges", i, s.Column)
		}
	}
}
