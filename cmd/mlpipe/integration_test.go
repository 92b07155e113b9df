package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/config"
	"github.com/mlpipe/mlpipe/internal/testenv"
	"github.com/mlpipe/mlpipe/workers"
	"github.com/mlpipe/mlpipe/workflows"
)

// stack is a real local deployment for one test: a Temporal dev server,
// both workers in-process, and the gateway on a loopback port.
type stack struct {
	t       *testing.T
	tmp     string
	srv     *testenv.Temporal
	gateway string
	specDir string
	// queues are the worker queues run in-process.
	queues []string
	// stopWorkers and stopGateway end what the stack started, so a test
	// can restart them.
	stopWorkers func()
	stopGateway func()
}

func startStack(t *testing.T) *stack { return startStackWith(t, "") }

// startStackWith keeps Temporal's history in dbFile when it is set, so the
// server can be restarted under running workflows.
func startStackWith(t *testing.T, dbFile string) *stack {
	return newStack(t, dbFile, []string{"cpu", "gpu"})
}

// startStackWithout leaves a worker queue to the test to serve.
func startStackWithout(t *testing.T, queue string) *stack {
	queues := []string{"cpu", "gpu"}
	return newStack(t, "", slices.DeleteFunc(queues, func(q string) bool { return q == queue }))
}

func newStack(t *testing.T, dbFile string, queues []string) *stack {
	if testing.Short() {
		t.Skip("integration: starts a Temporal dev server")
	}
	s := &stack{t: t, tmp: t.TempDir(), queues: queues}
	s.srv = testenv.StartTemporalWith(t, dbFile, "MLModelName", "MLPipelineStage")
	t.Setenv("TEMPORAL_ADDRESS", s.srv.HostPort)
	t.Setenv("TEMPORAL_NAMESPACE", "default")
	t.Setenv("MLPIPE_ARTIFACTS", filepath.Join(s.tmp, "artifacts"))
	t.Setenv("MLPIPE_GATEWAY_REFRESH", "200ms")
	t.Setenv("MLPIPE_ADMIN_TOKEN", "test-admin-token")
	s.startWorkers()
	s.gateway = "http://" + s.startGateway("127.0.0.1:0")

	// The example pipeline, on freshly generated data, told where this
	// test's gateway listens.
	s.specDir = filepath.Join(s.tmp, "churn")
	root := testenv.ModuleRoot(t)
	require.NoError(t, os.MkdirAll(filepath.Join(s.specDir, "data"), 0o755))
	for _, f := range []string{"pipeline.yaml", "hyperparameters.yaml"} {
		b, err := os.ReadFile(filepath.Join(root, "dev/examples/churn", f))
		require.NoError(t, err)
		b = bytes.ReplaceAll(b, []byte("http://127.0.0.1:8080"), []byte(s.gateway))
		require.NoError(t, os.WriteFile(filepath.Join(s.specDir, f), b, 0o644))
	}
	out, code := s.mlpipe("gen", "churn", "--rows", "3000", "--seed", "11", "-o", filepath.Join(s.specDir, "data/churn.csv"))
	require.Equal(t, 0, code, out)
	return s
}

// startWorkers runs both workers in-process on a client of their own.
func (s *stack) startWorkers() {
	ctx, cancel := context.WithCancel(context.Background())
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	acts, err := newActivities(ctx, config.FromEnv())
	require.NoError(s.t, err)
	c, err := workers.Dial(ctx, s.srv.HostPort, logger)
	require.NoError(s.t, err)
	stop, err := startWorkers(ctx, c, acts, s.queues, workers.GPUOptions{Slots: 2, Prefetch: workers.PrefetchPerSlot}, logger)
	require.NoError(s.t, err)
	var once sync.Once
	s.stopWorkers = func() { once.Do(func() { stop(); c.Close(); cancel() }) }
	s.t.Cleanup(s.stopWorkers)
}

// startGateway serves the gateway on addr and returns where it listens.
func (s *stack) startGateway(addr string) string {
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		err := runGateway(ctx, config.FromEnv(), addr, slog.New(slog.NewTextHandler(io.Discard, nil)), ready)
		if err != nil {
			s.t.Errorf("gateway: %v", err)
			ready <- ""
		}
	}()
	got := <-ready
	require.NotEmpty(s.t, got)
	s.stopGateway = func() { cancel(); <-done }
	// Stopping twice is harmless: cancel is idempotent and done stays closed.
	s.t.Cleanup(s.stopGateway)
	return got
}

// mlpipe runs the real program in-process and returns its output.
func (s *stack) mlpipe(args ...string) (string, int) {
	var out bytes.Buffer
	m := &Main{Stdout: &out, Stderr: &out, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	code := m.Run(context.Background(), args)
	return out.String(), code
}

// temporal runs the stock Temporal CLI against the test server.
func (s *stack) temporal(args ...string) string {
	args = append(args, "--address", s.srv.HostPort)
	out, err := exec.Command(s.srv.CLI, args...).CombinedOutput()
	require.NoError(s.t, err, "temporal %s: %s", strings.Join(args, " "), out)
	return string(out)
}

func (s *stack) waitForState(id, state string) workflows.PipelineStatus {
	var st workflows.PipelineStatus
	require.Eventually(s.t, func() bool {
		var err error
		st, err = pipelineStatus(context.Background(), s.srv.Client, id)
		return err == nil && (st.State == state || terminal(st.State))
	}, 2*time.Minute, 200*time.Millisecond)
	require.Equal(s.t, state, st.State, "stages: %+v", st.Stages)
	return st
}

type prediction struct {
	Model       string `json:"model"`
	Version     int    `json:"version"`
	Predictions []struct {
		Label       string  `json:"label"`
		Probability float64 `json:"probability"`
	} `json:"predictions"`
}

func (s *stack) predict(rows string) (prediction, int) {
	resp, err := http.Post(s.gateway+"/v1/models/churn-classifier:predict", "application/json", strings.NewReader(`{"instances": `+rows+`}`))
	require.NoError(s.t, err)
	defer resp.Body.Close()
	var p prediction
	if resp.StatusCode == http.StatusOK {
		require.NoError(s.t, json.NewDecoder(resp.Body).Decode(&p))
	}
	return p, resp.StatusCode
}

const twoCustomers = `[
 {"age": 67, "status": "inactive", "plan": "premium", "tenure_months": 1, "monthly_charges": 140, "support_calls": 9, "last_activity": "2026-10-01T00:00:00Z"},
 {"age": 35, "status": "active", "plan": "basic", "tenure_months": 60, "monthly_charges": 30, "support_calls": 0, "last_activity": "2026-11-24T00:00:00Z"}]`

// The pipeline started with `temporal workflow start` from the JSON that
// `mlpipe spec` prints, approved with `temporal workflow signal`, ends with
// the gateway answering with the new version.
func TestPipelineThroughStockTemporalCLI(t *testing.T) {
	s := startStack(t)
	input := filepath.Join(s.tmp, "churn.json")
	out, code := s.mlpipe("spec", "-f", filepath.Join(s.specDir, "pipeline.yaml"), "-o", input)
	require.Equal(t, 0, code, out)

	_, status := s.predict(twoCustomers)
	assert.Equal(t, http.StatusNotFound, status, "nothing is served before a model is approved")

	id := "churn-it-cli"
	s.temporal("workflow", "start", "--type", "TrainingPipeline", "--task-queue", "mlpipe-cpu", "-w", id, "--input-file", input)
	st := s.waitForState(id, workflows.StateWaiting)
	assert.True(t, st.Gate.Open)
	for _, stage := range st.Stages[:5] {
		assert.Equal(t, workflows.StateSucceeded, stage.State, stage.Name)
		assert.NotEmpty(t, stage.Artifacts, stage.Name)
	}
	assert.Equal(t, workflows.StateWaiting, st.Stages[5].State)

	// An approval without an approver is ignored, and the status says why.
	s.temporal("workflow", "signal", "-w", id, "--name", "approve-promotion", "-i", `{"comment":"forgot my name"}`)
	require.Eventually(t, func() bool {
		st, err := pipelineStatus(context.Background(), s.srv.Client, id)
		return err == nil && len(st.Gate.Ignored) == 1
	}, time.Minute, 100*time.Millisecond)

	s.temporal("workflow", "signal", "-w", id, "--name", "approve-promotion", "-i", `{"approver":"demo","comment":"integration test"}`)
	var res workflows.PipelineResult
	require.NoError(t, s.srv.Client.GetWorkflow(context.Background(), id, "").Get(context.Background(), &res))
	assert.Equal(t, workflows.OutcomeDeployed, res.Outcome)
	assert.Equal(t, 1, res.Version)
	assert.GreaterOrEqual(t, res.Metrics["f1"], 0.8)
	require.NotNil(t, res.Approval)
	assert.Equal(t, "demo", res.Approval.Approver)

	// The gateway answers with the new version, and the raw rows are
	// scored through the model's own feature transform.
	var p prediction
	require.Eventually(t, func() bool {
		var code int
		p, code = s.predict(twoCustomers)
		return code == http.StatusOK && p.Version == res.Version
	}, 30*time.Second, 100*time.Millisecond)
	require.Len(t, p.Predictions, 2)
	assert.Equal(t, "yes", p.Predictions[0].Label, "an inactive, new, unhappy customer churns")
	assert.Equal(t, "no", p.Predictions[1].Label, "a long-standing happy customer stays")

	// The pipeline is found by its model name.
	require.Eventually(t, func() bool {
		out, err := exec.Command(s.srv.CLI, "workflow", "list", "--address", s.srv.HostPort, "--query", "MLModelName='churn-classifier'").CombinedOutput()
		return err == nil && strings.Contains(string(out), id)
	}, 30*time.Second, 500*time.Millisecond)

	if dst := os.Getenv("MLPIPE_RECORD_HISTORY"); dst != "" {
		hist := s.temporal("workflow", "show", "-w", id, "-o", "json")
		require.NoError(t, os.WriteFile(dst, []byte(hist), 0o644))
	}
}

// `mlpipe run` follows a pipeline; `mlpipe approve` uses the validated
// Update: a stranger is refused at once, an approver's decision lands, and
// the gateway switches to the new version.
func TestPipelineThroughMlpipeCommands(t *testing.T) {
	s := startStack(t)
	spec := filepath.Join(s.specDir, "pipeline.yaml")
	id := "churn-it-run"
	var runOut syncBuffer
	done := make(chan int, 1)
	go func() {
		m := &Main{Stdout: &runOut, Stderr: &runOut, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
		done <- m.Run(context.Background(), []string{"run", "-f", spec, "--id", id})
	}()
	// The follower tells the user how to approve once the gate opens.
	require.Eventually(t, func() bool { return strings.Contains(runOut.String(), "mlpipe approve "+id) }, 2*time.Minute, 100*time.Millisecond)

	out, code := s.mlpipe("approve", id, "--as", "mallory")
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, out, "mallory is not an approver of this pipeline")

	out, code = s.mlpipe("approve", id, "--as", "alice", "--comment", "ship it")
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, "approved by alice")

	select {
	case code := <-done:
		assert.Equal(t, 0, code)
	case <-time.After(2 * time.Minute):
		t.Fatal("mlpipe run did not return after the approval")
	}
	followed := runOut.String()
	for _, stage := range []string{"data_ingestion", "data_validation", "feature_engineering", "model_training", "model_evaluation", "model_deployment"} {
		assert.Contains(t, followed, stage)
	}
	assert.Contains(t, followed, "result: deployed: churn-classifier version 1 is in production")

	out, code = s.mlpipe("status", id)
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, "approved by alice via update")
	assert.Contains(t, out, "f1 >= 0.8 holds")

	// A second approved run becomes version 2 and the gateway follows.
	out, code = s.mlpipe("run", "-f", spec, "--id", id+"-2", "--detach", "--set", "deployment.strategy=direct")
	require.Equal(t, 0, code, out)
	s.waitForState(id+"-2", workflows.StateWaiting)
	out, code = s.mlpipe("approve", id+"-2", "--as", "bob")
	require.Equal(t, 0, code, out)
	s.waitForState(id+"-2", workflows.OutcomeDeployed)
	require.Eventually(t, func() bool {
		p, code := s.predict(twoCustomers)
		return code == http.StatusOK && p.Version == 2
	}, 30*time.Second, 100*time.Millisecond)

	// The second version was compared with the first, its champion.
	out, code = s.mlpipe("status", id+"-2", "-o", "json")
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, `"rule": "f1 >= champion - 0.01"`)

	// The evaluation report is a page a reviewer can open.
	out, code = s.mlpipe("report", id+"-2")
	require.Equal(t, 0, code, out)
	require.Contains(t, out, "html  file://")
	htmlPath := strings.TrimPrefix(strings.Fields(strings.Split(out, "\n")[0])[1], "file://")
	page, err := os.ReadFile(htmlPath)
	require.NoError(t, err)
	assert.Equal(t, 4, strings.Count(string(page), "data:image/png;base64,"))
	assert.Contains(t, string(page), "churn-classifier v1", "the champion is named")

	// A third run is rejected; the registry keeps who said no and why.
	out, code = s.mlpipe("run", "-f", spec, "--id", id+"-3", "--detach", "--set", "deployment.strategy=direct")
	require.Equal(t, 0, code, out)
	s.waitForState(id+"-3", workflows.StateWaiting)
	out, code = s.mlpipe("reject", id+"-3", "--as", "bob", "--comment", "age 70+ slice regressed")
	require.Equal(t, 0, code, out)
	s.waitForState(id+"-3", workflows.OutcomeRejected)

	out, code = s.mlpipe("models", "ls", "churn-classifier")
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, "rejected by bob")
	assert.Contains(t, out, "approved by alice")
	out, code = s.mlpipe("models", "show", "churn-classifier@3")
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, "age 70+ slice regressed")
	out, code = s.mlpipe("models", "show", "churn-classifier")
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, "version 2", "production is still version 2")
	p, _ := s.predict(twoCustomers)
	assert.Equal(t, 2, p.Version, "a rejected model is never served")
}

// Bad input is refused before anything starts, with a message that says
// what to fix.
func TestRunRefusesABadSpec(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "pipeline.yaml")
	require.NoError(t, os.WriteFile(bad, []byte(`name: x
model: x
data: {source: missing.csv, target: y, positive: "1"}
stages:
  data_ingestion: {inputs: [raw_data_source], outputs: [raw]}
`), 0o644))
	var out bytes.Buffer
	m := &Main{Stdout: &out, Stderr: &out}
	code := m.Run(context.Background(), []string{"run", "-f", bad})
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, out.String(), "missing.csv does not exist")
}

// syncBuffer is a buffer one goroutine writes while another reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
