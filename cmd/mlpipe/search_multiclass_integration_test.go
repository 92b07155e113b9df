package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/tune"
	"github.com/mlpipe/mlpipe/workflows"
)

// The plans example with its search.yaml added searches a three-class
// model on the real stack: every trial×fold scored by macro F1 on
// stratified folds, the best retrained and gated. With
// MLPIPE_RECORD_SEARCH_HISTORY set to a path, the completed search's
// history is written there (workflows/testdata/search_completed.json
// replays it).
func TestMulticlassSearchOnThePlansExample(t *testing.T) {
	s := startStack(t)
	// Short: the test is about the path, and the recorded history stays small.
	dir := s.plansExample(t, 1000, []string{"pipeline.yaml", "hyperparameters.yaml", "search.yaml"},
		"epochs: 40", "epochs: 10", "n_iter: 4", "n_iter: 3", "cv: 3", "cv: 2")

	id := "plans-search-it"
	out, code := s.mlpipe("run", "-f", filepath.Join(dir, "pipeline.yaml"), "--id", id, "--detach",
		"--set", "stages.model_training.params=[hyperparameters.yaml, search.yaml]", "--set", "evaluation.bootstrap=200")
	require.Equal(t, 0, code, out)
	st := s.waitForState(id, workflows.StateWaiting)
	assert.Regexp(t, `^best of 3 trials \(f1_macro 0\.\d+ ± 0\.\d+: learning_rate=`, st.Stages[3].Message)

	ctx := context.Background()
	var res workflows.SearchResult
	require.NoError(t, s.srv.Client.GetWorkflow(ctx, id+"-search", "").Get(ctx, &res))
	require.Len(t, res.Results, 3)
	for _, r := range res.Results {
		assert.Equal(t, tune.StatusOK, r.Status, "trial %d: %s", r.TrialID, r.Reason)
		assert.Len(t, r.FoldScores, 2, "trial %d", r.TrialID)
	}
	assert.Greater(t, res.Best.Mean, 0.4, "macro F1 better than guessing among three plans")
	assert.GreaterOrEqual(t, res.Best.Mean, res.Results[len(res.Results)-1].Mean, "ranked best first")
	assert.Equal(t, 3, res.BestConfig.Classes)

	if dst := os.Getenv("MLPIPE_RECORD_SEARCH_HISTORY"); dst != "" {
		hist := s.temporal("workflow", "show", "-w", id+"-search", "-o", "json")
		require.NoError(t, os.WriteFile(dst, []byte(hist), 0o644))
	}
	out, code = s.mlpipe("reject", id, "--as", "alice", "--comment", "test over")
	require.Equal(t, 0, code, out)
}
