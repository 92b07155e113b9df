package workflows

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/testsuite"

	"github.com/mlpipe/mlpipe/activities"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/model"
	"github.com/mlpipe/mlpipe/internal/tune"
)

// Successive halving over gradient_boosting spends n_estimators as its
// budget: each rung's trials grow that many trees, and the best is
// retrained with the last rung's.
func TestGBTSuccessiveHalvingUsesNEstimatorsAsBudget(t *testing.T) {
	in := searchInput(tune.StrategySuccessiveHalving, 9)
	in.Base = model.Config{Kind: model.KindGradientBoosting, NEstimators: 500}.Defaults()
	in.Search.ParamDistributions = tune.Space{{Name: "learning_rate", Dist: tune.Uniform(0.001, 0.15)}}
	in.Search.Halving = &tune.Halving{MinEpochs: 10, MaxEpochs: 90, Eta: 3}
	var rounds []int
	res, err := gbtRunSearch(t, in, func(c model.Config) { rounds = append(rounds, c.NEstimators) })
	require.NoError(t, err)
	assert.Equal(t, []tune.Rung{{Epochs: 10, Survivors: 9}, {Epochs: 30, Survivors: 3}, {Epochs: 90, Survivors: 1}}, res.Rungs)
	assert.Equal(t, 9*3, gbtCount(rounds, 10))
	assert.Equal(t, 3*3, gbtCount(rounds, 30))
	assert.Equal(t, 1*3, gbtCount(rounds, 90))
	assert.Equal(t, 90, res.BestConfig.NEstimators)
	assert.Zero(t, res.BestConfig.Epochs, "a tree model has no epochs")
}

// gbtRunSearch runs the search with fakeTrials' scores, calling seen with
// every trial's config.
func gbtRunSearch(t *testing.T, in SearchInput, seen func(model.Config)) (SearchResult, error) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(HyperparameterSearch)
	env.RegisterActivity(a)
	f := &fakeTrials{}
	var mu sync.Mutex
	env.OnActivity(a.TrainTrial, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, ti activities.TrainTrialInput) (activities.TrainTrialResult, error) {
			mu.Lock()
			seen(ti.Config)
			mu.Unlock()
			return f.run(ctx, ti)
		})
	env.ExecuteWorkflow(HyperparameterSearch, in)
	require.True(t, env.IsWorkflowCompleted())
	var res SearchResult
	err := env.GetWorkflowError()
	if err == nil {
		require.NoError(t, env.GetWorkflowResult(&res))
	}
	return res, err
}

func gbtCount(xs []int, v int) int {
	n := 0
	for _, x := range xs {
		if x == v {
			n++
		}
	}
	return n
}
