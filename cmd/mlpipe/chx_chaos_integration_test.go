//go:build chaos

package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"

	"github.com/mlpipe/mlpipe/activities"
	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/bundle"
	"github.com/mlpipe/mlpipe/internal/registry"
	"github.com/mlpipe/mlpipe/internal/testenv"
	"github.com/mlpipe/mlpipe/workflows"
)

// The chaos tests run mlpipe as operators deploy it (worker processes,
// a shared S3 store) and break it on purpose. They share one build of the
// binary; `make chaos` runs them without the race detector, since the
// workers are separate processes.
func TestChx(t *testing.T) {
	b := &chxBuild{dir: t.TempDir()}
	t.Run("ScaleOut", func(t *testing.T) { chxScaleOut(t, b) })
	t.Run("TemporalRestart", chxTemporalRestart)
	t.Run("KillMidValidation", func(t *testing.T) { chxKillMidValidation(t, b) })
}

// chxSmallSearch keeps ten searches at once within a 2-core machine:
// two trials × two folds, each fold an activity on mlpipe-gpu.
var chxSmallSearch = []string{"--set", "search.n_iter=2", "--set", "search.cv=2", "--set", "evaluation.bootstrap=200"}

const (
	chxModels     = 10
	chxTrials     = 2
	chxFolds      = 2
	chxSameModel  = "chx-model-0" // runs twice at once
	chxPipelineOf = "chx-scale-%d"
)

// Ten models trained at once (and a second pipeline of one of them) by
// two CPU and two GPU worker processes that share only an S3 store: all
// complete, each registered version points at its own pipeline's
// artifacts, both workers of each queue did work, and every trial ran
// once per attempt.
func chxScaleOut(t *testing.T, b *chxBuild) {
	srv := testenv.StartS3(t)
	// The stack's in-process pieces serve no queue: the processes below do.
	s := newStack(t, "", nil)
	location := srv.URI("artifacts")
	t.Setenv("MLPIPE_ARTIFACTS", location)
	bin := b.binary(t)
	ctx := context.Background()

	// Every pipeline reads its own data from the bucket, so no worker
	// needs the test's disk.
	n := chxModels + 1
	ids, models := make([]string, n), make([]string, n)
	for i := range n {
		ids[i], models[i] = fmt.Sprintf(chxPipelineOf, i), fmt.Sprintf("chx-model-%d", i%chxModels)
		csv := filepath.Join(s.tmp, ids[i]+".csv")
		out, code := s.mlpipe("gen", "churn", "--rows", "3000", "--seed", strconv.Itoa(100+i), "-o", csv)
		require.Equal(t, 0, code, out)
		f, err := os.Open(csv)
		require.NoError(t, err)
		_, err = srv.Client(ctx).PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(srv.Bucket), Key: aws.String("sources/" + ids[i] + ".csv"), Body: f})
		require.NoError(t, f.Close())
		require.NoError(t, err)
	}

	procs := []*chxProc{chxWorker(t, bin, "cpu"), chxWorker(t, bin, "cpu"), chxWorker(t, bin, "gpu"), chxWorker(t, bin, "gpu")}
	chxPolling(t, s.srv.Client, procs...)

	// All at once.
	outs, codes := make([]string, n), make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			args := append([]string{"run", "-f", filepath.Join(s.specDir, "pipeline.yaml"), "--id", ids[i], "--detach",
				"--set", "model=" + models[i],
				"--set", "data.source=" + fmt.Sprintf("s3://%s/sources/%s.csv", srv.Bucket, ids[i]),
				"--set", "deployment.strategy=direct"}, chxSmallSearch...)
			outs[i], codes[i] = s.mlpipe(args...)
		})
	}
	wg.Wait()
	for i := range n {
		require.Equal(t, 0, codes[i], outs[i])
	}
	// Approved only once all are waiting: the two runs of one model are
	// then both judged with no champion, as two runs started together are.
	s.chxWaitAll(ids, workflows.StateWaiting, 6*time.Minute)
	for _, id := range ids {
		out, code := s.mlpipe("approve", id, "--as", "alice")
		require.Equal(t, 0, code, out)
	}
	done := s.chxWaitAll(ids, workflows.OutcomeDeployed, 2*time.Minute)

	store, err := artifact.Open(ctx, location)
	require.NoError(t, err)
	reg := registry.New(store)
	seen := map[string]string{} // artifact URI or data digest → the pipeline it belongs to
	own := func(key, id string) {
		if other, ok := seen[key]; ok && other != id {
			t.Errorf("%s belongs to both %s and %s", key, other, id)
		}
		seen[key] = id
	}
	for i, id := range ids {
		chxOwnArtifacts(t, ctx, reg, id, models[i], done[id], own)
	}
	versions, err := reg.List(ctx, chxSameModel)
	require.NoError(t, err)
	var by []string
	for _, v := range versions {
		by = append(by, v.WorkflowID)
	}
	assert.ElementsMatch(t, []string{ids[0], ids[chxModels]}, by, "%s: one version from each of its two pipelines", chxSameModel)
	chxWholeObjects(t, ctx, store)

	// From the histories: who ran what, and how often.
	var runs []chxRun
	for _, id := range ids {
		runs = append(runs, s.chxTree(t, id)...)
	}
	chxSpread(t, runs, procs)
	chxOncePerAttempt(t, runs, n)
}

// chxOwnArtifacts checks that pipeline id's registered version and every
// artifact it lists are its own: the model bundle was trained by id on
// id's dataset, the features were built from it, and every stored byte
// still matches the digest the stage recorded.
func chxOwnArtifacts(t *testing.T, ctx context.Context, reg *registry.Registry, id, model string, st workflows.PipelineStatus, own func(key, id string)) {
	t.Helper()
	res := st.Result
	require.NotNil(t, res, id)
	require.Len(t, st.Stages, 6, id)
	dataset := st.Stages[0].Artifacts[0]
	features := st.Stages[2].Artifacts
	trained := st.Stages[3].Artifacts[0]
	evaluation := st.Stages[4].Artifacts

	assert.Equal(t, model, res.Model, id)
	require.NotNil(t, res.Features, id)
	assert.Equal(t, dataset.SHA256, res.Features.DataDigest, "%s: features built from its own dataset", id)
	assert.Equal(t, []artifact.Ref{res.Features.Train, res.Features.Test, res.Features.TestRaw, res.Features.Transform}, features, id)
	assert.Equal(t, trained.URI, res.ModelURI, id)

	v, err := reg.Get(ctx, model, res.Version)
	require.NoError(t, err, id)
	assert.Equal(t, id, v.WorkflowID, "%s@%d was registered by %s", model, res.Version, id)
	assert.Equal(t, trained.URI, v.Model.URI, id)
	assert.Equal(t, trained.SHA256, v.Model.SHA256, id)
	assert.Equal(t, dataset.SHA256, v.DataDigest, id)
	assert.Equal(t, evaluation[1].URI, v.ReportURI, id)
	require.NotNil(t, v.Approval, id)
	assert.Equal(t, "alice", v.Approval.Approver, id)

	body, err := artifact.ReadAll(ctx, v.Model)
	require.NoError(t, err, id)
	b, err := bundle.Decode(body)
	require.NoError(t, err, id)
	assert.Equal(t, id, b.Metadata.WorkflowID, "%s: the bundle at %s was trained by it", id, v.Model.URI)
	assert.Equal(t, dataset.SHA256, b.Metadata.DataDigest, id)
	assert.Equal(t, res.Features.Version, b.Metadata.FeatureSet, id)

	for _, ref := range slices.Concat([]artifact.Ref{dataset, trained}, features, evaluation) {
		_, err := artifact.ReadAll(ctx, ref)
		assert.NoError(t, err, "%s: %s reads back whole", id, ref.URI)
	}
	// Each pipeline generated its own data, so nothing it made may be
	// another pipeline's.
	own("data "+dataset.SHA256, id)
	own(trained.URI, id)
	own(evaluation[0].URI, id)
}

// chxSpread checks that every activity ran on a worker process of its own
// queue, and that both processes of each queue took part.
func chxSpread(t *testing.T, runs []chxRun, procs []*chxProc) {
	t.Helper()
	ran := map[*chxProc]int{}
	for _, r := range runs {
		for _, a := range r.Activities {
			i := slices.IndexFunc(procs, func(p *chxProc) bool { return strings.HasPrefix(a.Identity, p.identity()) })
			if !assert.GreaterOrEqual(t, i, 0, "%s %s ran on %q, none of the worker processes", r.ID, a.Type, a.Identity) {
				continue
			}
			assert.Equal(t, "mlpipe-"+procs[i].queue, a.Queue, "%s %s ran on a %s worker", r.ID, a.Type, procs[i].queue)
			ran[procs[i]]++
		}
	}
	for _, p := range procs {
		assert.Positive(t, ran[p], "the %s worker %s ran no activity", p.queue, p.identity())
		t.Logf("%s worker %s ran %d activities", p.queue, p.identity(), ran[p])
	}
}

// chxOncePerAttempt checks every activity of every run started and closed
// once for its scheduled event, and every search scheduled each trial×fold
// exactly once.
func chxOncePerAttempt(t *testing.T, runs []chxRun, pipelines int) {
	t.Helper()
	searches := 0
	for _, r := range runs {
		folds := map[[2]int]int{}
		for _, a := range r.Activities {
			assert.Equal(t, 1, a.Started, "%s %s (event %d) started once", r.ID, a.Type, a.Scheduled)
			assert.Equal(t, 1, a.Completed, "%s %s (event %d) completed once", r.ID, a.Type, a.Scheduled)
			assert.Equal(t, 1, a.Closed, "%s %s (event %d) closed once", r.ID, a.Type, a.Scheduled)
			if a.Type != "TrainTrial" {
				continue
			}
			var in activities.TrainTrialInput
			require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(a.Input, &in))
			folds[[2]int{in.TrialID, in.Fold}]++
		}
		if !strings.HasSuffix(r.ID, "-search") {
			continue
		}
		searches++
		assert.Len(t, folds, chxTrials*chxFolds, "%s: every trial × fold scheduled", r.ID)
		for k, c := range folds {
			assert.Equal(t, 1, c, "%s: trial %d fold %d scheduled once", r.ID, k[0], k[1])
		}
	}
	assert.Equal(t, pipelines, searches, "one search per pipeline")
}

// chxStageActivities are the stages' activities in a pipeline without a
// search (deployment registers, then promotes); each runs exactly once.
var chxStageActivities = []string{"IngestData", "ValidateData", "EngineerFeatures", "TrainModel", "EvaluateModel", "RegisterCandidate", "DeployModel"}

// The Temporal dev server restarts on the same SQLite file while a
// pipeline trains: the pipeline completes, and no stage that had finished
// runs again (each ran one attempt, started once in the history).
func chxTemporalRestart(t *testing.T) {
	s := startStackWith(t, filepath.Join(t.TempDir(), "temporal.db"))
	id := "chx-restart"
	out, code := s.mlpipe("run", "-f", filepath.Join(s.specDir, "pipeline.yaml"), "--id", id, "--detach",
		// Training long enough that the restart lands in it.
		"--set", "stages.model_training.params=[]",
		"--set", "hyperparameters={kind: logistic, optimizer: adam, epochs: 200, learning_rate: 0.05, batch_size: 16, seed: 7}",
		"--set", "evaluation.bootstrap=200")
	require.Equal(t, 0, code, out)
	require.Eventually(t, func() bool {
		st, err := pipelineStatus(context.Background(), s.srv.Client, id)
		return err == nil && len(st.Stages) == 6 && st.Stages[3].State == workflows.StateRunning
	}, 2*time.Minute, 50*time.Millisecond, "training starts")

	restarting := time.Now()
	s.srv.Restart(t)
	t.Logf("the server was down and back in %s", time.Since(restarting).Round(time.Millisecond))

	st := s.waitForState(id, workflows.StateWaiting)
	if tr := st.Stages[3]; tr.StartedAt != nil && tr.EndedAt != nil {
		t.Logf("training took %s", tr.EndedAt.Sub(*tr.StartedAt).Round(time.Millisecond))
	}
	out, code = s.mlpipe("approve", id, "--as", "alice")
	require.Equal(t, 0, code, out)
	st = s.waitForState(id, workflows.OutcomeDeployed)
	for _, stage := range st.Stages[:5] {
		assert.EqualValues(t, 1, stage.Attempts, "%s ran once", stage.Name)
	}
	var types []string
	for _, r := range s.chxTree(t, id) {
		for _, a := range r.Activities {
			types = append(types, a.Type)
			assert.Equal(t, 1, a.Started, "%s started once", a.Type)
			assert.EqualValues(t, 1, a.Attempt, "%s: first attempt", a.Type)
			assert.Equal(t, 1, a.Completed, "%s completed once", a.Type)
			if a.Type == "TrainModel" {
				assert.True(t, a.ClosedAt.After(restarting), "training ran across the restart: it ended at %s, the restart began at %s", a.ClosedAt, restarting)
			}
		}
	}
	for _, want := range chxStageActivities {
		assert.Equal(t, 1, chxCount(types, want), "%s scheduled once: %v", want, types)
	}
}

// kill -9 the CPU worker process while it validates: a restarted worker
// retries validation (and only validation), the pipeline completes, and
// nothing a stage stored is partial.
func chxKillMidValidation(t *testing.T, b *chxBuild) {
	s := startStackWithout(t, "cpu")
	bin := b.binary(t)
	first := chxWorker(t, bin, "cpu")
	chxPolling(t, s.srv.Client, first)

	// Enough rows that validation takes a while.
	const rows = 200000
	big := filepath.Join(s.specDir, "data", "big.csv")
	out, code := s.mlpipe("gen", "churn", "--rows", strconv.Itoa(rows), "--seed", "5", "-o", big)
	require.Equal(t, 0, code, out)
	id := "chx-kill"
	out, code = s.mlpipe("run", "-f", filepath.Join(s.specDir, "pipeline.yaml"), "--id", id, "--detach",
		"--set", "data.source="+big,
		// The heartbeat is what notices the dead worker (1m by default).
		"--set", "stages.data_validation.heartbeat=5s",
		"--set", "stages.model_training.params=[]",
		"--set", "hyperparameters={kind: logistic, optimizer: adam, epochs: 2, learning_rate: 0.05, batch_size: 256, seed: 7}",
		"--set", "evaluation.bootstrap=100")
	require.Equal(t, 0, code, out)

	// The worker is frozen the moment it holds validation, then killed:
	// the kill lands inside the activity, never after it.
	require.Eventually(t, func() bool { return s.chxValidating(id, first) }, 2*time.Minute, 5*time.Millisecond, "validation starts")
	require.NoError(t, first.cmd.Process.Signal(syscall.SIGSTOP))
	require.True(t, s.chxValidating(id, first), "validation finished before the worker was stopped: generate more rows")
	require.NoError(t, first.cmd.Process.Signal(syscall.SIGKILL))
	_ = first.cmd.Wait()
	// A temp file an older crash left: the next worker removes it when it
	// starts, and only what is older than artifact.StaleTempAge.
	stale := filepath.Join(s.tmp, "artifacts", "datasets", ".mlpipe-tmp-chx-stale")
	require.NoError(t, os.MkdirAll(filepath.Dir(stale), 0o755))
	require.NoError(t, os.WriteFile(stale, []byte("half a file"), 0o644))
	long := time.Now().Add(-2 * artifact.StaleTempAge)
	require.NoError(t, os.Chtimes(stale, long, long))
	second := chxWorker(t, bin, "cpu")

	st := s.waitForState(id, workflows.StateWaiting)
	names := []string{"data_ingestion", "data_validation", "feature_engineering", "model_training", "model_evaluation"}
	for i, attempts := range []int32{1, 2, 1, 1, 1} {
		assert.Equal(t, names[i], st.Stages[i].Name)
		assert.Equal(t, attempts, st.Stages[i].Attempts, "%s attempts", names[i])
	}
	assert.Contains(t, st.Stages[0].Message, strconv.Itoa(rows)+" rows")
	for _, a := range s.chxRuns(t, id, "")[0].Activities {
		assert.Equal(t, 1, a.Started, "%s started once", a.Type)
		assert.Equal(t, 1, a.Completed, "%s completed once", a.Type)
		switch a.Type {
		case "IngestData":
			assert.True(t, strings.HasPrefix(a.Identity, first.identity()), "ingested by the first worker, not again")
		case "ValidateData":
			assert.EqualValues(t, 2, a.Attempt)
			assert.True(t, strings.HasPrefix(a.Identity, second.identity()), "validated by the restarted worker")
		}
	}
	// What each stage recorded reads back whole, and so does every file
	// in the store under its final name.
	for _, stage := range st.Stages[:5] {
		for _, ref := range stage.Artifacts {
			_, err := artifact.ReadAll(context.Background(), ref)
			assert.NoError(t, err, "%s: %s", stage.Name, ref.URI)
		}
	}
	chxWholeFiles(t, filepath.Join(s.tmp, "artifacts"))
	assert.NoFileExists(t, stale, "the restarted worker removed the stale temp file")

	out, code = s.mlpipe("approve", id, "--as", "alice")
	require.Equal(t, 0, code, out)
	s.waitForState(id, workflows.OutcomeDeployed)
}

// chxCount is how often s occurs in list.
func chxCount(list []string, s string) int {
	n := 0
	for _, v := range list {
		if v == s {
			n++
		}
	}
	return n
}
