package workflows

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// Histories recorded from real runs must replay against today's code: a
// change that fails here would block running workflows forever. Gate such
// changes with workflow.GetVersion, then record a new history. They are
// written by the integration tests in cmd/mlpipe:
//
//   - churn_deployed.json, a TrainingPipeline: MLPIPE_RECORD_HISTORY with
//     TestPipelineThroughStockTemporalCLI;
//   - search_completed.json, a multi-class HyperparameterSearch (3 trials ×
//     2 folds): MLPIPE_RECORD_SEARCH_HISTORY with
//     TestMulticlassSearchOnThePlansExample.
//
// search_v1_completed.json is that search recorded by earlier code, before
// the search-stops-on-invalid-input and search-default-max-parallel-16
// markers (its example set max_parallel 4): it replays their
// workflow.DefaultVersion branches. Both search histories set max_parallel
// (the spec fills the default), so the default itself is covered by
// TestASearchWithoutMaxParallelKeepsSixteenTrialsScheduled.
//
// search_v0_completed.json is a binary HyperparameterSearch (3 trials × 2
// folds) recorded with the code of commit 955386c, before any version
// marker: it replays the workflow.DefaultVersion branches. It was written
// once, by a throwaway test in a worktree of that commit that ran the old
// workers on a dev server and saved client.GetWorkflowHistory as protojson.
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob("testdata/*.json")
	require.NoError(t, err)
	require.NotEmpty(t, files, "no recorded histories in workflows/testdata")
	require.Contains(t, files, filepath.Join("testdata", "search_completed.json"), "the search's history is replayed too")
	require.Contains(t, files, filepath.Join("testdata", "search_v1_completed.json"), "and one from before max_parallel defaulted to 16")
	require.Contains(t, files, filepath.Join("testdata", "search_v0_completed.json"), "and a search from before its version markers")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r := worker.NewWorkflowReplayer()
			// Every workflow the workers register, by its registered
			// name: a history replays whichever type it recorded.
			r.RegisterWorkflowWithOptions(TrainingPipeline, workflow.RegisterOptions{Name: TrainingPipelineName})
			r.RegisterWorkflowWithOptions(HyperparameterSearch, workflow.RegisterOptions{Name: HyperparameterSearchName})
			r.RegisterWorkflowWithOptions(CanaryRollout, workflow.RegisterOptions{Name: CanaryRolloutName})
			r.RegisterWorkflowWithOptions(ShadowRollout, workflow.RegisterOptions{Name: ShadowRolloutName})
			require.NoError(t, r.ReplayWorkflowHistoryFromJSONFile(nil, f))
		})
	}
}
