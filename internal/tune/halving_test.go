package tune

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPlanHyperbandBracket(t *testing.T) {
	plan, err := Halving{MinEpochs: 1, MaxEpochs: 27, Eta: 3}.Plan(27)
	require.NoError(t, err)
	assert.Equal(t, []Rung{{1, 27}, {3, 9}, {9, 3}, {27, 1}}, plan)
}

func TestPlanEdgeCases(t *testing.T) {
	cases := []struct {
		h    Halving
		n    int
		want []Rung
	}{
		// More trials than the bracket halves down to one: the last rung keeps 3.
		{Halving{1, 27, 3}, 100, []Rung{{1, 100}, {3, 33}, {9, 11}, {27, 3}}},
		// Few trials: once one is left it trains straight to max_epochs.
		{Halving{1, 27, 3}, 5, []Rung{{1, 5}, {27, 1}}},
		// The spec example: 20 trials, 5..60 epochs, eta 3.
		{Halving{5, 60, 3}, 20, []Rung{{5, 20}, {15, 6}, {45, 2}, {60, 1}}},
		{Halving{1, 27, 3}, 1, []Rung{{27, 1}}},
		{Halving{10, 10, 2}, 8, []Rung{{10, 8}}},
	}
	for _, c := range cases {
		plan, err := c.h.Plan(c.n)
		require.NoError(t, err)
		assert.Equal(t, c.want, plan, "%+v n=%d", c.h, c.n)
	}
}

func TestPlanErrors(t *testing.T) {
	_, err := Halving{MinEpochs: 0, MaxEpochs: 27, Eta: 3}.Plan(9)
	assert.EqualError(t, err, "tune: halving.min_epochs is 0; it must be >= 1")
	_, err = Halving{MinEpochs: 5, MaxEpochs: 4, Eta: 3}.Plan(9)
	assert.EqualError(t, err, "tune: halving.max_epochs is 4; it must be >= min_epochs (5)")
	_, err = Halving{MinEpochs: 1, MaxEpochs: 4, Eta: 1}.Plan(9)
	assert.EqualError(t, err, "tune: halving.eta is 1; it must be >= 2 (3 is usual)")
	_, err = Halving{MinEpochs: 1, MaxEpochs: 4, Eta: 2}.Plan(0)
	assert.EqualError(t, err, "tune: successive halving needs at least one trial, got 0")
}

func TestPromoteFollowsScoringDirection(t *testing.T) {
	rung := []TrialResult{
		{TrialID: 0, Mean: 0.40, Status: StatusOK},
		{TrialID: 1, Mean: 0.20, Status: StatusOK},
		{TrialID: 2, Status: StatusFailed},
		{TrialID: 3, Mean: 0.90, Status: StatusOK},
		{TrialID: 4, Mean: 0.30, Status: StatusOK},
	}
	keep, stop := Promote(rung, 2, "log_loss")
	assert.Equal(t, []int{1, 4}, keep, "lowest log_loss first")
	assert.Equal(t, []int{0, 3}, stop, "failed trial 2 is in neither list")

	keep, stop = Promote(rung, 2, "roc_auc")
	assert.Equal(t, []int{3, 0}, keep)
	assert.Equal(t, []int{1, 4}, stop)

	// More survivors than ok trials keeps them all.
	keep, stop = Promote(rung, 9, "f1")
	assert.Equal(t, []int{3, 0, 4, 1}, keep)
	assert.Empty(t, stop)
}
