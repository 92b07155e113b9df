package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/model"
	"github.com/mlpipe/mlpipe/internal/testenv"
	"github.com/mlpipe/mlpipe/workflows"
)

// cliCheckpoints lists the checkpoint files of a pipeline's training.
func (s *stack) cliCheckpoints(id string) []string {
	var out []string
	root := filepath.Join(s.tmp, "artifacts", "checkpoints", "churn-classifier", id)
	_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if _, ok := model.CheckpointEpoch(p); ok {
				out = append(out, p)
			}
		}
		return nil
	})
	return out
}

// cliStart runs `mlpipe run` (following) in the background.
func (s *stack) cliStart(args ...string) (*syncBuffer, <-chan int) {
	var out syncBuffer
	done := make(chan int, 1)
	go func() {
		m := &Main{Stdout: &out, Stderr: &out, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
		done <- m.Run(context.Background(), append([]string{"run"}, args...))
	}()
	return &out, done
}

var cliEpochRE = regexp.MustCompile(`model_training\s+running\s+1\s+.*epoch (\d+)/20000, loss \d+\.\d{4} \(attempt 1\)`)

// A long training shows its epoch in `mlpipe status` and in `mlpipe
// run`'s following output, and keeps at most 3 checkpoint files however
// many it writes. `mlpipe run` links the Web UI that MLPIPE_UI_URL names.
func TestCLILongTrainingShowsEpochsAndKeepsThreeCheckpoints(t *testing.T) {
	s := startStack(t)
	t.Setenv(EnvUIURL, "http://ui.example.test:9999/")
	id := "churn-long"
	out, done := s.cliStart("-f", filepath.Join(s.specDir, "pipeline.yaml"), "--id", id,
		"--set", "stages.model_training.params=[]",
		"--set", "hyperparameters={kind: logistic, optimizer: adam, epochs: 20000, learning_rate: 0.01, batch_size: 16, seed: 7}",
		// Heartbeats reach the server every 1.6 s, so progress shows soon
		// and old checkpoints can go soon.
		"--set", "stages.model_training.heartbeat=2s")
	require.Eventually(t, func() bool { return strings.Contains(out.String(), "started "+id) }, time.Minute, 100*time.Millisecond)
	assert.Contains(t, out.String(), "  Web UI: http://ui.example.test:9999/namespaces/default/workflows/"+id+"\n")

	epochOf := func() int {
		o, code := s.mlpipe("status", id)
		if code != 0 {
			return -1
		}
		m := cliEpochRE.FindStringSubmatch(o)
		if m == nil {
			return -1
		}
		n, _ := strconv.Atoi(m[1])
		return n
	}
	var first int
	if !assert.Eventually(t, func() bool { first = epochOf(); return first > 0 }, 2*time.Minute, 200*time.Millisecond) {
		o, _ := s.mlpipe("status", id)
		t.Fatalf("no epoch progress in the status:\n%s", o)
	}
	require.Eventually(t, func() bool { return epochOf() > first }, time.Minute, 200*time.Millisecond, "the epoch moves on")

	// Checkpoints come and go; never more than three at once.
	seen := map[string]bool{}
	most := 0
	require.Eventually(t, func() bool {
		cks := s.cliCheckpoints(id)
		most = max(most, len(cks))
		for _, c := range cks {
			seen[c] = true
		}
		return len(seen) >= 5
	}, 3*time.Minute, 100*time.Millisecond, "checkpoints seen: %v", seen)
	assert.LessOrEqual(t, most, model.DefaultKeepCheckpoints)

	require.Eventually(t, func() bool {
		return regexp.MustCompile(`running\s+model_training\s+epoch \d+/20000`).MatchString(out.String())
	}, time.Minute, 100*time.Millisecond, "mlpipe run shows the epochs too:\n%s", out.String())

	require.NoError(t, s.srv.Client.TerminateWorkflow(context.Background(), id, "", "test over"))
	select {
	case code := <-done:
		assert.Equal(t, exitFailure, code, out.String())
	case <-time.After(time.Minute):
		t.Fatal("mlpipe run did not return after the pipeline ended")
	}
	left := s.cliCheckpoints(id)
	assert.NotEmpty(t, left)
	assert.LessOrEqual(t, len(left), model.DefaultKeepCheckpoints, "%v", left)
}

// Every command that takes a workflow ID says at once that an unknown one
// does not exist, naming where it looked, and exits 1; a pipeline that
// exists but has ended is not "not found".
func TestCLIUnknownWorkflowIsNotFoundAtOnce(t *testing.T) {
	s := startStack(t)
	want := fmt.Sprintf("workflow NO-SUCH-ID not found in namespace default (at %s)\n", s.srv.HostPort)
	for _, args := range [][]string{
		// Before, this waited out its timeout and then spoke of states.
		{"status", "NO-SUCH-ID", "--wait-for", "deployed", "--timeout", "1m"},
		{"status", "NO-SUCH-ID"},
		{"status", "NO-SUCH-ID", "-o", "json"},
		{"approve", "NO-SUCH-ID", "--as", "alice"},
		{"reject", "NO-SUCH-ID", "--as", "alice", "--comment", "no"},
		{"report", "NO-SUCH-ID"},
	} {
		out, code := s.mlpipe(args...)
		assert.Equal(t, exitFailure, code, "%v: %s", args, out)
		assert.Equal(t, "mlpipe "+args[0]+": "+want, out, "%v", args)
	}

	// A pipeline that failed at once (its input names no stages).
	id := "churn-ended"
	s.temporal("workflow", "start", "--type", workflows.TrainingPipelineName, "--task-queue", workflows.TaskQueueCPU,
		"-w", id, "--input", `{"name": "x", "model": "x"}`)
	out, code := s.mlpipe("status", id, "--wait-for", "deployed", "--timeout", "1m")
	assert.Equal(t, exitFailure, code, out)
	assert.Contains(t, out, "result: failed: ")
	assert.Contains(t, out, "ended as failed, not deployed")
	out, code = s.mlpipe("approve", id, "--as", "alice")
	assert.Equal(t, exitFailure, code, out)
	assert.NotContains(t, out, "not found in namespace")
	assert.Contains(t, out, "mlpipe approve: approve "+id+": ")
}

// cliFreePort is a loopback port nothing listens on.
func cliFreePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// `mlpipe dev` on other ports records its Web UI, and `mlpipe run` in the
// same folder links that UI, which answers; once dev stops, no link.
func TestCLIRunLinksTheWebUIOfMlpipeDev(t *testing.T) {
	if testing.Short() {
		t.Skip("integration: starts mlpipe dev")
	}
	dir := t.TempDir()
	root := testenv.ModuleRoot(t)
	t.Setenv("MLPIPE_TEMPORAL", testenv.Tool(t, "temporal", testenv.EnvTemporal))
	t.Setenv("MLPIPE_ARTIFACTS", filepath.Join(dir, "artifacts"))
	t.Setenv("MLPIPE_ADMIN_TOKEN", "test-admin-token")
	t.Setenv(EnvUIURL, "")
	t.Chdir(dir)
	port, uiPort := cliFreePort(t), cliFreePort(t)
	t.Setenv("TEMPORAL_ADDRESS", fmt.Sprintf("127.0.0.1:%d", port))
	t.Setenv("TEMPORAL_NAMESPACE", "default")

	ctx, cancel := context.WithCancel(context.Background())
	var devOut syncBuffer
	devDone := make(chan int, 1)
	go func() {
		m := &Main{Stdout: &devOut, Stderr: &devOut, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
		devDone <- m.Run(ctx, []string{"dev", "--port", strconv.Itoa(port), "--ui-port", strconv.Itoa(uiPort),
			"--db", filepath.Join(dir, ".mlpipe", "temporal.db"), "--gateway-addr", "127.0.0.1:0"})
	}()
	t.Cleanup(func() {
		cancel()
		<-devDone
	})
	require.Eventually(t, func() bool { return strings.Contains(devOut.String(), "mlpipe dev is up") }, 2*time.Minute, 100*time.Millisecond, "%s", &devOut)
	ui := fmt.Sprintf("http://localhost:%d", uiPort)
	assert.Contains(t, devOut.String(), "Web UI     "+ui+"\n")

	spec := filepath.Join(root, "dev/examples/churn/pipeline.yaml")
	run := func(id string) string {
		var out strings.Builder
		m := &Main{Stdout: &out, Stderr: &out, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
		// The example's data need not exist for the link: a missing file
		// is refused before anything starts, so point at a generated one.
		code := m.Run(context.Background(), []string{"run", "-f", spec, "--id", id, "--detach", "--set", "data.source=" + filepath.Join(dir, "churn.csv")})
		require.Equal(t, 0, code, out.String())
		return out.String()
	}
	var gen strings.Builder
	require.Equal(t, 0, (&Main{Stdout: &gen, Stderr: &gen}).Run(context.Background(), []string{"gen", "churn", "--rows", "300", "-o", filepath.Join(dir, "churn.csv")}), gen.String())

	out := run("churn-dev-link")
	link := ui + "/namespaces/default/workflows/churn-dev-link"
	assert.Contains(t, out, "  Web UI: "+link+"\n")
	resp, err := http.Get(ui)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode, "the linked UI answers")

	cancel()
	<-devDone
	devDone <- 0 // for the cleanup
	assert.NoFileExists(t, filepath.Join(dir, devStateFile))
	assert.Empty(t, webUIBase(), "no dev server, no link")
}
