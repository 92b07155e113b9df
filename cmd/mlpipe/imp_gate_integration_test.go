package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/features"
	"github.com/mlpipe/mlpipe/internal/gbt"
	"github.com/mlpipe/mlpipe/internal/matrix"
	"github.com/mlpipe/mlpipe/internal/registry"
	"github.com/mlpipe/mlpipe/workflows"
)

// impQuick runs the example without its params file, so nothing is
// searched: the default logistic regression trains in seconds.
var impQuick = []string{"--set", "stages.model_training.params=[]"}

// impModel is an XGBoost model trained outside the pipeline on a feature
// set's training matrix, and the transform it is imported with.
type impModel struct {
	model, transform string
}

// impTrainOn trains XGBoost on the training matrix of the feature set a
// pipeline built, as a data scientist would outside mlpipe, and writes the
// model and the feature set's transform.json (changed by edit, when given)
// where `models import` reads them. drop leaves those features out of both.
func impTrainOn(t *testing.T, fs *impFeatureSet, edit func(*features.Transform), drop ...string) impModel {
	t.Helper()
	if !gbt.Available {
		t.Skip("this build has no XGBoost")
	}
	ctx := context.Background()
	rc, err := artifact.OpenRef(ctx, fs.Train)
	require.NoError(t, err)
	m, err := matrix.Read(rc, fs.Train.URI)
	require.NoError(t, rc.Close())
	require.NoError(t, err)
	raw, err := artifact.ReadAll(ctx, fs.Transform)
	require.NoError(t, err)
	var tr features.Transform
	require.NoError(t, json.Unmarshal(raw, &tr))

	keep := make([]int, 0, len(m.Names))
	for j, name := range m.Names {
		if !slices.ContainsFunc(drop, func(col string) bool { return name == col || strings.HasPrefix(name, col+"=") }) {
			keep = append(keep, j)
		}
	}
	X := make([]float64, 0, m.Rows()*len(keep))
	for i := range m.Rows() {
		for _, j := range keep {
			X = append(X, m.X[i*len(m.Names)+j])
		}
	}
	tr.Columns = slices.DeleteFunc(tr.Columns, func(c features.FittedColumn) bool { return slices.Contains(drop, c.Column) })
	tr.Outputs = nil
	for _, c := range tr.Columns {
		tr.Outputs = append(tr.Outputs, c.Outputs...)
	}
	if edit != nil {
		edit(&tr)
	}
	p := gbt.DefaultParams()
	p.NEstimators, p.NThread = 60, 1
	res, err := gbt.Train(ctx, X, m.Y, nil, len(keep), p, gbt.Options{})
	require.NoError(t, err)

	dir := t.TempDir()
	out := impModel{model: filepath.Join(dir, "model.json"), transform: filepath.Join(dir, "transform.json")}
	require.NoError(t, os.WriteFile(out.model, res.Model, 0o644))
	trJSON, err := json.MarshalIndent(tr, "", "  ")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(out.transform, trJSON, 0o644))
	return out
}

// impFeatureSet is where a feature set's training matrix and transform are.
type impFeatureSet struct {
	Train, Transform artifact.Ref
	Version          string
}

// impImport imports m as the next version of churn-classifier and returns
// its number.
func (s *stack) impImport(t *testing.T, m impModel, who string) int {
	t.Helper()
	out, code := s.mlpipe("models", "import", "churn-classifier", "--xgboost", m.model, "--transform", m.transform, "--as", who)
	require.Equal(t, exitOK, code, out)
	v, ok, err := gateRegistry(t).Alias(context.Background(), "churn-classifier", registry.AliasCandidate)
	require.NoError(t, err)
	require.True(t, ok, "the import is the candidate")
	assert.Contains(t, out, "next: mlpipe models evaluate churn-classifier@"+strconv.Itoa(v.Version)+" -f pipeline.yaml")
	// The registry keeps who imported what.
	out, code = s.mlpipe("models", "show", "churn-classifier@"+strconv.Itoa(v.Version))
	require.Equal(t, exitOK, code, out)
	assert.Contains(t, out, "    imported_by       "+who+"\n")
	assert.Contains(t, out, "    source            xgboost import\n")
	return v.Version
}

// An XGBoost model trained outside mlpipe is imported, then goes through
// the pipeline's evaluation, gate, approval and canary like a trained
// model; a version that does not fit, one below the threshold and a
// version that does not exist are each refused with the reason.
func TestImpImportedModelGoesThroughGateApprovalAndCanary(t *testing.T) {
	s := startStack(t)
	ctx := context.Background()
	reg := gateRegistry(t)
	spec := filepath.Join(s.specDir, "pipeline.yaml")

	// Production: version 1, trained by the pipeline. Its feature set is
	// the one the imported models are trained on.
	out, code := s.mlpipe(append([]string{"run", "-f", spec, "--id", "imp-v1", "--detach"}, impQuick...)...)
	require.Equal(t, exitOK, code, out)
	s.waitForState("imp-v1", workflows.StateWaiting)
	out, code = s.mlpipe("approve", "imp-v1", "--as", "alice")
	require.Equal(t, exitOK, code, out)
	st := s.waitForState("imp-v1", workflows.OutcomeDeployed)
	require.NotNil(t, st.Result.Features)
	fs := &impFeatureSet{Train: st.Result.Features.Train, Transform: st.Result.Features.Transform, Version: st.Result.Features.Version}

	t.Run("a version whose features differ is refused before evaluation", func(t *testing.T) {
		v := s.impImport(t, impTrainOn(t, fs, nil, "support_calls"), "carol")
		before, err := reg.List(ctx, "churn-classifier")
		require.NoError(t, err)
		code, out := gateStart(s, append([]string{"--id", "imp-narrow", "--set", "stages.model_training.import={version: " + strconv.Itoa(v) + "}"}, impQuick...)...).wait(t)
		assert.Equal(t, exitFailure, code, out)
		assert.Contains(t, out, "stages.model_training.import.version "+strconv.Itoa(v)+": churn-classifier version "+strconv.Itoa(v)+" does not fit feature set "+fs.Version+" that this pipeline built")
		assert.Contains(t, out, `the feature set has feature "support_calls", which the version does not take`)
		st, err := pipelineStatus(ctx, s.srv.Client, "imp-narrow")
		require.NoError(t, err)
		for _, stage := range st.Stages {
			switch stage.Name {
			case "model_training":
				assert.Equal(t, workflows.StateFailed, stage.State)
			case "model_evaluation", "model_deployment":
				assert.Equal(t, workflows.StateSkipped, stage.State, "nothing is evaluated or registered")
			}
		}
		after, err := reg.List(ctx, "churn-classifier")
		require.NoError(t, err)
		assert.Len(t, after, len(before), "a refused import registers nothing")
	})

	t.Run("below the threshold it is refused at the gate", func(t *testing.T) {
		// The transform refitted elsewhere (another scaling of age): the
		// test split goes through the version's own transform, as the
		// gateway would serve it.
		shifted := impTrainOn(t, fs, func(tr *features.Transform) {
			for i := range tr.Columns {
				if tr.Columns[i].Column == "age" {
					tr.Columns[i].Offset += 0.5
				}
			}
		})
		v := s.impImport(t, shifted, "carol")
		before, err := reg.List(ctx, "churn-classifier")
		require.NoError(t, err)
		out, code := s.mlpipe(append([]string{"models", "evaluate", "churn-classifier@candidate", "-f", spec, "--id", "imp-low",
			"--set", "evaluation_threshold.f1=0.999"}, impQuick...)...)
		assert.Equal(t, exitNotDeployed, code, out)
		assert.Contains(t, out, "imported churn-classifier version "+strconv.Itoa(v)+" (xgboost import by carol), 60 trees")
		assert.Contains(t, out, "its own transform, fitted on other data, encodes the test split")
		assert.Contains(t, out, "result: "+workflows.OutcomeGateFailed)
		assert.Contains(t, out, "gate rules not met: f1 >= 0.999")
		after, err := reg.List(ctx, "churn-classifier")
		require.NoError(t, err)
		assert.Len(t, after, len(before), "a version the gate refuses is not registered again")
		out, code = s.mlpipe("report", "imp-low")
		require.Equal(t, exitOK, code, out)
		assert.Contains(t, out, "html  file://", "the evaluation report exists")
	})

	t.Run("versions that cannot be evaluated", func(t *testing.T) {
		out, code := s.mlpipe("models", "evaluate", "churn-classifier@42", "-f", spec)
		assert.Equal(t, exitUsage, code, out)
		assert.Contains(t, out, "model churn-classifier has no version 42 (versions: ")
		out, code = s.mlpipe("models", "evaluate", "plans@1", "-f", spec)
		assert.Equal(t, exitUsage, code, out)
		assert.Contains(t, out, "trains model churn-classifier, not plans")

		// The same, in the spec itself (as the stock Temporal CLI would
		// start it): the stage refuses without retrying.
		code, out = gateStart(s, append([]string{"--id", "imp-42", "--set", "stages.model_training.import={version: 42}"}, impQuick...)...).wait(t)
		assert.Equal(t, exitFailure, code, out)
		assert.Contains(t, out, "stages.model_training.import.version 42: churn-classifier has no version 42; its versions are 1, 2, 3 (mlpipe models ls churn-classifier)")
		code, out = gateStart(s, append([]string{"--id", "imp-prod", "--set", "stages.model_training.import={version: 1}"}, impQuick...)...).wait(t)
		assert.Equal(t, exitFailure, code, out)
		assert.Contains(t, out, "churn-classifier version 1 is already production, so there is nothing to gate")
	})

	t.Run("approved, it goes through the canary to production", func(t *testing.T) {
		v := s.impImport(t, impTrainOn(t, fs, nil), "dave")
		stop := s.replay(t)
		// The spec as written: its params file's search is left unused.
		args := append([]string{"models", "evaluate", "churn-classifier@" + strconv.Itoa(v), "-f", spec, "--id", "imp-good", "--detach",
			"--set", "champion_threshold.f1=0.2"}, compressed...)
		// Live traffic is noisy over seconds: the test is about the
		// imported version reaching the canary, not about its margin.
		args = append(args, "--set", "deployment.criteria={min_requests: 30, min_feedback: 30, min_psi_rows: 60, max_p99_ratio: 10, confidence: 0.99, max_accuracy_drop: 0.3, max_f1_drop: 0.3, max_error_rate_increase: 0.5, max_psi: 2}")
		out, code := s.mlpipe(args...)
		require.Equal(t, exitOK, code, out)
		st := s.waitForState("imp-good", workflows.StateWaiting)
		assert.True(t, st.Gate.Open)
		assert.Contains(t, st.Stages[3].Message, "imported churn-classifier version "+strconv.Itoa(v)+" (xgboost import by dave)")
		assert.NotContains(t, st.Stages[3].Message, "own transform", "the model was trained on this very feature set")
		assert.Contains(t, st.Stages[3].Message, "search: not run", "the example's params file searches; an import does not")

		out, code = s.mlpipe("report", "imp-good")
		require.Equal(t, exitOK, code, out)
		htmlPath := strings.TrimPrefix(strings.Fields(strings.Split(out, "\n")[0])[1], "file://")
		page, err := os.ReadFile(htmlPath)
		require.NoError(t, err)
		assert.Contains(t, string(page), "churn-classifier v1", "the imported model is compared with production")

		out, code = s.mlpipe("approve", "imp-good", "--as", "bob", "--comment", "imported trees hold")
		require.Equal(t, exitOK, code, out)
		out, code = s.mlpipe("rollout", "status", "imp-good-canary", "--follow", "--timeout", "3m")
		require.Equal(t, exitOK, code, out)
		assert.Contains(t, out, "step 1 of 2: 30% of traffic to version")
		assert.Contains(t, out, "promoted")
		st = s.waitForState("imp-good", workflows.OutcomeDeployed)
		require.NotNil(t, st.Result.Rollout)
		assert.Equal(t, workflows.OutcomePromoted, st.Result.Rollout.Outcome)
		stop()
		// workflows/testdata/churn_import_deployed.json replays this run.
		if dst := os.Getenv("MLPIPE_RECORD_IMPORT_HISTORY"); dst != "" {
			require.NoError(t, os.WriteFile(dst, []byte(s.temporal("workflow", "show", "-w", "imp-good", "-o", "json")), 0o644))
		}

		// The gate registered the evaluated model as a new version that
		// names the import, with the evaluation it was decided on.
		prod, ok, err := reg.Alias(ctx, "churn-classifier", registry.AliasProduction)
		require.NoError(t, err)
		require.True(t, ok)
		imported, err := reg.Get(ctx, "churn-classifier", v)
		require.NoError(t, err)
		assert.Equal(t, st.Result.Version, prod.Version)
		assert.Equal(t, imported.Model, prod.Model, "production serves the imported bundle")
		assert.EqualValues(t, v, prod.Params["imported_from_version"])
		assert.Equal(t, "imp-good", prod.WorkflowID)
		assert.NotEmpty(t, prod.ReportURI)
		assert.Contains(t, prod.Metrics, "f1")
		require.NotNil(t, prod.Approval)
		assert.Equal(t, "bob", prod.Approval.Approver)
		p, _ := s.predict(twoCustomers)
		assert.Equal(t, prod.Version, p.Version, "the gateway serves the imported model")

		// Its bundle now serves: gating it again would compare it with
		// itself, so the import is refused.
		code, out = gateStart(s, append([]string{"--id", "imp-again", "--set", "stages.model_training.import={version: " + strconv.Itoa(v) + "}"}, impQuick...)...).wait(t)
		assert.Equal(t, exitFailure, code, out)
		assert.Contains(t, out, "the bundle of churn-classifier version "+strconv.Itoa(v)+" is already production, as version "+strconv.Itoa(prod.Version))
	})
}
