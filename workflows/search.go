package workflows

import (
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/mlpipe/mlpipe/activities"
	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/model"
	"github.com/mlpipe/mlpipe/internal/tune"
)

// HyperparameterSearchName is the search's registered workflow type.
const HyperparameterSearchName = "HyperparameterSearch"

// SearchInput is a search over a feature set's training split.
type SearchInput struct {
	Model string `json:"model"`
	// Train is the training matrix the folds are cut from.
	Train artifact.Ref `json:"train"`
	// Base is the configuration the trials' parameters are set on.
	Base   model.Config `json:"base"`
	Search tune.Search  `json:"search"`
}

// SearchResult is every trial, ranked, and the winner.
type SearchResult struct {
	Best       tune.TrialResult   `json:"best"`
	BestConfig model.Config       `json:"best_config"`
	Results    []tune.TrialResult `json:"results"`
	Table      string             `json:"table"`
	Strategy   string             `json:"strategy"`
	Rungs      []tune.Rung        `json:"rungs,omitempty"`
}

// SearchStatus answers the search's status query.
type SearchStatus struct {
	Strategy string             `json:"strategy"`
	Rung     int                `json:"rung"`
	Rungs    int                `json:"rungs"`
	Done     int                `json:"done"`
	Total    int                `json:"total"`
	Running  int                `json:"running"`
	Results  []tune.TrialResult `json:"results"`
}

// HyperparameterSearch is the seed's RandomizedSearchCV as a workflow:
// n_iter sampled configurations, each scored by stratified k-fold cross
// validation, every trial×fold an activity on mlpipe-gpu, at most
// max_parallel at once. With strategy successive_halving, trials run in
// rungs of growing epochs and only the best 1/eta go on. A diverging trial
// is recorded with its reason and the search goes on; cancelling the
// search cancels its running trials.
func HyperparameterSearch(ctx workflow.Context, in SearchInput) (SearchResult, error) {
	// Searches started before this version ended at once when cancelled and
	// left their running trials to notice at a later heartbeat; their
	// histories replay as they were.
	waitForTrials := workflow.GetVersion(ctx, versionWaitForCancelledTrials, workflow.DefaultVersion, 1) == 1
	// The scoring's default follows the model's classes (f1_macro for
	// three or more); binary searches get the defaults they always had.
	s := in.Search.DefaultsFor(in.Base.Classes)
	st := SearchStatus{Strategy: s.Strategy}
	if err := workflow.SetQueryHandler(ctx, QueryStatus, func() (SearchStatus, error) { return st, nil }); err != nil {
		return SearchResult{}, err
	}
	bad := func(err error) (SearchResult, error) {
		return SearchResult{}, temporal.NewNonRetryableApplicationError("search: "+err.Error(), ErrInvalidSpec, nil)
	}
	if err := s.Validate(); err != nil {
		return bad(err)
	}
	if err := tune.CheckScoring(s.Scoring, in.Base.Classes); err != nil {
		return bad(err)
	}
	trials, err := tune.Sample(s.ParamDistributions, s.NIter, s.Seed)
	if err != nil {
		return bad(err)
	}
	rungs := []tune.Rung{{Epochs: 0, Survivors: len(trials)}}
	if s.Strategy == tune.StrategySuccessiveHalving {
		if rungs, err = s.Halving.Plan(len(trials)); err != nil {
			return bad(err)
		}
	}
	configs := make([]model.Config, len(trials))
	for i, t := range trials {
		if configs[i], err = tune.Apply(in.Base, t); err != nil {
			return bad(err)
		}
		if err := configs[i].Defaults().Validate(); err != nil {
			return bad(fmt.Errorf("trial %d: %w", t.ID, err))
		}
	}
	st.Rungs = len(rungs)
	for _, r := range rungs {
		st.Total += r.Survivors * s.CV
	}
	results := make([]tune.TrialResult, len(trials))
	for i, t := range trials {
		results[i] = tune.TrialResult{TrialID: t.ID, Params: t.Params, Status: tune.StatusOK}
	}
	alive := make([]int, len(trials))
	for i := range alive {
		alive[i] = i
	}
	for ri, rung := range rungs {
		st.Rung = ri + 1
		if err := runRung(ctx, in, s, configs, alive, rung, results, &st, waitForTrials); err != nil {
			return SearchResult{}, err
		}
		if ri == len(rungs)-1 {
			break
		}
		keep, stop := tune.Promote(results, rungs[ri+1].Survivors, s.Scoring)
		for _, id := range stop {
			results[id].Status, results[id].Reason = tune.StatusStopped, fmt.Sprintf("stopped after rung %d (%d epochs)", ri+1, rung.Epochs)
		}
		alive = keep
		st.Results = tune.Rank(results, s.Scoring)
	}
	ranked := tune.Rank(results, s.Scoring)
	st.Results = ranked
	if len(ranked) == 0 || ranked[0].Status != tune.StatusOK {
		return SearchResult{Results: ranked, Table: tune.Table(ranked)}, temporal.NewNonRetryableApplicationError(
			"search: every trial failed; see the results table", "SearchFailed", nil)
	}
	best := ranked[0]
	cfg := configs[best.TrialID]
	if s.Strategy == tune.StrategySuccessiveHalving {
		cfg.Epochs = rungs[len(rungs)-1].Epochs
	}
	return SearchResult{Best: best, BestConfig: cfg, Results: ranked, Table: tune.Table(ranked), Strategy: s.Strategy, Rungs: rungsOrNil(s, rungs)}, nil
}

func rungsOrNil(s tune.Search, r []tune.Rung) []tune.Rung {
	if s.Strategy == tune.StrategySuccessiveHalving {
		return r
	}
	return nil
}

// versionWaitForCancelledTrials marks searches that, when cancelled, wait
// until every running trial has acknowledged the cancellation.
const versionWaitForCancelledTrials = "search-waits-for-cancelled-trials"

// trialHeartbeatTimeout is short so that a cancelled search reaches its
// trials within the SDK's heartbeat throttle (0.8 of it) and a lost worker
// is noticed soon; TrainTrial heartbeats every second whatever the epoch
// length (activities.TrialHeartbeatInterval).
const trialHeartbeatTimeout = 5 * time.Second

// runRung scores every alive trial on every fold, at most MaxParallel
// activities at a time (a sliding window), and folds the scores into
// results. With waitForTrials, a cancelled search launches nothing more and
// waits for its running trials to end cancelled, so the search closes only
// when no trial is left training.
func runRung(ctx workflow.Context, in SearchInput, s tune.Search, configs []model.Config, alive []int, rung tune.Rung, results []tune.TrialResult,
	st *SearchStatus, waitForTrials bool) error {
	type job struct{ trial, fold int }
	var jobs []job
	for _, t := range alive {
		results[t].FoldScores, results[t].Seconds, results[t].Reason = nil, 0, ""
		for f := 0; f < s.CV; f++ {
			jobs = append(jobs, job{t, f})
		}
	}
	opts := workflow.ActivityOptions{
		TaskQueue:           TaskQueueGPU,
		StartToCloseTimeout: 2 * time.Hour,
		HeartbeatTimeout:    trialHeartbeatTimeout,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute,
			MaximumAttempts: 3, NonRetryableErrorTypes: []string{activities.ErrInvalidInput}},
		WaitForCancellation: waitForTrials,
	}
	sel := workflow.NewSelector(ctx)
	var firstErr error
	next, pending := 0, 0
	launch := func() {
		j := jobs[next]
		next++
		pending++
		st.Running = pending
		cfg := configs[j.trial]
		if rung.Epochs > 0 {
			cfg.Epochs = rung.Epochs
		}
		in := activities.TrainTrialInput{Train: in.Train, TrialID: j.trial, Config: cfg, Fold: j.fold, Folds: s.CV, CVSeed: s.Seed, Scoring: s.Scoring}
		o := opts
		o.Summary = fmt.Sprintf("trial %d fold %d/%d: %s", j.trial, j.fold+1, s.CV, paramText(results[j.trial].Params))
		f := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, o), a.TrainTrial, in)
		sel.AddFuture(f, func(f workflow.Future) {
			pending--
			st.Done++
			st.Running = pending
			var r activities.TrainTrialResult
			if err := f.Get(ctx, &r); err != nil {
				if firstErr == nil && temporal.IsCanceledError(err) {
					firstErr = err
				}
				results[j.trial].Status, results[j.trial].Reason = tune.StatusFailed, failureMessage(err)
				return
			}
			tr := &results[j.trial]
			tr.Seconds += r.Seconds
			tr.Epochs = r.Epochs
			if r.Status != tune.StatusOK {
				tr.Status, tr.Reason = tune.StatusFailed, fmt.Sprintf("fold %d: %s", r.Fold+1, r.Reason)
				return
			}
			tr.FoldScores = append(tr.FoldScores, r.Score)
			if tr.Status == tune.StatusOK && len(tr.FoldScores) == s.CV {
				tr.Mean, tr.Std = tune.Summarize(tr.FoldScores)
			}
		})
	}
	for next < len(jobs) && pending < s.MaxParallel {
		launch()
	}
	draining := func() bool { return waitForTrials && ctx.Err() != nil }
	for pending > 0 {
		sel.Select(ctx)
		if firstErr != nil && !draining() {
			return firstErr
		}
		if next < len(jobs) && !draining() {
			launch()
		}
	}
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

func paramText(ps []tune.ParamValue) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = fmt.Sprintf("%s=%v", p.Name, p.Value)
	}
	return strings.Join(parts, " ")
}
