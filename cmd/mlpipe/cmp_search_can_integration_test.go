package main

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/matrix"
	"github.com/mlpipe/mlpipe/internal/model"
	"github.com/mlpipe/mlpipe/internal/tune"
	"github.com/mlpipe/mlpipe/workflows"
)

// A search whose runs hand over at the lowest bound (100 events) continues
// as new on the dev server under the same workflow ID: the client follows
// it to its last run, every trial is scored on every fold, and no run
// passes the bound by more than the fits it still had running.
//
// With MLPIPE_RECORD_SEARCH_CAN_HISTORY set to a folder, the first run
// (which ends by continuing as new) and the last (which starts from a
// hand-over and ranks the trials) are written there as
// search_v2_first_run.json and search_v2_last_run.json, for
// workflows/replay_test.go.
func TestCmpSearchContinuesAsNewOnTheDevServer(t *testing.T) {
	s := startStack(t)
	ctx := context.Background()
	in := cmpSearchInput(t)
	const id = "cmp-search-continues"
	run, err := s.srv.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: workflows.TaskQueueCPU},
		workflows.HyperparameterSearchName, in)
	require.NoError(t, err)
	first := run.GetRunID()

	var res workflows.SearchResult
	require.NoError(t, run.Get(ctx, &res), "the client follows the search to its last run")
	require.Len(t, res.Results, in.Search.NIter)
	for _, r := range res.Results {
		assert.Equal(t, tune.StatusOK, r.Status, "trial %d: %s", r.TrialID, r.Reason)
		assert.Len(t, r.FoldScores, in.Search.CV, "trial %d", r.TrialID)
	}
	assert.GreaterOrEqual(t, res.Best.Mean, res.Results[len(res.Results)-1].Mean, "ranked best first")

	runs := canRuns(t, s, id, first)
	require.GreaterOrEqual(t, len(runs), 2, "the search continued as new")
	for i, r := range runs {
		// A run stops launching at the bound and hands over once its
		// running fits (at most max_parallel, 6 events each) finish.
		assert.LessOrEqual(t, r.events, workflows.MinContinueAsNewAt+6*in.Search.MaxParallel+10, "run %d of %d", i+1, len(runs))
		if i < len(runs)-1 {
			assert.Equal(t, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW, r.last, "run %d hands over", i+1)
		}
	}

	if dir := os.Getenv("MLPIPE_RECORD_SEARCH_CAN_HISTORY"); dir != "" {
		for name, r := range map[string]canRun{"search_v2_first_run.json": runs[0], "search_v2_last_run.json": runs[len(runs)-1]} {
			hist := s.temporal("workflow", "show", "-w", id, "-r", r.id, "-o", "json")
			require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(hist), 0o644))
		}
	}
}

// cmpSearchInput stores a small training matrix and returns a search over
// it of 12 trials × 2 folds, each a few quick epochs, handing over at 100
// events.
func cmpSearchInput(t *testing.T) workflows.SearchInput {
	t.Helper()
	ctx := context.Background()
	const rows, cols = 300, 6
	r := rand.New(rand.NewPCG(3, 4))
	m := matrix.Matrix{Names: make([]string, cols), X: make([]float64, rows*cols), Y: make([]float64, rows)}
	for j := range m.Names {
		m.Names[j] = "x" + string(rune('a'+j))
	}
	for i := range rows {
		for j := range cols {
			m.X[i*cols+j] = r.NormFloat64()
		}
		if m.X[i*cols]+0.5*r.NormFloat64() > 0 {
			m.Y[i] = 1
		}
	}
	var buf bytes.Buffer
	require.NoError(t, matrix.Write(&buf, m))
	store, err := artifact.Open(ctx, os.Getenv("MLPIPE_ARTIFACTS"))
	require.NoError(t, err)
	ref, err := store.Put(ctx, "test/cmp-search/train.matrix", &buf, "application/octet-stream")
	require.NoError(t, err)
	return workflows.SearchInput{
		Model: "churn-classifier", Train: ref,
		Base: model.Config{Kind: model.KindLogistic, Optimizer: model.OptimizerAdam, Epochs: 5, BatchSize: 32},
		Search: tune.Search{NIter: 12, CV: 2, Scoring: "f1", Seed: 5, MaxParallel: 2,
			ParamDistributions: tune.Space{{Name: "learning_rate", Dist: tune.LogUniform(0.005, 0.1)}}},
		ContinueAsNewAt: workflows.MinContinueAsNewAt,
	}
}
