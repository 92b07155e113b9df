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

// Strategies are the deployment strategies.
var Strategies = []string{StrategyDirect, StrategyCanary, StrategyShadow}

// Validate checks a resolved spec without touching any file or network, so
// the workflow can run it on its input before doing any work. It fills in
// defaults (approval timeout, strategy, feature target) on the way.
func (p *Pipeline) Validate() error { return p.validate(true) }

// ValidateAsRecorded is Validate without the checks that came after the
// first pipelines ran: keys the JSON input does not take, settings written
// as 0, values beyond the bounds (bounds.go, stage timeouts included),
// thresholds outside a metric's range, a test_size outside (0, 1) and a
// searched hidden_units without an mlp. Pipelines started before them
// replay with it, so a history recorded on an input those checks now
// refuse still replays as it ran.
func (p *Pipeline) ValidateAsRecorded() error { return p.validate(false) }

func (p *Pipeline) validate(strict bool) error {
	var probs problems
	if strict && len(p.inputProblems) > 0 {
		for _, msg := range p.inputProblems {
			probs.add("%s", msg)
		}
		if p.inputBroken {
			// The rest of the input may be missing: one fault at a time.
			return probs.err("spec")
		}
	}
	if strict {
		for _, z := range p.zeros {
			if z == pathTestSize {
				continue // checkSplit decides
			}
			probs.add("%s", zeroProblem(z))
		}
	}
	if p.Name == "" {
		probs.add("name: give the pipeline a name")
	}
	if !modelName.MatchString(p.Model) {
		probs.add("model %q: use 1-63 lowercase letters, digits, '.', '_' or '-' (e.g. churn-classifier)", p.Model)
	}
	if p.Data.Target == "" {
		probs.add("data.target: name the label column")
	}
	p.checkTarget(&probs)

	if _, err := p.Plan(); err != nil {
		probs.add("%s", strings.TrimPrefix(err.Error(), "invalid pipeline spec: "))
	}
	if err := p.Validation.Validate(); err != nil {
		probs.add("validation: %v", err)
	}
	if p.Monitoring != nil {
		if err := p.Monitoring.AlertConfig().Validate(); err != nil {
			for _, msg := range strings.Split(err.Error(), "\n") {
				probs.add("%s", msg)
			}
		}
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
	p.checkSearch(&probs, strict)
	for _, m := range slices.Sorted(maps.Keys(p.EvaluationThreshold)) {
		v := p.EvaluationThreshold[m]
		switch {
		case !p.knownMetric("evaluation_threshold", m, &probs):
		case math.IsNaN(v) || math.IsInf(v, 0):
			probs.add("evaluation_threshold.%s: %v is not a number", m, v)
		case strict && bounded(m) && (v < 0 || v > 1):
			probs.add("evaluation_threshold.%s: %v is outside [0, 1], where %s lies, so the gate could never pass (or never fail); write it as a fraction, e.g. 0.8 for 80%%", m, num(v), m)
		case strict && v < 0:
			probs.add("evaluation_threshold.%s: %v is negative and %s never is, so the gate could never pass; give an upper bound such as 0.35", m, num(v), m)
		}
	}
	for _, m := range slices.Sorted(maps.Keys(p.ChampionThreshold)) {
		v := p.ChampionThreshold[m]
		switch {
		case !p.knownMetric("champion_threshold", m, &probs):
		case math.IsNaN(v) || v < 0:
			probs.add("champion_threshold.%s: %v must be a non-negative allowed drop, e.g. 0.01", m, v)
		case strict && bounded(m) && v > 1:
			probs.add("champion_threshold.%s: %v is more than %s can drop (it lies in [0, 1]); write it as a fraction, e.g. 0.01", m, num(v), m)
		}
	}
	if strict {
		p.checkSplit(&probs)
		p.checkBounds(&probs)
		for _, msg := range p.Features.OptionProblems() {
			probs.add("%s", msg)
		}
	}
	p.checkEvaluation(&probs)
	for _, st := range p.Stages {
		p.checkStage(st, &probs)
		p.checkImport(st, &probs)
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
	p.checkDeployment(&probs)
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
	if p.MultiClass() && e.Threshold != 0 && e.Threshold != 0.5 {
		probs.add("evaluation.threshold %v applies to a binary model; a multi-class model predicts its most probable class, so remove threshold", e.Threshold)
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

func (p *Pipeline) checkDeployment(probs *problems) {
	d := &p.Deployment
	if d.Strategy == "" {
		d.Strategy = StrategyDirect
	}
	if !slices.Contains(Strategies, d.Strategy) {
		probs.add("deployment.strategy %q: use one of %s", d.Strategy, strings.Join(Strategies, ", "))
		return
	}
	if n := d.ContinueAsNewAt; n != 0 && (n < MinContinueAsNewAt || n > MaxContinueAsNewAt) {
		probs.add("deployment.continue_as_new_at %d is outside %d to %d events: it is the history length at which a rollout hands over to a new run (leave it out for the default %d)",
			n, MinContinueAsNewAt, MaxContinueAsNewAt, DefaultContinueAsNewAt)
	}
	if d.Strategy == StrategyDirect {
		return
	}
	if d.GatewayURL == "" {
		probs.add("deployment.gateway_url: a %s rollout drives the gateway's admin API; give its URL (e.g. http://127.0.0.1:8080)", d.Strategy)
	}
	if d.AnalysisInterval <= 0 {
		d.AnalysisInterval = Duration(60 * 60 * 1e9)
	}
	if d.FailureLimit <= 0 {
		d.FailureLimit = 2
	}
	d.Criteria = d.Criteria.WithDefaults()
	if err := d.Criteria.Validate(); err != nil {
		probs.add("deployment.criteria: %v", err)
	}
	var total Duration
	switch d.Strategy {
	case StrategyCanary:
		if len(d.Steps) == 0 {
			d.Steps = DefaultCanarySteps()
		}
		prev := 0.0
		for i, st := range d.Steps {
			if st.Weight <= prev || st.Weight > 100 {
				probs.add("deployment.steps[%d]: weight %v must be above the previous step's %v and at most 100", i, st.Weight, prev)
			}
			if st.Hold < 0 {
				probs.add("deployment.steps[%d]: hold must not be negative", i)
			}
			prev, total = st.Weight, total+st.Hold
		}
	case StrategyShadow:
		if d.Mirror == 0 {
			d.Mirror = 100
		}
		if d.Mirror < 0 || d.Mirror > 100 {
			probs.add("deployment.mirror %v must be above 0 and at most 100", d.Mirror)
		}
		if d.Window <= 0 {
			d.Window = Duration(24 * 60 * 60 * 1e9)
		}
		total = d.Window
	}
	if total > MaxRollout {
		probs.add("deployment: the rollout holds for %s in all; keep it within %s", total, MaxRollout)
	}
}

// ValidateDeployment checks the deployment block alone and fills its
// defaults; rollouts started on their own run it on their input.
func (p *Pipeline) ValidateDeployment() error {
	var probs problems
	p.checkDeployment(&probs)
	return probs.err("deployment")
}

// bounded reports whether a metric lies in [0, 1]: every one but log loss.
func bounded(metric string) bool { return metric != metrics.LogLoss }

// checkSplit refuses a held-out fraction that cannot be one. 0, written
// out, means no held-out split: the model is then evaluated on
// data.test_source, and without one it would have nothing to be tested on.
func (p *Pipeline) checkSplit(probs *problems) {
	ts := p.Features.Split.TestSize
	switch {
	case math.IsNaN(ts) || ts < 0 || ts >= 1:
		probs.add("%s %v must be a fraction in (0, 1), e.g. 0.2 to hold out 20%% of the rows for the test", pathTestSize, num(ts))
	case ts == 0 && slices.Contains(p.zeros, pathTestSize) && p.Data.TestSource == "":
		probs.add("%s is 0, which holds out no rows, and data.test_source is not set, so the model would have nothing to be tested on; give a fraction such as 0.2, set data.test_source, or leave test_size out for the default 0.2", pathTestSize)
	}
}
