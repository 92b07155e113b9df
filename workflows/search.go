package workflows

import (
	"cmp"
	"errors"
	"fmt"
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
	// ContinueAsNewAt is the history length (events) at which a run stops
	// launching trials and hands over once its running ones finish
	// (default 2,000; 100 to 10,000). Searches started before the
	// search-continues-as-new marker never hand over, whatever it says.
	ContinueAsNewAt int `json:"continue_as_new_at,omitempty"`
	// Carry is what a previous run of the search handed over
	// (continue-as-new); nobody sets it by hand.
	Carry *SearchCarry `json:"carry,omitempty"`
}

// SearchCarry is a search's progress handed to its next run: the rung in
// progress, how many of its trial×fold jobs have finished (jobs run in a
// fixed order and a run hands over only once none is running), the
// trials still in the race and every trial's scores so far.
type SearchCarry struct {
	Rung    int                `json:"rung"`
	Next    int                `json:"next"`
	Alive   []int              `json:"alive"`
	Results []tune.TrialResult `json:"results"`
	Status  SearchStatus       `json:"status"`
	Runs    int                `json:"runs"`
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
// is recorded with its reason and the search goes on; a trial refused as
// bad input (a scoring or classes every trial shares) ends the search with
// its message; cancelling the search cancels its running trials.
func HyperparameterSearch(ctx workflow.Context, in SearchInput) (SearchResult, error) {
	// Searches started before this version ended at once when cancelled and
	// left their running trials to notice at a later heartbeat, took the
	// binary defaults whatever the classes and did not check the scoring
	// against them; their histories replay as they were.
	waitForTrials := workflow.GetVersion(ctx, versionWaitForCancelledTrials, workflow.DefaultVersion, 1) == 1
	// Searches started before this version recorded a trial's bad input
	// and went on scheduling every other trial.
	stopOnInvalid := workflow.GetVersion(ctx, versionStopOnInvalidInput, workflow.DefaultVersion, 1) == 1
	// Searches started before this version defaulted max_parallel to 4.
	deepQueue := workflow.GetVersion(ctx, versionDefaultMaxParallel16, workflow.DefaultVersion, 1) == 1
	// Searches started before this version ran every trial in one run,
	// whatever its history's length.
	continues := workflow.GetVersion(ctx, versionSearchContinuesAsNew, workflow.DefaultVersion, 1) == 1
	s := in.Search.Defaults()
	if waitForTrials {
		// The scoring's default follows the model's classes (f1_macro for
		// three or more); binary searches get the defaults they always had.
		s = in.Search.DefaultsFor(in.Base.Classes)
	}
	if in.Search.MaxParallel == 0 && !deepQueue {
		s.MaxParallel = 4
	}
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
	if n := in.ContinueAsNewAt; n != 0 && (n < MinContinueAsNewAt || n > MaxContinueAsNewAt) {
		return bad(fmt.Errorf("continue_as_new_at %d is out of range: use %d to %d events (0 means %d)",
			n, MinContinueAsNewAt, MaxContinueAsNewAt, searchContinueAsNewAt))
	}
	if waitForTrials {
		if err := tune.CheckScoring(s.Scoring, in.Base.Classes); err != nil {
			return bad(err)
		}
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
	ro := rungOptions{waitForTrials: waitForTrials, stopOnInvalid: stopOnInvalid}
	firstRung, runs := 0, 1
	if continues {
		events := searchRunEvents
		ro.continueAt, ro.events = cmp.Or(in.ContinueAsNewAt, searchContinueAsNewAt), &events
	}
	if c := in.Carry; c != nil {
		if c.Rung < 0 || c.Rung >= len(rungs) || len(c.Results) != len(results) || c.Next < 0 {
			return bad(fmt.Errorf("carry is not this search's own hand-over (rung %d of %d, %d results for %d trials): start the search without carry",
				c.Rung+1, len(rungs), len(c.Results), len(results)))
		}
		firstRung, alive, results, st, runs, ro.from = c.Rung, c.Alive, c.Results, c.Status, c.Runs+1, c.Next
	}
	for ri := firstRung; ri < len(rungs); ri++ {
		rung := rungs[ri]
		st.Rung = ri + 1
		next, err := runRung(ctx, in, s, configs, alive, rung, results, &st, ro)
		if errors.Is(err, errContinueAsNew) {
			return SearchResult{}, continueSearch(ctx, in, SearchCarry{Rung: ri, Next: next, Alive: alive, Results: results, Status: st, Runs: runs})
		}
		if err != nil {
			return SearchResult{}, err
		}
		ro.from = 0
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
		cfg = cfg.WithBudget(rungs[len(rungs)-1].Epochs)
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
// until every running trial has acknowledged the cancellation, default the
// scoring by the model's classes and refuse a scoring that does not fit
// them.
const versionWaitForCancelledTrials = "search-waits-for-cancelled-trials"

// versionStopOnInvalidInput marks searches that end when a trial is
// refused as bad input, cancelling and waiting for the running trials,
// instead of scheduling every remaining trial to fail the same way.
const versionStopOnInvalidInput = "search-stops-on-invalid-input"

// versionDefaultMaxParallel16 marks searches whose max_parallel defaults to
// tune.DefaultMaxParallel (16) rather than 4.
const versionDefaultMaxParallel16 = "search-default-max-parallel-16"

// versionSearchContinuesAsNew marks searches that continue as new, once no
// trial is running, before their history grows long (a trial×fold costs
// up to 6 events and a search may run 10,000 of them).
const versionSearchContinuesAsNew = "search-continues-as-new"

// searchContinueAsNewAt is the history length at which a search stops
// launching trials and hands over once the running ones finish: even with
// max_parallel at its maximum of 1,000 fits still running (6 events each),
// a run stays under Temporal's 10,240-event warning.
const searchContinueAsNewAt = 2000

// A search's run costs about this many events: its start and set-up, and
// per trial×fold an activity scheduled, started and completed and its
// share of workflow tasks (three events each; at worst one per trial).
const (
	searchRunEvents   = 20
	searchTrialEvents = 6
)

// continueSearch hands the search to a new run of the same workflow ID;
// the pipeline waiting on it follows the new run.
func continueSearch(ctx workflow.Context, in SearchInput, c SearchCarry) error {
	workflow.GetLogger(ctx).Info("search continues as new", "model", in.Model, "run", c.Runs, "rung", c.Rung+1,
		"jobs_done", c.Next, "history_length", workflow.GetInfo(ctx).GetCurrentHistoryLength())
	in.Carry = &c
	return workflow.NewContinueAsNewError(ctx, HyperparameterSearchName, in)
}

// trialHeartbeatTimeout is short so that a cancelled search reaches its
// trials within the SDK's heartbeat throttle (0.8 of it) and a lost worker
// is noticed soon; TrainTrial heartbeats every second whatever the epoch
// length (activities.TrialHeartbeatInterval).
const trialHeartbeatTimeout = 5 * time.Second

// rungOptions are the behaviours a search's versions switch on.
type rungOptions struct {
	// waitForTrials: a cancelled search waits for its running trials to
	// end cancelled.
	waitForTrials bool
	// stopOnInvalid: a trial refused as bad input stops the search.
	stopOnInvalid bool
	// continueAt: the history length at which the run stops launching
	// and, once no trial runs, asks to continue as new (0: never).
	continueAt int
	// from: jobs of the rung an earlier run finished.
	from int
	// events counts the run's own events across its rungs.
	events *int
}

// runRung scores every alive trial on every fold, at most MaxParallel
// activities at a time (a sliding window), and folds the scores into
// results. With waitForTrials, a cancelled search launches nothing more and
// waits for its running trials to end cancelled, so the search closes only
// when no trial is left training. With stopOnInvalid, a trial refused as
// bad input does the same to the others and its refusal is the rung's
// error: every other trial shares the input it was refused for. With
// continueAt, a run whose history reaches it launches nothing more and,
// once its running trials finish, returns errContinueAsNew with the number
// of the rung's jobs done.
func runRung(ctx workflow.Context, in SearchInput, s tune.Search, configs []model.Config, alive []int, rung tune.Rung, results []tune.TrialResult,
	st *SearchStatus, ro rungOptions) (int, error) {
	type job struct{ trial, fold int }
	var jobs []job
	for _, t := range alive {
		if ro.from == 0 {
			results[t].FoldScores, results[t].Seconds, results[t].Reason = nil, 0, ""
		}
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
		WaitForCancellation: ro.waitForTrials,
	}
	// Trials run in their own context only where a refusal may cancel
	// them, so older searches replay the commands they issued.
	trialCtx, cancelTrials := ctx, func() {}
	if ro.stopOnInvalid {
		trialCtx, cancelTrials = workflow.WithCancel(ctx)
	}
	sel := workflow.NewSelector(ctx)
	var firstErr error
	stopping, handing := false, false
	next, pending := ro.from, 0
	launch := func() {
		j := jobs[next]
		next++
		pending++
		st.Running = pending
		cfg := configs[j.trial]
		if rung.Epochs > 0 {
			cfg = cfg.WithBudget(rung.Epochs) // epochs, or n_estimators for trees
		}
		in := activities.TrainTrialInput{Train: in.Train, TrialID: j.trial, Config: cfg, Fold: j.fold, Folds: s.CV, CVSeed: s.Seed, Scoring: s.Scoring}
		o := opts
		o.Summary = fmt.Sprintf("trial %d fold %d/%d: %s", j.trial, j.fold+1, s.CV, tune.ParamText(results[j.trial].Params))
		f := workflow.ExecuteActivity(workflow.WithActivityOptions(trialCtx, o), a.TrainTrial, in)
		sel.AddFuture(f, func(f workflow.Future) {
			if ro.events != nil {
				*ro.events += searchTrialEvents
			}
			pending--
			st.Done++
			st.Running = pending
			var r activities.TrainTrialResult
			if err := f.Get(ctx, &r); err != nil {
				var app *temporal.ApplicationError
				switch {
				case firstErr != nil:
				case temporal.IsCanceledError(err):
					firstErr = err
				case ro.stopOnInvalid && errors.As(err, &app) && app.Type() == activities.ErrInvalidInput:
					firstErr = temporal.NewNonRetryableApplicationError(
						fmt.Sprintf("%s (trial %d, fold %d/%d; every trial of the search would fail the same way)", app.Message(), j.trial, j.fold+1, s.CV),
						activities.ErrInvalidInput, nil)
					stopping = true
					cancelTrials()
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
	draining := func() bool { return stopping || handing || ro.waitForTrials && ctx.Err() != nil }
	for pending > 0 {
		sel.Select(ctx)
		if firstErr != nil && !stopping && !(ro.waitForTrials && ctx.Err() != nil) {
			return next, firstErr
		}
		if ro.continueAt > 0 && next < len(jobs) && !handing {
			info := workflow.GetInfo(ctx)
			handing = info.GetContinueAsNewSuggested() || max(info.GetCurrentHistoryLength(), *ro.events) >= ro.continueAt
		}
		if next < len(jobs) && !draining() {
			launch()
		}
	}
	switch {
	case firstErr != nil:
		return next, firstErr
	case ctx.Err() != nil:
		return next, ctx.Err()
	case handing:
		return next, errContinueAsNew
	}
	return next, nil
}
