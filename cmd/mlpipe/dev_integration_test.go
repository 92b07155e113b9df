package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/testenv"
)

// devTestEnv prepares a test that runs `mlpipe dev` in-process: a fresh
// working folder and artifact store, and free ports for its Temporal
// server and Web UI, which TEMPORAL_ADDRESS points at.
func devTestEnv(t *testing.T) (dir string, port, uiPort int) {
	t.Helper()
	if testing.Short() {
		t.Skip("integration: starts mlpipe dev")
	}
	dir = t.TempDir()
	t.Setenv("MLPIPE_TEMPORAL", testenv.Tool(t, "temporal", testenv.EnvTemporal))
	t.Setenv("MLPIPE_ARTIFACTS", filepath.Join(dir, "artifacts"))
	t.Setenv("MLPIPE_ADMIN_TOKEN", "test-admin-token")
	t.Chdir(dir)
	port, uiPort = cliFreePort(t), cliFreePort(t)
	t.Setenv("TEMPORAL_ADDRESS", fmt.Sprintf("127.0.0.1:%d", port))
	return dir, port, uiPort
}

// When its Temporal server dies, `mlpipe dev` stops and says so, instead
// of hanging in its shutdown while everything it started is gone.
func TestDevStopsWhenItsTemporalServerDies(t *testing.T) {
	dir, port, uiPort := devTestEnv(t)

	var out syncBuffer
	done := make(chan int, 1)
	go func() {
		m := &Main{Stdout: &out, Stderr: &out, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
		done <- m.Run(context.Background(), []string{"dev", "--port", strconv.Itoa(port), "--ui-port", strconv.Itoa(uiPort),
			"--db", filepath.Join(dir, "temporal.db"), "--gateway-addr", "127.0.0.1:0"})
	}()
	require.Eventually(t, func() bool { return strings.Contains(out.String(), "mlpipe dev is up") }, 2*time.Minute, 100*time.Millisecond, "%s", &out)

	pid := devServerPID(t, port)
	require.NoError(t, syscall.Kill(pid, syscall.SIGKILL))
	select {
	case code := <-done:
		assert.NotEqual(t, 0, code)
		assert.Contains(t, out.String(), "temporal dev server exited")
	case <-time.After(3 * time.Minute):
		t.Fatalf("mlpipe dev did not stop after its Temporal server died:\n%s", &out)
	}
}

// devServerPID finds the `temporal server start-dev` listening on port.
func devServerPID(t *testing.T, port int) int {
	t.Helper()
	procs, err := filepath.Glob("/proc/[0-9]*/cmdline")
	require.NoError(t, err)
	want := []byte("\x00--port\x00" + strconv.Itoa(port) + "\x00")
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err != nil || !bytes.Contains(b, []byte("start-dev")) || !bytes.Contains(b, want) {
			continue
		}
		pid, err := strconv.Atoi(filepath.Base(filepath.Dir(p)))
		require.NoError(t, err)
		return pid
	}
	t.Fatalf("no temporal server start-dev on port %d", port)
	return 0
}
