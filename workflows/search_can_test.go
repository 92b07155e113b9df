package workflows

import (
	"context"
	"log/slog"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/mlpipe/mlpipe/activities"
	"github.com/mlpipe/mlpipe/internal/tune"
)

// Can a search outgrow its history? The spec allows n_iter × cv up to
// 10,000 trial×fold fits over every rung. Each fit is an activity:
// scheduled, started and completed, 3 events (its retries add none), plus
// its share of workflow tasks, 3 events each, up to one per completion:
// 3 to 6 events a fit. n_iter 200 × cv 5 is 1,000 fits, 3,000 to 6,000
// events; 10,000 fits are 30,000 to 60,000, past the 10,240-event warning
// and, at worst, past the 51,200-event limit, where the server terminates
// the search. So a search continues as new at 2,000 events (by the
// server's count, or its own at 6 a fit where that is larger), once its
// running fits have finished, carrying every trial's scores.

// canSearchParent waits on a search as the pipeline's training stage
// does: a child workflow, followed across continue-as-new.
func canSearchParent(ctx workflow.Context, in SearchInput) (SearchResult, error) {
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{WorkflowID: "churn-1-search", TaskQueue: TaskQueueCPU})
	var res SearchResult
	err := workflow.ExecuteChildWorkflow(cctx, HyperparameterSearchName, in).Get(ctx, &res)
	return res, err
}

// canTrials scores trials as fakeTrials does and counts each run's fits.
type canTrials struct {
	fakeTrials
	mu     sync.Mutex
	runs   []string
	perRun map[string]int
}

func (c *canTrials) fit(ctx context.Context, in activities.TrainTrialInput) (activities.TrainTrialResult, error) {
	id := activity.GetInfo(ctx).WorkflowExecution.RunID
	c.mu.Lock()
	if _, ok := c.perRun[id]; !ok {
		c.runs = append(c.runs, id)
	}
	c.perRun[id]++
	c.mu.Unlock()
	return c.run(ctx, in)
}

// canSearch runs the search as a child; with oneRun, as searches did
// before they continued as new.
func canSearch(t *testing.T, in SearchInput, oneRun bool) (SearchResult, *canTrials) {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	s.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := s.NewTestWorkflowEnvironment()
	// Thousands of fits on a busy machine: a slow workflow task is not a
	// deadlock here.
	env.SetWorkerOptions(worker.Options{DeadlockDetectionTimeout: time.Minute})
	env.RegisterWorkflowWithOptions(HyperparameterSearch, workflow.RegisterOptions{Name: HyperparameterSearchName})
	env.RegisterWorkflow(canSearchParent)
	env.RegisterActivity(a)
	if oneRun {
		env.OnGetVersion(versionSearchContinuesAsNew, workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	}
	c := &canTrials{perRun: map[string]int{}}
	env.OnActivity(a.TrainTrial, mock.Anything, mock.Anything).Return(c.fit)
	env.ExecuteWorkflow(canSearchParent, in)
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var res SearchResult
	require.NoError(t, env.GetWorkflowResult(&res))
	return res, c
}

// The brief's case, n_iter 200 × cv 5 (1,000 fits), and a successive
// halving search: each continues as new, every fit runs once, no run
// passes the bound, and the parent gets the ranking one run would give.
func TestALargeSearchContinuesAsNewAndRanksAsInOneRun(t *testing.T) {
	random := searchInput(tune.StrategyRandom, 200)
	random.Search.CV, random.Search.MaxParallel = 5, 16
	halving := searchInput(tune.StrategySuccessiveHalving, 243)
	halving.Search.MaxParallel = 16
	for name, in := range map[string]SearchInput{"random": random, "successive_halving": halving} {
		t.Run(name, func(t *testing.T) {
			want, one := canSearch(t, in, true)
			got, c := canSearch(t, in, false)
			require.Len(t, one.runs, 1)
			assert.Greater(t, len(c.runs), 2, "continued as new")
			assert.Equal(t, one.calls, c.calls, "every fit ran once")
			for i, id := range c.runs {
				assert.LessOrEqual(t, searchRunEvents+searchTrialEvents*c.perRun[id], searchContinueAsNewAt+searchTrialEvents*in.Search.MaxParallel, "run %d", i+1)
			}
			// Folds finish in whatever order the workers take them, in one
			// run as in several: a trial's fold scores are a set (its mean
			// may differ in the last bit) and a failed trial names the
			// first fold that failed.
			require.Len(t, got.Results, len(want.Results))
			for i, w := range want.Results {
				g := got.Results[i]
				require.Equal(t, w.TrialID, g.TrialID, "rank %d", i+1)
				assert.Equal(t, w.Status, g.Status, "rank %d", i+1)
				assert.Equal(t, w.Params, g.Params)
				assert.ElementsMatch(t, w.FoldScores, g.FoldScores)
				assert.InDelta(t, w.Mean, g.Mean, 1e-12)
				assert.InDelta(t, w.Std, g.Std, 1e-12)
				assert.Equal(t, w.Epochs, g.Epochs)
				assert.Equal(t, canFoldless(w.Reason), canFoldless(g.Reason))
			}
			assert.Equal(t, want.BestConfig, got.BestConfig)
			assert.Equal(t, want.Rungs, got.Rungs)
			assert.Equal(t, want.Best.TrialID, got.Best.TrialID)
		})
	}
}

// The largest search the spec allows (10,000 fits) is bounded the same way.
func TestTheLargestAllowedSearchStaysUnderTheHistoryBound(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 fits")
	}
	in := searchInput(tune.StrategyRandom, 2000)
	in.Search.CV, in.Search.MaxParallel = 5, 16
	res, c := canSearch(t, in, false)
	assert.Len(t, res.Results, 2000)
	assert.Equal(t, 10000, c.calls)
	assert.Greater(t, len(c.runs), 25)
	for i, id := range c.runs {
		assert.LessOrEqual(t, searchRunEvents+searchTrialEvents*c.perRun[id], searchContinueAsNewAt+searchTrialEvents*16, "run %d", i+1)
	}
}

var canFold = regexp.MustCompile(`fold \d+`)

// canFoldless is a trial's reason without the fold it names.
func canFoldless(reason string) string { return canFold.ReplaceAllString(reason, "fold N") }

// A hand-written carry that does not match the search (another number of
// trials) is refused before any trial runs.
func TestASearchWithAForeignCarryIsRefused(t *testing.T) {
	in := searchInput(tune.StrategyRandom, 4)
	in.Carry = &SearchCarry{Results: make([]tune.TrialResult, 9)}
	_, f, err := runSearch(t, in)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "carry is not this search's own hand-over (rung 1 of 1, 9 results for 4 trials): start the search without carry")
	assert.Zero(t, f.calls)
}
