package spec

import (
	"fmt"
	"time"

	"github.com/mlpipe/mlpipe/internal/model"
	"github.com/mlpipe/mlpipe/internal/tune"
)

// Bounds on spec values. Each is far beyond what a real pipeline asks for,
// and low enough that a slip (three zeros too many) is refused before it
// trains for weeks, fills the artifact store with checkpoints or outgrows a
// workflow's history. The README lists them.
const (
	MaxEpochs       = 100_000
	MaxBatchSize    = 1_000_000
	MaxHiddenLayers = 16
	MaxHiddenUnits  = 65_536
	MaxClasses      = 1_000
	MaxNIter        = 10_000
	MaxCV           = 100
	MaxMaxParallel  = 1_000
	// MaxSearchFits bounds a search's trial×fold fits over all its rungs:
	// each is an activity in the search's history, whose limit is 51,200
	// events (three or more per fit).
	MaxSearchFits   = 10_000
	MaxHalvingEta   = 100
	MaxBootstrap    = 100_000
	MaxCanarySteps  = 20
	MaxFailureLimit = 100
	MaxStageRetries = 100

	MaxApprovalTimeout  = Duration(365 * day)
	MinAnalysisInterval = Duration(time.Second)
	MaxAnalysisInterval = Duration(day)
	// MinStageTimeout is the shortest attempt a stage may have: below it
	// an attempt times out before a worker has done anything.
	MinStageTimeout = Duration(time.Second)
	MaxStageTimeout = Duration(30 * day)
	// MinHeartbeat leaves room for training's once-a-second heartbeat.
	MinHeartbeat = Duration(2 * time.Second)
)

// A rollout's runs continue as new at DefaultContinueAsNewAt history events
// unless deployment.continue_as_new_at says otherwise: well below the
// 10,240 events at which Temporal starts warning, and above what one hold's
// analysis and routing cost.
const (
	DefaultContinueAsNewAt = 2_000
	MinContinueAsNewAt     = 100
	MaxContinueAsNewAt     = 10_000
)

// checkBounds refuses values beyond the bounds above.
func (p *Pipeline) checkBounds(probs *problems) {
	p.checkModelBounds("hyperparameters", p.Hyperparameters, probs)
	if s := p.Search; s != nil {
		p.checkSearchBounds(*s, probs)
	}
	if b := p.Evaluation.Bootstrap; b > MaxBootstrap {
		probs.add("evaluation.bootstrap %d is above the maximum of %d resamples", b, MaxBootstrap)
	}
	if t := p.Approval.Timeout; t > MaxApprovalTimeout {
		probs.add("approval.timeout %s is above the maximum of %s", t.Text(), MaxApprovalTimeout.Text())
	}
	d := p.Deployment
	if n := len(d.Steps); n > MaxCanarySteps {
		probs.add("deployment.steps lists %d steps; at most %d are allowed", n, MaxCanarySteps)
	}
	if d.Strategy != StrategyDirect && d.Strategy != "" {
		if iv := d.AnalysisInterval; iv != 0 && (iv < MinAnalysisInterval || iv > MaxAnalysisInterval) {
			probs.add("deployment.analysis_interval %s is outside %s to %s", iv.Text(), MinAnalysisInterval.Text(), MaxAnalysisInterval.Text())
		}
	}
	if f := d.FailureLimit; f > MaxFailureLimit {
		probs.add("deployment.failure_limit %d is above the maximum of %d", f, MaxFailureLimit)
	}
	for _, st := range p.Stages {
		where := "stages." + st.Name
		if st.Timeout > 0 && (st.Timeout < MinStageTimeout || st.Timeout > MaxStageTimeout) {
			probs.add("%s.timeout %s is outside %s to %s: it bounds one attempt of the stage's work", where, st.Timeout.Text(), MinStageTimeout.Text(), MaxStageTimeout.Text())
		}
		if st.Retries > MaxStageRetries {
			probs.add("%s.retries %d is above the maximum of %d attempts", where, st.Retries, MaxStageRetries)
		}
		if st.Cache != nil && st.KindOrName() == KindDeployment {
			probs.add("%s.cache: the deployment stage is never cached (its gate and approval run every time); remove it", where)
		}
		switch {
		case st.Heartbeat < 0:
			probs.add("%s.heartbeat must not be negative", where)
		case st.Heartbeat > 0 && st.KindOrName() == KindDeployment:
			probs.add("%s.heartbeat does not apply to the deployment stage (it does not heartbeat); remove it", where)
		case st.Heartbeat > 0 && st.Heartbeat < MinHeartbeat:
			probs.add("%s.heartbeat %s is below the minimum of %s: stages heartbeat once a second", where, st.Heartbeat.Text(), MinHeartbeat.Text())
		case st.Heartbeat > 0 && st.Timeout > 0 && st.Heartbeat > st.Timeout:
			probs.add("%s.heartbeat %s is longer than its timeout %s; make it shorter", where, st.Heartbeat.Text(), st.Timeout.Text())
		}
	}
}

func (p *Pipeline) checkModelBounds(where string, c model.Config, probs *problems) {
	if c.Epochs > MaxEpochs {
		probs.add("%s.epochs %d is above the maximum of %d", where, c.Epochs, MaxEpochs)
	}
	if c.BatchSize > MaxBatchSize {
		probs.add("%s.batch_size %d is above the maximum of %d", where, c.BatchSize, MaxBatchSize)
	}
	if c.Patience > MaxEpochs {
		probs.add("%s.patience %d is above the maximum of %d epochs", where, c.Patience, MaxEpochs)
	}
	if c.NEstimators > MaxEpochs {
		probs.add("%s.n_estimators %d is above the maximum of %d boosting rounds", where, c.NEstimators, MaxEpochs)
	}
	if c.EarlyStoppingRounds > MaxEpochs {
		probs.add("%s.early_stopping_rounds %d is above the maximum of %d rounds", where, c.EarlyStoppingRounds, MaxEpochs)
	}
	if c.Classes > MaxClasses {
		probs.add("%s.classes %d is above the maximum of %d", where, c.Classes, MaxClasses)
	}
	if n := len(c.Hidden); n > MaxHiddenLayers {
		probs.add("%s.hidden lists %d layers; at most %d are allowed", where, n, MaxHiddenLayers)
	}
	for i, h := range c.Hidden {
		if h > MaxHiddenUnits {
			probs.add("%s.hidden[%d] is %d units; at most %d are allowed", where, i, h, MaxHiddenUnits)
		}
	}
}

// searchParamBounds are the tunable parameters with an upper bound.
var searchParamBounds = []struct {
	name string
	max  float64
}{
	{"epochs", MaxEpochs},
	{"batch_size", MaxBatchSize},
	{"hidden_units", MaxHiddenUnits},
	{"patience", MaxEpochs},
	{"n_estimators", MaxEpochs},
	{"early_stopping_rounds", MaxEpochs},
}

func (p *Pipeline) checkSearchBounds(s tune.Search, probs *problems) {
	if s.NIter > MaxNIter {
		probs.add("search.n_iter %d is above the maximum of %d trials", s.NIter, MaxNIter)
	}
	if s.CV > MaxCV {
		probs.add("search.cv %d is above the maximum of %d folds", s.CV, MaxCV)
	}
	if s.MaxParallel > MaxMaxParallel {
		probs.add("search.max_parallel %d is above the maximum of %d", s.MaxParallel, MaxMaxParallel)
	}
	if h := s.Halving; h != nil {
		if h.MaxEpochs > MaxEpochs {
			probs.add("search.halving.max_epochs %d is above the maximum of %d", h.MaxEpochs, MaxEpochs)
		}
		if h.Eta > MaxHalvingEta {
			probs.add("search.halving.eta %d is above the maximum of %d", h.Eta, MaxHalvingEta)
		}
	}
	for _, b := range searchParamBounds {
		d, ok := s.ParamDistributions.Get(b.name)
		if !ok {
			continue
		}
		hi := d.High
		if d.Kind == tune.DistChoice {
			hi = 0
			for _, v := range d.Choices {
				if f, ok := v.(float64); ok && f > hi {
					hi = f
				}
			}
		}
		if hi > b.max {
			probs.add("search.param_distributions.%s reaches %g, above the maximum of %g", b.name, hi, b.max)
		}
	}
	if s.NIter > MaxNIter || s.CV > MaxCV || s.NIter < 1 || s.CV < 1 {
		return
	}
	fits := s.NIter * s.CV
	if s.Strategy == tune.StrategySuccessiveHalving && s.Halving != nil {
		if rungs, err := s.Halving.Plan(s.NIter); err == nil {
			fits = 0
			for _, r := range rungs {
				fits += r.Survivors * s.CV
			}
		}
	}
	if fits > MaxSearchFits {
		probs.add("search: %s makes %d trial×fold fits, above the maximum of %d (each is an activity in the search's history); lower n_iter or cv",
			searchSize(s), fits, MaxSearchFits)
	}
}

func searchSize(s tune.Search) string {
	if s.Strategy == tune.StrategySuccessiveHalving {
		return fmt.Sprintf("successive halving from n_iter %d with cv %d", s.NIter, s.CV)
	}
	return fmt.Sprintf("n_iter %d × cv %d", s.NIter, s.CV)
}
