package tune

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSummarizeUsesPopulationStd(t *testing.T) {
	mean, std := Summarize([]float64{0.8, 0.9, 1.0})
	assert.InDelta(t, 0.9, mean, 1e-12)
	assert.InDelta(t, 0.0816497, std, 1e-6) // sqrt(0.02/3)
	mean, std = Summarize(nil)
	assert.Equal(t, [2]float64{0, 0}, [2]float64{mean, std})
}

func ids(rs []TrialResult) []int {
	out := make([]int, len(rs))
	for i, r := range rs {
		out[i] = r.TrialID
	}
	return out
}

func TestRankOrdersByScoreDirectionWithFailedLast(t *testing.T) {
	results := []TrialResult{
		{TrialID: 0, Mean: 0.70, Status: StatusOK},
		{TrialID: 1, Status: StatusFailed, Reason: "loss is NaN"},
		{TrialID: 2, Mean: 0.90, Status: StatusOK},
		{TrialID: 3, Mean: 0.80, Status: StatusOK},
		{TrialID: 4, Mean: 0.90, Status: StatusOK}, // ties with 2; lower ID first
		{TrialID: 5, Status: StatusFailed},
	}
	assert.Equal(t, []int{2, 4, 3, 0, 1, 5}, ids(Rank(results, "f1")))
	// log_loss: lower is better.
	assert.Equal(t, []int{0, 3, 2, 4, 1, 5}, ids(Rank(results, "log_loss")))
	assert.Equal(t, 0, results[0].TrialID, "input must not be reordered")
}

func TestRankPutsStoppedAfterOKByEpochsReached(t *testing.T) {
	results := []TrialResult{
		{TrialID: 0, Mean: 0.99, Epochs: 1, Status: StatusStopped},
		{TrialID: 1, Mean: 0.60, Epochs: 3, Status: StatusStopped},
		{TrialID: 2, Mean: 0.70, Epochs: 9, Status: StatusOK},
		{TrialID: 3, Mean: 0.65, Epochs: 3, Status: StatusStopped},
		{TrialID: 4, Status: StatusFailed, Epochs: 9},
	}
	assert.Equal(t, []int{2, 3, 1, 0, 4}, ids(Rank(results, "f1")))
}

func TestTrialResultRoundTripsJSON(t *testing.T) {
	r := TrialResult{TrialID: 2, Params: []ParamValue{{"learning_rate", 0.0123}, {"optimizer", "adam"}, {"class_weight", nil}},
		FoldScores: []float64{0.8, 0.9}, Mean: 0.85, Std: 0.05, Seconds: 1.5, Epochs: 9, Status: StatusOK}
	b, err := json.Marshal(r)
	require.NoError(t, err)
	assert.JSONEq(t, `{"trial_id":2,"params":[{"name":"learning_rate","value":0.0123},{"name":"optimizer","value":"adam"},{"name":"class_weight","value":null}],
		"fold_scores":[0.8,0.9],"mean":0.85,"std":0.05,"seconds":1.5,"epochs":9,"status":"ok"}`, string(b))
	var back TrialResult
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, r, back)
}
