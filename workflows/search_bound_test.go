package workflows

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/tune"
)

// A search's input may lower the history length at which it hands over
// (the real-server recording of a search that continues as new uses it):
// 60 fits continue as new several times at 100 events, every fit runs
// once, and the ranking is the one a run at the default bound gives.
func TestASearchHandsOverAtTheBoundItsInputSets(t *testing.T) {
	in := searchInput(tune.StrategyRandom, 20)
	want, one := canSearch(t, in, false)
	require.Len(t, one.runs, 1, "60 fits fit in one run at the default bound")

	in.ContinueAsNewAt = MinContinueAsNewAt
	got, c := canSearch(t, in, false)
	assert.Greater(t, len(c.runs), 2, "continued as new")
	assert.Equal(t, one.calls, c.calls, "every fit ran once")
	for i, id := range c.runs {
		assert.LessOrEqual(t, searchRunEvents+searchTrialEvents*c.perRun[id], MinContinueAsNewAt+searchTrialEvents*in.Search.MaxParallel, "run %d", i+1)
	}
	require.Len(t, got.Results, len(want.Results))
	for i := range want.Results {
		assert.Equal(t, want.Results[i].TrialID, got.Results[i].TrialID, "rank %d", i+1)
	}
	assert.Equal(t, want.BestConfig, got.BestConfig)
}

func TestASearchBoundOutOfRangeIsRefused(t *testing.T) {
	for _, bad := range []int{-1, 99, 10001} {
		in := searchInput(tune.StrategyRandom, 4)
		in.ContinueAsNewAt = bad
		_, f, err := runSearch(t, in)
		require.Error(t, err)
		assert.Contains(t, err.Error(), fmt.Sprintf("search: continue_as_new_at %d is out of range: use 100 to 10000 events (0 means 2000)", bad))
		assert.Zero(t, f.calls, "no trial ran")
	}
}
