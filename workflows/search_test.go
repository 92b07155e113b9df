package workflows

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/mlpipe/mlpipe/activities"
	"github.com/mlpipe/mlpipe/internal/model"
	"github.com/mlpipe/mlpipe/internal/tune"
)

func searchInput(strategy string, n int) SearchInput {
	s := tune.Search{Strategy: strategy, NIter: n, CV: 3, Scoring: "f1", Seed: 7, MaxParallel: 2,
		ParamDistributions: tune.Space{
			{Name: "learning_rate", Dist: tune.LogUniform(0.001, 0.3)},
			{Name: "batch_size", Dist: tune.Choice(64, 128, 256)},
		}}
	if strategy == tune.StrategySuccessiveHalving {
		s.Halving = &tune.Halving{MinEpochs: 1, MaxEpochs: 27, Eta: 3}
	}
	return SearchInput{Model: "churn-classifier", Base: model.Config{Kind: model.KindLogistic, Epochs: 10}, Search: s}
}

// fakeTrials scores a trial by its learning rate (closer to 0.05 is
// better) and fails the ones whose learning rate is over 0.2, counting how
// many run at once.
type fakeTrials struct {
	mu                sync.Mutex
	running, maxSeen  int
	calls             int
	epochsByTrialCall []int
}

func (f *fakeTrials) run(_ context.Context, in activities.TrainTrialInput) (activities.TrainTrialResult, error) {
	f.mu.Lock()
	f.running++
	f.calls++
	f.maxSeen = max(f.maxSeen, f.running)
	f.epochsByTrialCall = append(f.epochsByTrialCall, in.Config.Epochs)
	f.mu.Unlock()
	defer func() { f.mu.Lock(); f.running--; f.mu.Unlock() }()
	r := activities.TrainTrialResult{TrialID: in.TrialID, Fold: in.Fold, Status: tune.StatusOK, Epochs: in.Config.Epochs, Seconds: 0.1}
	if in.Config.LearningRate > 0.2 {
		r.Status, r.Reason = tune.StatusFailed, "training diverged: loss is NaN at epoch 3"
		return r, nil
	}
	d := in.Config.LearningRate - 0.05
	r.Score = 0.9 - d*d - 0.001*float64(in.Fold)
	return r, nil
}

func runSearch(t *testing.T, in SearchInput) (SearchResult, *fakeTrials, error) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(HyperparameterSearch)
	env.RegisterActivity(a)
	f := &fakeTrials{}
	env.OnActivity(a.TrainTrial, mock.Anything, mock.Anything).Return(f.run)
	env.ExecuteWorkflow(HyperparameterSearch, in)
	require.True(t, env.IsWorkflowCompleted())
	var res SearchResult
	err := env.GetWorkflowError()
	if err == nil {
		require.NoError(t, env.GetWorkflowResult(&res))
	}
	return res, f, err
}

func TestRandomSearchScoresEveryTrialOnEveryFold(t *testing.T) {
	in := searchInput(tune.StrategyRandom, 12)
	res, f, err := runSearch(t, in)
	require.NoError(t, err)
	assert.Equal(t, 12*3, f.calls, "12 trials × 3 folds, each an activity")
	assert.LessOrEqual(t, f.maxSeen, 2, "never more than max_parallel at once")
	require.Len(t, res.Results, 12)

	trials, err := tune.Sample(in.Search.ParamDistributions, 12, 7)
	require.NoError(t, err)
	// The winner is the ok trial whose learning rate is closest to 0.05.
	best, bestD := -1, 1.0
	for _, tr := range trials {
		lr := tr.Params[0].Value.(float64)
		if d := (lr - 0.05) * (lr - 0.05); lr <= 0.2 && d < bestD {
			best, bestD = tr.ID, d
		}
	}
	assert.Equal(t, best, res.Best.TrialID)
	assert.Len(t, res.Best.FoldScores, 3)
	assert.Equal(t, res.Best.Params[0].Value, res.BestConfig.LearningRate)
	assert.Contains(t, res.Table, "| trial |")

	failed := 0
	for _, r := range res.Results {
		if r.Status == tune.StatusFailed {
			failed++
			assert.Contains(t, r.Reason, "diverged", "a failed trial says why")
		}
	}
	assert.Positive(t, failed, "some sampled learning rates are over 0.2")
	assert.Equal(t, tune.StatusFailed, res.Results[len(res.Results)-1].Status, "failed trials rank last")
}

func TestSuccessiveHalvingGivesSurvivorsMoreEpochs(t *testing.T) {
	in := searchInput(tune.StrategySuccessiveHalving, 9)
	in.Search.ParamDistributions = tune.Space{{Name: "learning_rate", Dist: tune.Uniform(0.001, 0.15)}}
	res, f, err := runSearch(t, in)
	require.NoError(t, err)
	// 9 trials at 1 epoch, 3 at 3, 1 at 27 (a lone survivor jumps to the
	// maximum), each on 3 folds.
	assert.Equal(t, []tune.Rung{{Epochs: 1, Survivors: 9}, {Epochs: 3, Survivors: 3}, {Epochs: 27, Survivors: 1}}, res.Rungs)
	assert.Equal(t, (9+3+1)*3, f.calls)
	stopped := 0
	for _, r := range res.Results {
		if r.Status == tune.StatusStopped {
			stopped++
		}
	}
	assert.Equal(t, 8, stopped, "losers are stopped early, not trained to the end")
	assert.Equal(t, 27, res.BestConfig.Epochs)
	assert.Equal(t, 27, res.Best.Epochs)
}

func TestASearchWithABadSpaceIsRefused(t *testing.T) {
	in := searchInput(tune.StrategyRandom, 4)
	in.Search.CV = 1
	_, f, err := runSearch(t, in)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "cv")
	assert.Zero(t, f.calls)
}

// A search over a multi-class model scores by f1_macro unless told
// otherwise, and refuses a binary-only scoring before any trial runs.
func TestMultiClassSearchScoringDefaultsAndChecks(t *testing.T) {
	in := searchInput(tune.StrategyRandom, 2)
	in.Base.Classes = 3
	in.Search.Scoring = ""
	var seen []string
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(HyperparameterSearch)
	env.RegisterActivity(a)
	f := &fakeTrials{}
	env.OnActivity(a.TrainTrial, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, in activities.TrainTrialInput) (activities.TrainTrialResult, error) {
			f.mu.Lock()
			seen = append(seen, in.Scoring)
			f.mu.Unlock()
			return f.run(ctx, in)
		})
	env.ExecuteWorkflow(HyperparameterSearch, in)
	require.NoError(t, env.GetWorkflowError())
	require.NotEmpty(t, seen)
	for _, sc := range seen {
		assert.Equal(t, "f1_macro", sc)
	}

	in.Search.Scoring = "f1"
	_, f, err := runSearch(t, in)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "f1_macro", "the error names the multi-class counterpart")
	assert.Zero(t, f.calls, "no trial ran")
}

// refusingTrials refuses every trial as bad input, as TrainTrial does for
// labels the model's classes cannot hold; trial 0's second fold (the second
// launched) runs until the search cancels it before refusing.
type refusingTrials struct {
	mu        sync.Mutex
	calls     int
	cancelled int
	release   chan struct{}
}

const refusal = "search: training label at row 3 is 2 but the model is binary (labels 0 and 1); for three or more classes set hyperparameters.classes or list data.classes"

func (f *refusingTrials) run(ctx context.Context, in activities.TrainTrialInput) (activities.TrainTrialResult, error) {
	f.mu.Lock()
	f.calls++
	f.mu.Unlock()
	if in.TrialID == 0 && in.Fold == 1 {
		select {
		case <-f.release:
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
	return activities.TrainTrialResult{}, temporal.NewNonRetryableApplicationError(refusal, activities.ErrInvalidInput, nil)
}

// counts reads the calls and cancellations under the lock: a cancelled
// mock can still be returning when the workflow has completed.
func (f *refusingTrials) counts() (calls, cancelled int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls, f.cancelled
}

func runRefusedSearch(t *testing.T, versions ...workflow.Version) (*refusingTrials, error) {
	var s testsuite.WorkflowTestSuite
	s.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler))) // the refusals are asserted, not logged
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(HyperparameterSearch)
	env.RegisterActivity(a)
	f := &refusingTrials{release: make(chan struct{})}
	var once sync.Once
	env.SetOnActivityCanceledListener(func(*activity.Info) {
		f.mu.Lock()
		f.cancelled++
		f.mu.Unlock()
		once.Do(func() { close(f.release) })
	})
	for _, v := range versions {
		env.OnGetVersion(versionStopOnInvalidInput, workflow.DefaultVersion, 1).Return(v)
	}
	env.OnActivity(a.TrainTrial, mock.Anything, mock.Anything).Return(f.run)
	in := searchInput(tune.StrategyRandom, 12)
	env.ExecuteWorkflow(HyperparameterSearch, in)
	require.True(t, env.IsWorkflowCompleted())
	once.Do(func() { close(f.release) })
	return f, env.GetWorkflowError()
}

// A trial refused as bad input ends the search with the activity's
// message: every other trial shares the input and would be refused too.
// The trial still running is cancelled, and nothing more is scheduled.
func TestASearchStopsWhenATrialIsRefusedAsBadInput(t *testing.T) {
	f, err := runRefusedSearch(t)
	require.Error(t, err)
	var app *temporal.ApplicationError
	require.ErrorAs(t, err, &app)
	assert.Equal(t, activities.ErrInvalidInput, app.Type())
	assert.True(t, app.NonRetryable())
	assert.Contains(t, app.Message(), refusal, "the user reads what to fix")
	assert.Contains(t, app.Message(), "(trial 0, fold 1/3; every trial of the search would fail the same way)")
	calls, cancelled := f.counts()
	assert.Equal(t, 1, cancelled, "the other trial max_parallel allowed is cancelled")
	assert.LessOrEqual(t, calls, 2, "and nothing more is scheduled (the cancelled one may not have started)")
}

// Searches started before the change replay as they ran: a refused trial
// is recorded and every remaining trial is still scheduled.
func TestASearchOfThePreviousVersionGoesOnAfterABadInput(t *testing.T) {
	f, err := runRefusedSearch(t, workflow.DefaultVersion)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "every trial failed")
	calls, cancelled := f.counts()
	assert.Equal(t, 12*3, calls)
	assert.Zero(t, cancelled)
}

// Searches started before the classes-aware defaults keep the binary
// defaults and run whatever scoring they were given.
func TestASearchOfThePreviousVersionKeepsTheBinaryDefaults(t *testing.T) {
	run := func(scoring string, v workflow.Version) ([]string, error) {
		in := searchInput(tune.StrategyRandom, 2)
		in.Base.Classes = 3
		in.Search.Scoring = scoring
		var mu sync.Mutex
		var seen []string
		var s testsuite.WorkflowTestSuite
		env := s.NewTestWorkflowEnvironment()
		env.RegisterWorkflow(HyperparameterSearch)
		env.RegisterActivity(a)
		env.OnGetVersion(versionWaitForCancelledTrials, workflow.DefaultVersion, 1).Return(v)
		f := &fakeTrials{}
		env.OnActivity(a.TrainTrial, mock.Anything, mock.Anything).Return(
			func(ctx context.Context, in activities.TrainTrialInput) (activities.TrainTrialResult, error) {
				mu.Lock()
				seen = append(seen, in.Scoring)
				mu.Unlock()
				return f.run(ctx, in)
			})
		env.ExecuteWorkflow(HyperparameterSearch, in)
		require.True(t, env.IsWorkflowCompleted())
		return seen, env.GetWorkflowError()
	}
	seen, err := run("", workflow.DefaultVersion)
	require.NoError(t, err)
	require.Len(t, seen, 2*3)
	for _, sc := range seen {
		assert.Equal(t, "accuracy", sc, "the binary default, as before")
	}
	seen, err = run("f1", workflow.DefaultVersion)
	require.NoError(t, err, "no scoring check")
	assert.Len(t, seen, 2*3)

	seen, err = run("f1", 1)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "f1_macro")
	assert.Empty(t, seen)
}

// With max_parallel left out, a search keeps tune.DefaultMaxParallel (16)
// trials scheduled, enough to keep a worker's slots and prefetch busy
// while the workflow schedules more; searches started before that default
// replay with 4.
func TestASearchWithoutMaxParallelKeepsSixteenTrialsScheduled(t *testing.T) {
	assert.Equal(t, tune.DefaultMaxParallel, peakScheduled(t, 1, tune.DefaultMaxParallel, 5*time.Second), "16 trial×folds at once")
	assert.Equal(t, 4, peakScheduled(t, workflow.DefaultVersion, 5, 300*time.Millisecond), "the previous default")
}

// peakScheduled runs a 12 × 3 search without max_parallel at version v of
// its default and returns the most trial×folds in flight at once. The
// first target trials wait until target are in flight, or for wait, so the
// peak shows what the search schedules, not how fast the mocks return.
func peakScheduled(t *testing.T, v workflow.Version, target int, wait time.Duration) int {
	in := searchInput(tune.StrategyRandom, 12)
	in.Search.MaxParallel = 0
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.SetTestTimeout(time.Minute)
	env.RegisterWorkflow(HyperparameterSearch)
	env.RegisterActivity(a)
	env.OnGetVersion(versionDefaultMaxParallel16, workflow.DefaultVersion, 1).Return(v)
	f := &fakeTrials{}
	var mu sync.Mutex
	inFlight, arrived, peak, closed := 0, 0, 0, false
	full := make(chan struct{})
	env.OnActivity(a.TrainTrial, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, in activities.TrainTrialInput) (activities.TrainTrialResult, error) {
			mu.Lock()
			inFlight++
			arrived++
			first := arrived <= target
			if peak = max(peak, inFlight); inFlight == target && !closed {
				closed = true
				close(full)
			}
			mu.Unlock()
			defer func() { mu.Lock(); inFlight--; mu.Unlock() }()
			if first {
				select {
				case <-full:
				case <-time.After(wait):
				}
			}
			return f.run(ctx, in)
		})
	env.ExecuteWorkflow(HyperparameterSearch, in)
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	assert.Equal(t, 12*3, f.calls)
	return peak
}
