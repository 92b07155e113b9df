package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"

	"github.com/mlpipe/mlpipe/activities"
	"github.com/mlpipe/mlpipe/internal/testenv"
	"github.com/mlpipe/mlpipe/workflows"
)

// gpuWorker runs `mlpipe worker --queue gpu` as its own process, as an
// operator would, so the test can kill it outright.
func gpuWorker(t *testing.T, bin string) *exec.Cmd {
	cmd := exec.Command(bin, "worker", "--queue", "gpu")
	cmd.Env = os.Environ()
	logf, err := os.CreateTemp(t.TempDir(), "gpu-worker-*.log")
	require.NoError(t, err)
	cmd.Stdout, cmd.Stderr = logf, logf
	t.Cleanup(func() {
		if t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			t.Logf("gpu worker log:\n%s", b)
		}
	})
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return cmd
}

// trainingEpoch reads the epoch the running training attempt last
// reported in its heartbeat.
func (s *stack) trainingEpoch(id string) int {
	d, err := s.srv.Client.DescribeWorkflow(context.Background(), id, "")
	if err != nil {
		return -1
	}
	for _, pa := range d.RawResponse.GetPendingActivities() {
		if pa.GetActivityType().GetName() != "TrainModel" || pa.GetHeartbeatDetails() == nil {
			continue
		}
		var p activities.TrainingProgress
		err := converter.GetDefaultDataConverter().FromPayloads(pa.GetHeartbeatDetails(), &p)
		if err == nil && p.Checkpoint.URI != "" {
			return p.Epoch
		}
	}
	return -1
}

// buildMlpipe builds the binary that GPU workers started as their own
// processes run.
func buildMlpipe(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "mlpipe")
	build := exec.Command("go", "build", "-o", bin, "./cmd/mlpipe")
	build.Dir = testenv.ModuleRoot(t)
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)
	return bin
}

// killMidTraining waits until pipeline id's training has checkpointed at
// least minEpoch epochs (or rounds), checks that `mlpipe status` shows the
// progress (matching progress), kills the GPU worker with -9, starts
// another, and returns the epoch it was killed after.
func (s *stack) killMidTraining(t *testing.T, worker *exec.Cmd, bin, id string, minEpoch int, within time.Duration, progress string) int {
	t.Helper()
	var killedAt int
	if !assert.Eventually(t, func() bool { killedAt = s.trainingEpoch(id); return killedAt >= minEpoch }, within, 100*time.Millisecond) {
		o, _ := s.mlpipe("status", id)
		t.Fatalf("training never reported a checkpoint:\n%s", o)
	}
	o, _ := s.mlpipe("status", id)
	assert.Regexp(t, progress, o, "mlpipe status shows the training's progress")
	require.NoError(t, worker.Process.Signal(syscall.SIGKILL))
	_ = worker.Wait()
	gpuWorker(t, bin)
	return killedAt
}

// resumedTraining waits for pipeline id's gate and checks that its training
// ran twice, the second attempt resuming from a checkpoint ("resumed from
// UNIT N", N > 0); it returns the status and N.
func (s *stack) resumedTraining(t *testing.T, id, unit string) (workflows.PipelineStatus, int) {
	t.Helper()
	st := s.waitForState(id, workflows.StateWaiting)
	training := st.Stages[3]
	require.Equal(t, "model_training", training.Name)
	assert.EqualValues(t, 2, training.Attempts, "the killed attempt and the one that resumed")
	m := regexp.MustCompile(`resumed from ` + unit + ` (\d+)`).FindStringSubmatch(training.Message)
	require.NotNil(t, m, "training message: %s", training.Message)
	resumed, _ := strconv.Atoi(m[1])
	assert.Positive(t, resumed, "resumed from a checkpoint, not from zero")
	return st, resumed
}

// Kill the GPU worker in the middle of training: the retry on a new worker
// resumes from the last checkpoint, not from epoch zero, and the pipeline
// completes.
func TestTrainingResumesAfterTheWorkerIsKilled(t *testing.T) {
	s := startStackWithout(t, "gpu")
	bin := buildMlpipe(t)

	first := gpuWorker(t, bin)
	id := "churn-killed"
	out, code := s.mlpipe("run", "-f", filepath.Join(s.specDir, "pipeline.yaml"), "--id", id, "--detach",
		// Long enough to kill in the middle: small batches, many epochs,
		// and a short heartbeat timeout so the retry comes soon.
		"--set", "stages.model_training.params=[]",
		"--set", "hyperparameters={kind: logistic, optimizer: adam, epochs: 400, learning_rate: 0.05, batch_size: 16, seed: 7}",
		"--set", "stages.model_training.heartbeat=3s")
	require.Equal(t, 0, code, out)

	s.killMidTraining(t, first, bin, id, 20, time.Minute, `epoch \d+/400`)
	st, resumed := s.resumedTraining(t, id, "epoch")
	assert.LessOrEqual(t, resumed, 400)
	assert.Contains(t, st.Stages[3].Message, "400 epochs")

	out, code = s.mlpipe("approve", id, "--as", "alice")
	require.Equal(t, 0, code, out)
	s.waitForState(id, workflows.OutcomeDeployed)
}
