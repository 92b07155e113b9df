package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/mlpipe/mlpipe/internal/config"
	"github.com/mlpipe/mlpipe/workers"
	"github.com/mlpipe/mlpipe/workflows"
)

// dev runs the whole local stack in one process tree: a Temporal dev server
// (Web UI included, SQLite under .mlpipe/), the CPU and GPU workers and the
// gateway. Ctrl-C stops all of it.
func (m *Main) dev(ctx context.Context, args []string) error {
	s := config.FromEnv()
	if s.AdminToken == "" {
		// The local stack's gateway admin API needs a token too; workers in
		// this process and CLI calls from this shell read it from here.
		s.AdminToken = devAdminToken
		if err := os.Setenv("MLPIPE_ADMIN_TOKEN", devAdminToken); err != nil {
			return err
		}
	}
	fs := newFlags("dev")
	ip := fs.String("ip", "127.0.0.1", "Temporal frontend address")
	port := fs.Int("port", 7233, "Temporal frontend port")
	uiPort := fs.Int("ui-port", 8233, "Temporal Web UI port")
	db := fs.String("db", ".mlpipe/temporal.db", "dev server SQLite file (kept across restarts)")
	cli := fs.String("temporal", "", "Temporal CLI binary (default: beside mlpipe, then PATH)")
	gwAddr := fs.String("gateway-addr", s.GatewayAddr, "gateway listen address")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	bin, err := findTemporalCLI(*cli)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(*db), 0o755); err != nil {
		return err
	}
	hostPort := net.JoinHostPort(*ip, fmt.Sprint(*port))
	if conn, err := net.DialTimeout("tcp", hostPort, 300*time.Millisecond); err == nil {
		conn.Close()
		return fmt.Errorf("something already listens on %s: stop it (another `mlpipe dev`?) or pass --port", hostPort)
	}
	logPath := filepath.Join(filepath.Dir(*db), "temporal.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer logFile.Close()
	srvArgs := []string{"server", "start-dev", "--ip", *ip, "--port", fmt.Sprint(*port), "--ui-port", fmt.Sprint(*uiPort),
		"--db-filename", *db, "--namespace", client.DefaultNamespace, "--log-level", "warn"}
	for _, k := range workflows.SearchAttributes {
		srvArgs = append(srvArgs, "--search-attribute", k.GetName()+"=Keyword")
	}
	srv := exec.Command(bin, srvArgs...)
	srv.Stdout, srv.Stderr = logFile, logFile
	// The server dies with us, even if we are killed outright.
	srv.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := srv.Start(); err != nil {
		return fmt.Errorf("start %s: %w", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- srv.Wait() }()
	defer func() {
		_ = srv.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = srv.Process.Kill()
			<-exited
		}
	}()

	c, err := dialWhenUp(ctx, hostPort, exited, m)
	if err != nil {
		return fmt.Errorf("%w (server log: %s)", err, logPath)
	}
	defer c.Close()
	acts, err := newActivities(ctx, s)
	if err != nil {
		return err
	}
	stop, err := startWorkers(ctx, c, acts, []string{"cpu", "gpu"}, workers.GPUOptions{Prefetch: workers.PrefetchPerSlot}, m.Logger)
	if err != nil {
		return err
	}
	defer stop()
	gctx, cancel := context.WithCancel(ctx)
	defer cancel()
	gwErr := make(chan error, 1)
	ready := make(chan string, 1)
	go func() { gwErr <- runGateway(gctx, s, *gwAddr, m.Logger, ready) }()
	select {
	case addr := <-ready:
		fmt.Fprintf(m.Stdout, "mlpipe dev is up:\n  Temporal   %s\n  Web UI     http://localhost:%d\n  gateway    http://%s (admin token: MLPIPE_ADMIN_TOKEN=%s)\n  artifacts  %s\nCtrl-C stops everything.\n", hostPort, *uiPort, addr, s.AdminToken, s.Artifacts)
	case err := <-gwErr:
		return err
	}
	select {
	case <-ctx.Done():
		return nil
	case err := <-exited:
		return fmt.Errorf("temporal dev server exited: %v (log: %s)", err, logPath)
	case err := <-gwErr:
		return err
	}
}

// devAdminToken guards the local stack's gateway admin API when
// MLPIPE_ADMIN_TOKEN is not set.
const devAdminToken = "mlpipe-dev"

// dialWhenUp waits for the dev server to answer, or to die.
func dialWhenUp(ctx context.Context, hostPort string, exited <-chan error, m *Main) (client.Client, error) {
	deadline := time.Now().Add(90 * time.Second)
	for {
		dctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		c, err := workers.Dial(dctx, hostPort, m.Logger)
		cancel()
		if err == nil {
			return c, nil
		}
		select {
		case err := <-exited:
			return nil, fmt.Errorf("temporal dev server exited during start-up: %v", err)
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return nil, errors.New("temporal dev server did not answer within 90s")
		}
	}
}

// findTemporalCLI finds the Temporal CLI: an explicit path, MLPIPE_TEMPORAL,
// the binary beside mlpipe (make puts both in bin/), then PATH.
func findTemporalCLI(explicit string) (string, error) {
	if explicit == "" {
		explicit = os.Getenv("MLPIPE_TEMPORAL")
	}
	if explicit != "" {
		if _, err := os.Stat(explicit); err != nil {
			return "", fmt.Errorf("temporal CLI %s: %w", explicit, err)
		}
		return explicit, nil
	}
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), "temporal")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	if p, err := exec.LookPath("temporal"); err == nil {
		return p, nil
	}
	return "", errors.New("the Temporal CLI was not found: run `make tools` (it installs bin/temporal) or set MLPIPE_TEMPORAL")
}
