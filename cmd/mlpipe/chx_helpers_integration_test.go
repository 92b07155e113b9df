//go:build chaos

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
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
	enumspb "go.temporal.io/api/enums/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/sdk/client"

	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/testenv"
	"github.com/mlpipe/mlpipe/workflows"
)

// chxBuild builds the mlpipe binary once for every chaos test that runs
// worker processes; dir outlives the subtests that share it.
type chxBuild struct {
	once sync.Once
	dir  string
	bin  string
	err  error
	out  []byte
}

func (b *chxBuild) binary(t *testing.T) string {
	t.Helper()
	b.once.Do(func() {
		b.bin = filepath.Join(b.dir, "mlpipe")
		build := exec.Command("go", "build", "-o", b.bin, "./cmd/mlpipe")
		build.Dir = testenv.ModuleRoot(t)
		b.out, b.err = build.CombinedOutput()
	})
	require.NoError(t, b.err, "%s", b.out)
	return b.bin
}

// chxProc is `mlpipe worker --queue Q` run as an operator runs it: its own
// process, its own working and temp directory, configured only by the
// environment.
type chxProc struct {
	queue string
	cmd   *exec.Cmd
	log   string
}

// identity is the prefix of the Temporal identity the process's worker
// reports (pid@host@...), as histories record it.
func (p *chxProc) identity() string { return fmt.Sprintf("%d@", p.cmd.Process.Pid) }

func chxWorker(t *testing.T, bin, queue string) *chxProc {
	t.Helper()
	dir := t.TempDir()
	p := &chxProc{queue: queue, log: filepath.Join(dir, "worker.log")}
	logf, err := os.Create(p.log)
	require.NoError(t, err)
	p.cmd = exec.Command(bin, "worker", "--queue", queue)
	p.cmd.Dir = dir
	// Spooled downloads and uploads go to the worker's own disk.
	p.cmd.Env = append(os.Environ(), "TMPDIR="+dir)
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	require.NoError(t, p.cmd.Start())
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		_ = p.cmd.Wait()
		_ = logf.Close()
		if t.Failed() {
			b, _ := os.ReadFile(p.log)
			if len(b) > 4000 {
				b = b[len(b)-4000:]
			}
			t.Logf("%s worker (pid %d) log, last lines:\n%s", queue, p.cmd.Process.Pid, b)
		}
	})
	return p
}

// chxPolling waits until every process polls its task queue for
// activities, so work dispatched from then on can reach any of them.
func chxPolling(t *testing.T, c client.Client, procs ...*chxProc) {
	t.Helper()
	require.Eventually(t, func() bool {
		for _, p := range procs {
			d, err := c.DescribeTaskQueue(context.Background(), "mlpipe-"+p.queue, enumspb.TASK_QUEUE_TYPE_ACTIVITY)
			if err != nil || !slices.ContainsFunc(d.GetPollers(), func(pi *taskqueuepb.PollerInfo) bool {
				return strings.HasPrefix(pi.GetIdentity(), p.identity())
			}) {
				return false
			}
		}
		return true
	}, time.Minute, 100*time.Millisecond, "every worker process polls its queue")
}

// chxWaitAll waits until every pipeline reaches state (or ends), for as
// long as a loaded machine needs for all of them together.
func (s *stack) chxWaitAll(ids []string, state string, within time.Duration) map[string]workflows.PipelineStatus {
	s.t.Helper()
	got := map[string]workflows.PipelineStatus{}
	for deadline := time.Now().Add(within); len(got) < len(ids); time.Sleep(250 * time.Millisecond) {
		if time.Now().After(deadline) {
			var late []string
			for _, id := range ids {
				if _, ok := got[id]; !ok {
					st, _ := pipelineStatus(context.Background(), s.srv.Client, id)
					late = append(late, fmt.Sprintf("%s: %s %+v", id, st.State, st.Stages))
				}
			}
			s.t.Fatalf("%d of %d pipelines did not reach %s within %s:\n%s", len(late), len(ids), state, within, strings.Join(late, "\n"))
		}
		for _, id := range ids {
			if _, ok := got[id]; ok {
				continue
			}
			st, err := pipelineStatus(context.Background(), s.srv.Client, id)
			if err == nil && (st.State == state || terminal(st.State)) {
				got[id] = st
			}
		}
	}
	for _, id := range ids {
		require.Equal(s.t, state, got[id].State, "%s stages: %+v", id, got[id].Stages)
	}
	return got
}

// chxValidating reports whether pipeline id's validation is running on p.
func (s *stack) chxValidating(id string, p *chxProc) bool {
	d, err := s.srv.Client.DescribeWorkflow(context.Background(), id, "")
	if err != nil {
		return false
	}
	return slices.ContainsFunc(d.RawResponse.GetPendingActivities(), func(pa *workflowpb.PendingActivityInfo) bool {
		return pa.GetActivityType().GetName() == "ValidateData" && pa.GetState() == enumspb.PENDING_ACTIVITY_STATE_STARTED &&
			strings.HasPrefix(pa.GetLastWorkerIdentity(), p.identity())
	})
}

// chxWholeFiles checks that every file a reader could open under its
// final name in a file:// store is whole: JSON parses, Parquet ends with
// its footer magic, HTML is closed. In-flight temp files are only counted.
func chxWholeFiles(t *testing.T, root string) {
	t.Helper()
	files, temps := 0, 0
	require.NoError(t, filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if strings.HasPrefix(d.Name(), ".mlpipe-tmp-") {
			temps++
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		files++
		switch filepath.Ext(p) {
		case ".json":
			assert.True(t, json.Valid(b), "%s is whole JSON", p)
		case ".parquet":
			assert.True(t, bytes.HasSuffix(b, []byte("PAR1")), "%s ends with Parquet's footer", p)
		case ".html":
			assert.Contains(t, strings.ToLower(string(bytes.TrimSpace(b[max(0, len(b)-64):]))), "</html>", p)
		}
		return nil
	}))
	assert.Positive(t, files)
	t.Logf("%d files in the store, all whole; %d temp files left by the killed worker (never listed or read)", files, temps)
}

// chxWholeObjects checks that every object in the store matches the
// sha256 and size it was published with.
func chxWholeObjects(t *testing.T, ctx context.Context, store artifact.Store) {
	t.Helper()
	keys, err := store.List(ctx, "")
	require.NoError(t, err)
	for _, k := range keys {
		ref, ok, err := store.Stat(ctx, k)
		require.NoError(t, err, k)
		require.True(t, ok, k)
		_, err = artifact.ReadAll(ctx, ref)
		assert.NoError(t, err, "%s is whole", ref.URI)
	}
	t.Logf("%d objects in the store, each matching its published sha256", len(keys))
}
