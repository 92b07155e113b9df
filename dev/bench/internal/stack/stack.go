// Package stack runs HyperparameterSearch for the benchmarks the way a user
// runs it: a real Temporal dev server (bin/temporal, as internal/testenv
// starts it), the CPU worker (workflows) and the GPU worker with a given
// number of slots, built by package workers as `mlpipe worker` builds them,
// over a file artifact store in a temporary folder. Then it reads the
// workflow's history to say where the time went.
package stack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"

	"github.com/mlpipe/mlpipe/activities"
	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/matrix"
	"github.com/mlpipe/mlpipe/internal/registry"
	"github.com/mlpipe/mlpipe/workers"
	"github.com/mlpipe/mlpipe/workflows"
)

// Stack is a running dev server with both workers.
type Stack struct {
	Client client.Client
	Store  artifact.Store
	// Slots is the GPU worker's concurrent TrainTrial activities.
	Slots int

	dir     string
	srv     *testsuite.DevServer
	workers []worker.Worker
}

// Options shape the stack.
type Options struct {
	// Slots is the GPU worker's concurrency (`mlpipe worker --slots`).
	Slots int
	// Prefetch is the GPU worker's prefetch, as workers.GPUOptions's
	// (workers.PrefetchPerSlot: `mlpipe worker`'s default).
	Prefetch int
	// Partitions, when > 0, sets the dev server's task-queue partitions
	// (matching.numTaskqueueRead/WritePartitions; the server's default is 4).
	Partitions int
}

// Start starts the dev server and the workers; Close stops them.
func Start(ctx context.Context, o Options) (*Stack, error) {
	slots := o.Slots
	cli, err := temporalCLI()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "mlpipe-bench-stack-")
	if err != nil {
		return nil, err
	}
	s := &Stack{dir: dir, Slots: slots}
	quiet := log.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	sctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	s.srv, err = testsuite.StartDevServer(sctx, testsuite.DevServerOptions{
		ExistingPath:  cli, // without it the SDK would download a CLI
		ClientOptions: &client.Options{Logger: quiet},
		LogLevel:      "error",
		Stdout:        io.Discard,
		Stderr:        io.Discard,
		ExtraArgs:     partitionArgs(o.Partitions),
	})
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start Temporal dev server with %s: %w", cli, err)
	}
	s.Client = s.srv.Client()
	if s.Store, err = artifact.NewFileStore(filepath.Join(dir, "artifacts")); err != nil {
		s.Close()
		return nil, err
	}
	acts := &activities.Activities{Store: s.Store, Registry: registry.New(s.Store), HTTP: &http.Client{Timeout: 10 * time.Second}}
	gpu, err := workers.NewGPU(s.Client, acts, workers.GPUOptions{Slots: slots, Prefetch: o.Prefetch})
	if err != nil {
		s.Close()
		return nil, err
	}
	for _, w := range []worker.Worker{workers.NewCPU(s.Client, acts), gpu} {
		if err := w.Start(); err != nil {
			s.Close()
			return nil, fmt.Errorf("start worker: %w", err)
		}
		s.workers = append(s.workers, w)
	}
	return s, nil
}

func partitionArgs(n int) []string {
	if n <= 0 {
		return nil
	}
	return []string{
		"--dynamic-config-value", fmt.Sprintf("matching.numTaskqueueReadPartitions=%d", n),
		"--dynamic-config-value", fmt.Sprintf("matching.numTaskqueueWritePartitions=%d", n),
	}
}

// Close stops the workers and the server and removes the artifacts.
func (s *Stack) Close() {
	for _, w := range s.workers {
		w.Stop()
	}
	if s.srv != nil {
		_ = s.srv.Stop()
	}
	os.RemoveAll(s.dir)
}

// PutMatrix stores a training matrix as the feature stage would, and
// returns the reference a SearchInput carries.
func (s *Stack) PutMatrix(ctx context.Context, key string, m matrix.Matrix) (artifact.Ref, error) {
	var buf bytes.Buffer
	if err := matrix.Write(&buf, m); err != nil {
		return artifact.Ref{}, err
	}
	return s.Store.Put(ctx, key, &buf, "text/csv")
}

// temporalCLI finds the CLI as internal/testenv does: $MLPIPE_TEMPORAL,
// then bin/temporal under the module root.
func temporalCLI() (string, error) {
	if p := os.Getenv("MLPIPE_TEMPORAL"); p != "" {
		return p, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			p := filepath.Join(dir, "bin", "temporal")
			if _, err := os.Stat(p); err != nil {
				return "", fmt.Errorf("no Temporal CLI at %s: run `make tools` or set MLPIPE_TEMPORAL", p)
			}
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory: run from the repository")
		}
		dir = parent
	}
}

// Run is one finished search: its result, the client-side wall time from
// start to result, and the trials' timeline from the history.
type Run struct {
	ID     string
	Result workflows.SearchResult
	Wall   time.Duration
	Trials []Trial
	// Started and Closed are the workflow's first and last history events.
	Started, Closed time.Time
}

// RunSearch starts HyperparameterSearch on mlpipe-cpu, as the pipeline's
// child or `temporal workflow start` would, and waits for it.
func (s *Stack) RunSearch(ctx context.Context, id string, in workflows.SearchInput) (Run, error) {
	r := Run{ID: id}
	began := time.Now()
	wr, err := s.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: workflows.TaskQueueCPU},
		workflows.HyperparameterSearchName, in)
	if err != nil {
		return r, fmt.Errorf("start search: %w", err)
	}
	if err := wr.Get(ctx, &r.Result); err != nil {
		return r, fmt.Errorf("search %s: %w", id, err)
	}
	r.Wall = time.Since(began)
	if err := r.readHistory(ctx, s.Client); err != nil {
		return r, err
	}
	return r, nil
}
