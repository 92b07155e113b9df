package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/bundle"
	"github.com/mlpipe/mlpipe/internal/model"
	"github.com/mlpipe/mlpipe/internal/testenv"
	"github.com/mlpipe/mlpipe/internal/tune"
	"github.com/mlpipe/mlpipe/workflows"
)

// gbtSpec puts the example's search_gbt.yaml (the seed's search block) and
// gbt.yaml, the given gradient_boosting hyperparameters without a search,
// beside the stack's pipeline.yaml, and returns the pipeline's path.
func gbtSpec(t *testing.T, s *stack, hyperparameters string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testenv.ModuleRoot(t), "dev/examples/churn/search_gbt.yaml"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(s.specDir, "search_gbt.yaml"), b, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(s.specDir, "gbt.yaml"), []byte("hyperparameters: "+hyperparameters+"\n"), 0o644))
	return filepath.Join(s.specDir, "pipeline.yaml")
}

// gbtBundle reads the bundle the registry holds for a pipeline's version.
func gbtBundle(t *testing.T, workflowID string) *bundle.Bundle {
	t.Helper()
	v := gateVersionOf(t, gateRegistry(t), workflowID)
	b, err := artifact.ReadAll(context.Background(), v.Model)
	require.NoError(t, err)
	bu, err := bundle.Decode(b)
	require.NoError(t, err)
	return bu
}

// A gradient_boosting pipeline on the churn example trains, evaluates,
// passes the gate and is approved; the gateway serves the trees with the
// bundle's own answers.
func TestGBTPipelineTrainsGatesAndServes(t *testing.T) {
	s := startStack(t)
	spec := gbtSpec(t, s, "{kind: gradient_boosting, n_estimators: 60, max_depth: 4, learning_rate: 0.1, subsample: 0.9, seed: 7}")
	id := "churn-gbt"
	out, code := s.mlpipe("run", "-f", spec, "--id", id, "--detach", "--set", "stages.model_training.params=[gbt.yaml]")
	require.Equal(t, 0, code, out)
	st := s.waitForState(id, workflows.StateWaiting)
	assert.True(t, st.Gate.Open, "the trees pass the example's gate")
	for _, stage := range st.Stages[:5] {
		assert.Equal(t, workflows.StateSucceeded, stage.State, stage.Name)
	}
	assert.Regexp(t, `^\d+ boosting rounds`, st.Stages[3].Message, "a booster's stage says rounds, not epochs")

	out, code = s.mlpipe("approve", id, "--as", "alice")
	require.Equal(t, 0, code, out)
	st = s.waitForState(id, workflows.OutcomeDeployed)
	require.NotNil(t, st.Result)
	version := st.Result.Version

	bu := gbtBundle(t, id)
	require.NotNil(t, bu.Trees, "the bundle carries the trees")
	assert.Equal(t, 60, bu.Trees.Trees())
	assert.Equal(t, model.KindGradientBoosting, bu.Metadata.Params.Kind)
	var rows []map[string]any
	require.NoError(t, json.Unmarshal([]byte(twoCustomers), &rows))
	want, err := bu.Predict(rows)
	require.NoError(t, err)

	var p prediction
	require.Eventually(t, func() bool {
		var code int
		p, code = s.predict(twoCustomers)
		return code == 200 && p.Version == version
	}, 30*time.Second, 100*time.Millisecond)
	require.Len(t, p.Predictions, 2)
	for i := range want {
		assert.Equal(t, want[i].Label, p.Predictions[i].Label)
		assert.Equal(t, want[i].Probability, p.Predictions[i].Probability, "row %d: the gateway's answer is the bundle's", i)
	}
	assert.Equal(t, "yes", p.Predictions[0].Label, "an inactive, new, unhappy customer churns")
	assert.Equal(t, "no", p.Predictions[1].Label, "a long-standing happy customer stays")
}

// The seed's param_distributions block, pasted verbatim (max_depth None
// included), runs as a search: fewer trials, folds and rounds here.
func TestGBTSeedsSearchBlockRuns(t *testing.T) {
	s := startStack(t)
	spec := gbtSpec(t, s, "{}")
	id := "churn-gbt-search"
	out, code := s.mlpipe("run", "-f", spec, "--id", id, "--detach",
		"--set", "stages.model_training.params=[search_gbt.yaml]",
		"--set", "search.n_iter=4", "--set", "search.cv=2",
		"--set", "search.param_distributions.n_estimators=[10, 20, 50]",
		"--set", "evaluation.bootstrap=200")
	require.Equal(t, 0, code, out)
	st := s.waitForState(id, workflows.StateWaiting)
	assert.Regexp(t, `^best of 4 trials \(f1 0\.\d+ ± 0\.\d+: `, st.Stages[3].Message)

	ctx := context.Background()
	var res workflows.SearchResult
	require.NoError(t, s.srv.Client.GetWorkflow(ctx, id+"-search", "").Get(ctx, &res))
	require.Len(t, res.Results, 4)
	for _, r := range res.Results {
		assert.Equal(t, tune.StatusOK, r.Status, "trial %d: %s", r.TrialID, r.Reason)
		assert.Len(t, r.FoldScores, 2, "trial %d", r.TrialID)
	}
	assert.Greater(t, res.Best.Mean, 0.7)
	assert.Equal(t, model.KindGradientBoosting, res.BestConfig.Kind)
	out, code = s.mlpipe("reject", id, "--as", "alice", "--comment", "test over")
	require.Equal(t, 0, code, out)
}

// Kill the GPU worker in the middle of boosting: the retry resumes from
// the checkpoint's round, not from zero, and ends with the model an
// uninterrupted run trains.
func TestGBTTrainingResumesAfterTheWorkerIsKilled(t *testing.T) {
	s := startStackWithout(t, "gpu")
	bin := buildMlpipe(t)
	// More rows, so that boosting lasts long enough to kill in the middle;
	// shallow trees keep the checkpoints small.
	out2, code := s.mlpipe("gen", "churn", "--rows", "30000", "--seed", "11", "-o", filepath.Join(s.specDir, "data/churn.csv"))
	require.Equal(t, 0, code, out2)
	spec := gbtSpec(t, s, "{kind: gradient_boosting, n_estimators: 3000, max_depth: 3, learning_rate: 0.02, subsample: 0.8, colsample_bytree: 0.8, seed: 7}")
	args := []string{"-f", spec, "--detach", "--set", "stages.model_training.params=[gbt.yaml]",
		"--set", "stages.model_training.heartbeat=3s", "--set", "evaluation.bootstrap=200"}

	first := gpuWorker(t, bin)
	id := "churn-gbt-killed"
	out2, code = s.mlpipe(append([]string{"run", "--id", id}, args...)...)
	require.Equal(t, 0, code, out2)
	killedAt := s.killMidTraining(t, first, bin, id, 10, 2*time.Minute, `round \d+/3000`)
	st, resumed := s.resumedTraining(t, id, "round")
	assert.Less(t, resumed, 3000)
	t.Logf("killed at round %d; %s", killedAt, st.Stages[3].Message)
	resumedTrees := gbtTrees(t, st)
	out2, code = s.mlpipe("reject", id, "--as", "alice", "--comment", "compared below")
	require.Equal(t, 0, code, out2)

	// The same spec uninterrupted, on the same worker: the same trees.
	whole := "churn-gbt-whole"
	out2, code = s.mlpipe(append([]string{"run", "--id", whole}, args...)...)
	require.Equal(t, 0, code, out2)
	wholeTrees := gbtTrees(t, s.waitForState(whole, workflows.StateWaiting))
	assert.True(t, resumedTrees == wholeTrees, "the resumed run's model is the uninterrupted run's")
}

// gbtTrees is a pipeline's trained trees (XGBoost's JSON model), from its
// training stage's bundle.
func gbtTrees(t *testing.T, st workflows.PipelineStatus) string {
	t.Helper()
	require.Equal(t, "model_training", st.Stages[3].Name)
	require.NotEmpty(t, st.Stages[3].Artifacts)
	b, err := artifact.ReadAll(context.Background(), st.Stages[3].Artifacts[0])
	require.NoError(t, err)
	bu, err := bundle.Decode(b)
	require.NoError(t, err)
	require.NotNil(t, bu.Trees)
	trees, err := bu.Trees.MarshalJSON()
	require.NoError(t, err)
	return string(trees)
}

// Bad boosting parameters, and a searched parameter the kind does not
// have, are refused by `mlpipe run` before any pipeline starts, naming the
// parameter and the kind.
func TestGBTBadSpecIsRefusedBeforeThePipelineStarts(t *testing.T) {
	s := startStack(t)
	cases := []struct{ hyperparameters, search, want string }{
		{"{kind: gradient_boosting, max_depth: 0}", "", "hyperparameters.max_depth is 0; give the tree depth of kind gradient_boosting"},
		{"{kind: gradient_boosting, learning_rate: 1.5}", "", "gradient_boosting: learning_rate is 1.5; it must be > 0 and <= 1"},
		{"{kind: gradient_boosting, n_estimators: -1}", "", "gradient_boosting: n_estimators is -1; it must be an integer >= 1"},
		{"{kind: gradient_boosting, epochs: 10}", "", "epochs is not a parameter of kind gradient_boosting"},
		{"{kind: mlp, n_estimators: 100}", "", "n_estimators is a parameter of kind gradient_boosting, not of kind mlp"},
		{"{kind: gradient_boosting}", "search.param_distributions={hidden_units: [8, 16]}", "search.param_distributions.hidden_units: hidden_units is not a parameter of kind gradient_boosting"},
	}
	for i, c := range cases {
		spec := gbtSpec(t, s, c.hyperparameters)
		id := "churn-gbt-bad-" + strconv.Itoa(i)
		args := []string{"run", "-f", spec, "--id", id, "--detach", "--set", "stages.model_training.params=[gbt.yaml]"}
		if c.search != "" {
			args = append(args, "--set", c.search)
		}
		out, code := s.mlpipe(args...)
		assert.Equal(t, exitUsage, code, "%s: %s", c.hyperparameters, out)
		assert.Contains(t, out, c.want)
		_, err := s.srv.Client.DescribeWorkflow(context.Background(), id, "")
		assert.Error(t, err, "no pipeline %s was started", id)
	}
}
