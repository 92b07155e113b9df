package activities_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/activities"
	"github.com/mlpipe/mlpipe/internal/tune"
)

func TestTrainTrialScoresOneFold(t *testing.T) {
	acts, _ := newActs(t)
	tm := trained(t, acts, "wf-1", 5)
	in := activities.TrainTrialInput{Train: tm.Features.Train, TrialID: 3, Config: exampleConfig(), Fold: 1, Folds: 4, CVSeed: 9, Scoring: "f1"}
	r, err := execute[activities.TrainTrialResult](t, acts, acts.TrainTrial, in)
	require.NoError(t, err)
	assert.Equal(t, tune.StatusOK, r.Status)
	assert.Equal(t, 3, r.TrialID)
	assert.Equal(t, 1, r.Fold)
	assert.Equal(t, 40, r.Epochs)
	assert.Greater(t, r.Score, 0.7, "f1 on the held-out fold")

	// The same trial and fold give the same score: the folds are fixed by
	// the seed and training by the config's.
	again, err := execute[activities.TrainTrialResult](t, acts, acts.TrainTrial, in)
	require.NoError(t, err)
	assert.Equal(t, r.Score, again.Score)

	// A trial the model refuses is a result that says why, not a failed
	// activity: the search records it and goes on.
	in.Config.Optimizer = "adamw"
	bad, err := execute[activities.TrainTrialResult](t, acts, acts.TrainTrial, in)
	require.NoError(t, err)
	assert.Equal(t, tune.StatusFailed, bad.Status)
	assert.Contains(t, bad.Reason, "optimizer")
}
