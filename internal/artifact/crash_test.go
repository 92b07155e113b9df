package artifact_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/testenv"
)

// The test binary doubles as the writer that crash tests kill: these
// variables tell it where to write, how, and how much.
const (
	envCrashStore = "MLPIPE_CRASH_STORE"
	envCrashOp    = "MLPIPE_CRASH_OP"
	crashKey      = "models/m/bundle.json"
	crashSize     = 4 << 20
)

// TestCrashWriterProcess is not a test: run by a crash test, it writes
// crashSize bytes under crashKey and says "stalled" on stdout when its
// body is half read (file://) and it is stuck there, for the test to kill it.
func TestCrashWriterProcess(t *testing.T) {
	location := os.Getenv(envCrashStore)
	if location == "" {
		t.Skip("the writer process that the crash tests kill")
	}
	ctx := context.Background()
	s, err := artifact.Open(ctx, location)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	r := io.Reader(bytes.NewReader(bytes.Repeat([]byte("x"), crashSize)))
	if strings.HasPrefix(location, "/") {
		r = io.MultiReader(io.LimitReader(r, crashSize/2), stallingReader{})
	}
	if os.Getenv(envCrashOp) == "create" {
		_, err = s.Create(ctx, crashKey, r, "application/json")
	} else {
		_, err = s.Put(ctx, crashKey, r, "application/json")
	}
	fmt.Fprintln(os.Stderr, "the write was meant to be killed, but it ended:", err)
	os.Exit(3)
}

// stallingReader says so and blocks forever.
type stallingReader struct{}

func (stallingReader) Read([]byte) (int, error) {
	fmt.Println("stalled")
	select {}
}

// crashWriter starts the writer process and returns it once stalled fires.
func crashWriter(t *testing.T, location, op, endpoint string, stalled <-chan struct{}) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashWriterProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), envCrashStore+"="+location, envCrashOp+"="+op)
	if endpoint != "" {
		cmd.Env = append(cmd.Env, artifact.EnvS3Endpoint+"="+endpoint)
	}
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	if stalled == nil {
		line, err := bufio.NewReader(out).ReadString('\n')
		if err != nil {
			// The writer's stderr is read only once it has exited.
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			t.Fatalf("writer: %v: %s", err, stderr.String())
		}
		require.Equal(t, "stalled\n", line)
	} else {
		<-stalled
	}
	return cmd
}

// kill -9 a process in the middle of Put or Create, on file:// (while
// the body streams in) and s3:// (while the upload is on the wire): the
// key holds nothing, or the object it held before, whole; List and Stat
// see no partial object; the key can be written again.
func TestKilledWriterPublishesNoPartialArtifact(t *testing.T) {
	if testing.Short() {
		t.Skip("runs writer processes and versitygw")
	}
	ctx := context.Background()
	srv := testenv.StartS3(t)
	for _, backend := range []string{"file", "s3"} {
		for _, op := range []string{"put", "put-over", "create"} {
			t.Run(backend+" "+op, func(t *testing.T) {
				location, endpoint, stalled := t.TempDir(), "", (<-chan struct{})(nil)
				if backend == "s3" {
					// The writer talks to S3 through a proxy that stops
					// forwarding halfway through the body.
					endpoint, stalled = stallingProxy(t, srv.Endpoint, crashSize/2)
					location = srv.URI(strings.ReplaceAll(t.Name(), " ", "-"))
				}
				s, err := artifact.Open(ctx, location)
				require.NoError(t, err)
				if op == "put-over" {
					_, err = artifact.PutBytes(ctx, s, crashKey, []byte(`{"v":1}`), "application/json")
					require.NoError(t, err)
				}
				writer := crashWriter(t, location, strings.TrimSuffix(op, "-over"), endpoint, stalled)
				require.NoError(t, writer.Process.Kill())
				_ = writer.Wait()

				keys, err := s.List(ctx, "")
				require.NoError(t, err)
				ref, ok, err := s.Stat(ctx, crashKey)
				require.NoError(t, err)
				if op == "put-over" {
					assert.Equal(t, []string{crashKey}, keys)
					require.True(t, ok)
					got, err := artifact.ReadAll(ctx, ref)
					require.NoError(t, err)
					assert.True(t, string(got) == `{"v":1}`, "the previous object, whole; got %d bytes", len(got))
				} else {
					assert.Empty(t, keys, "no partial object is listed")
					assert.False(t, ok, "no partial object is published: %v", ref)
					_, err = s.Get(ctx, crashKey)
					assert.ErrorIs(t, err, artifact.ErrNotFound)
				}
				if backend == "file" {
					// What the dead writer left is only a temp file, which
					// the sweep that workers and gateways run at start removes.
					assert.NotEmpty(t, tempFiles(t, location), "the killed writer died mid-write")
					n, err := artifact.SweepTemps(ctx, s, 0)
					require.NoError(t, err)
					assert.Positive(t, n)
					assert.Empty(t, tempFiles(t, location), "no temp file is left after the sweep")
					after, err := s.List(ctx, "")
					require.NoError(t, err)
					assert.Equal(t, keys, after, "the sweep removes no object")
				}
				_, err = s.Create(ctx, "models/m/next.json", strings.NewReader("{}"), "application/json")
				require.NoError(t, err, "the store still takes writes")
				if op == "create" {
					_, err = s.Create(ctx, crashKey, strings.NewReader(`{"v":2}`), "application/json")
					assert.NoError(t, err, "the killed create left the key free")
				}
			})
		}
	}
}

// stallingProxy forwards TCP to target until limit bytes of requests have
// passed, then holds every connection open without forwarding more, and
// closes stalled.
func stallingProxy(t *testing.T, target string, limit int64) (string, <-chan struct{}) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	stalled := make(chan struct{})
	var once sync.Once
	var mu sync.Mutex
	var sent int64
	addr := strings.TrimPrefix(target, "http://")
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", addr)
			if err != nil {
				_ = c.Close()
				continue
			}
			go func() { _, _ = io.Copy(c, u); _ = c.Close() }()
			go func() {
				defer u.Close()
				buf := make([]byte, 32<<10)
				for {
					n, err := c.Read(buf)
					mu.Lock()
					sent += int64(n)
					over := sent >= limit
					mu.Unlock()
					if over {
						once.Do(func() { close(stalled) })
						_, _ = io.Copy(io.Discard, c) // hold until the writer dies
						return
					}
					if _, werr := u.Write(buf[:n]); werr != nil || err != nil {
						return
					}
				}
			}()
		}
	}()
	return "http://" + ln.Addr().String(), stalled
}

// tempFiles lists the in-flight temp files under dir.
func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasPrefix(d.Name(), ".mlpipe-tmp-") {
			out = append(out, p)
		}
		return err
	})
	require.NoError(t, err)
	return out
}
