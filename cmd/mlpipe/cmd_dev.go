package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
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
	metricsAddr := fs.String("metrics-addr", "127.0.0.1:9101", "the workers' Temporal SDK metrics endpoint (empty: none)")
	alertsAddr := fs.String("alerts-addr", "127.0.0.1:9095", "mlpipe alerts receive: Alertmanager's webhook and the monitor's /metrics (empty: none)")
	promAddr := fs.String("prometheus-addr", "127.0.0.1:9090", "Prometheus' listen address (empty: no Prometheus or Alertmanager)")
	amAddr := fs.String("alertmanager-addr", "127.0.0.1:9093", "Alertmanager's listen address")
	alertsSpec := fs.String("alerts-spec", "", "the pipeline spec whose monitoring block gives the alert rules (default "+defaultAlertsSpec+" when it exists)")
	// A local stack answers in seconds rather than Prometheus' and
	// Alertmanager's production defaults (1m scrapes, 30s group wait).
	alertsInterval := fs.String("alerts-interval", "5s", "Prometheus' scrape and rule evaluation interval")
	groupWait := fs.String("group-wait", "5s", "Alertmanager's group_wait")
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
	// exited closes when the server has exited (exitErr says how), so the
	// start-up wait, the main loop and the deferred stop can all see it:
	// a value sent once could be taken by one and block the others.
	exited := make(chan struct{})
	var exitErr error
	started := make(chan error, 1)
	go func() {
		// Pdeathsig fires when the thread that started the server ends,
		// not the process. The Go runtime ends a thread whose goroutine
		// exits while locked to it (XGBoost trainings do, to drop its
		// per-thread state), so the server is started from a thread held
		// here until the server exits.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := srv.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		exitErr = srv.Wait()
		close(exited)
	}()
	if err := <-started; err != nil {
		return fmt.Errorf("start %s: %w", bin, err)
	}
	defer func() {
		_ = srv.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = srv.Process.Kill()
			<-exited
		}
		slog.Debug("temporal dev server stopped", "err", exitErr)
	}()

	var mh client.MetricsHandler
	if *metricsAddr != "" {
		// Metrics are an addition to the stack, never a reason for it not
		// to start (another `mlpipe dev` may hold the port).
		mctx, mcancel := context.WithCancel(ctx)
		defer mcancel() // the endpoint ends with dev, however dev ends
		if mh, *metricsAddr, err = workers.MetricsEndpoint(mctx, *metricsAddr, m.Logger); err != nil {
			m.Logger.Warn("the workers run without a metrics endpoint", "error", err)
			mh, *metricsAddr = nil, ""
		}
	}
	c, err := dialWhenUp(ctx, hostPort, exited, func() error { return exitErr }, m, mh)
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
	ui := "http://" + net.JoinHostPort(loopbackName(*ip), fmt.Sprint(*uiPort))
	select {
	case addr := <-ready:
		stopAlerting, extra := m.devAlerting(gctx, devAlertingOptions{
			Spec: *alertsSpec, Dir: filepath.Join(filepath.Dir(*db), "alerting"), PrometheusAddr: *promAddr,
			AlertmanagerAddr: *amAddr, ReceiverAddr: *alertsAddr, GatewayAddr: scrapeAddr(addr),
			WorkerMetrics: *metricsAddr, Interval: *alertsInterval, GroupWait: *groupWait, Client: c,
		})
		defer stopAlerting()
		fmt.Fprintf(m.Stdout, "mlpipe dev is up:\n  Temporal   %s\n  Web UI     %s\n  gateway    http://%s (admin token: MLPIPE_ADMIN_TOKEN=%s)\n%s  artifacts  %s\nCtrl-C stops everything.\n", hostPort, ui, addr, s.AdminToken, extra, s.Artifacts)
	case err := <-gwErr:
		return err
	}
	// `mlpipe run` in this folder links this Web UI, and only while this
	// server runs.
	if err := writeDevState(devState{Address: hostPort, UIURL: ui, PID: os.Getpid()}); err != nil {
		m.Logger.Warn("the Web UI address is not recorded; mlpipe run prints no Web UI link unless MLPIPE_UI_URL is set", "file", devStateFile, "error", err)
	} else {
		defer removeDevState()
	}
	select {
	case <-ctx.Done():
		return nil
	case <-exited:
		return fmt.Errorf("temporal dev server exited: %v (log: %s)", exitErr, logPath)
	case err := <-gwErr:
		return err
	}
}

// devAdminToken guards the local stack's gateway admin API when
// MLPIPE_ADMIN_TOKEN is not set.
const devAdminToken = "mlpipe-dev"

// dialWhenUp waits for the dev server to answer, or to die.
func dialWhenUp(ctx context.Context, hostPort string, exited <-chan struct{}, exitErr func() error, m *Main, mh client.MetricsHandler) (client.Client, error) {
	deadline := time.Now().Add(90 * time.Second)
	for {
		dctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		c, err := workers.DialMetrics(dctx, hostPort, m.Logger, mh)
		cancel()
		if err == nil {
			return c, nil
		}
		select {
		case <-exited:
			return nil, fmt.Errorf("temporal dev server exited during start-up: %v", exitErr())
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

// devStateFile is where `mlpipe dev` records the stack it runs, relative
// to the folder it runs in (beside .mlpipe/artifacts).
const devStateFile = ".mlpipe/dev.json"

// devState is what `mlpipe dev` records: the Temporal address it serves,
// its Web UI and its process, so a record left by a killed one is ignored.
type devState struct {
	Address string `json:"address"`
	UIURL   string `json:"ui_url"`
	PID     int    `json:"pid"`
}

func writeDevState(st devState) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(devStateFile), 0o755); err != nil {
		return err
	}
	tmp := devStateFile + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, devStateFile)
}

// removeDevState forgets this dev server's record when it stops; a record
// that is already gone needs no removing.
func removeDevState() {
	if b, err := os.ReadFile(devStateFile); err == nil {
		var st devState
		if json.Unmarshal(b, &st) == nil && st.PID == os.Getpid() {
			_ = os.Remove(devStateFile)
		}
	}
}

// EnvUIURL names the Temporal Web UI's base URL.
const EnvUIURL = "MLPIPE_UI_URL"

// webUIBase is the Web UI of the Temporal server the CLI talks to:
// MLPIPE_UI_URL when set, else the UI of the dev server `mlpipe dev` runs
// (from this folder) at exactly that address, else "": a server elsewhere
// may have its UI anywhere, or none, and no link beats a wrong one.
func webUIBase() string {
	if u := os.Getenv(EnvUIURL); u != "" {
		return strings.TrimRight(u, "/")
	}
	b, err := os.ReadFile(devStateFile)
	if err != nil {
		return ""
	}
	var st devState
	if json.Unmarshal(b, &st) != nil || st.UIURL == "" || !processAlive(st.PID) {
		return ""
	}
	if _, addr := temporalConnection(); !sameEndpoint(addr, st.Address) {
		return ""
	}
	return st.UIURL
}

// printWebUILink prints where a workflow is in the Web UI, when that is
// known.
func printWebUILink(w io.Writer, id string) {
	base := webUIBase()
	if base == "" {
		return
	}
	ns, _ := temporalConnection()
	fmt.Fprintf(w, "  Web UI: %s/namespaces/%s/workflows/%s\n", base, url.PathEscape(ns), url.PathEscape(id))
}

func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// sameEndpoint compares a client's host:port with the one a dev server
// listens on; localhost and the loopback and unspecified addresses are all
// this machine.
func sameEndpoint(client, server string) bool {
	ch, cp, err1 := net.SplitHostPort(client)
	sh, sp, err2 := net.SplitHostPort(server)
	if err1 != nil || err2 != nil || cp != sp {
		return false
	}
	return loopbackName(ch) == loopbackName(sh)
}

// loopbackName spells every name of this machine's loopback (and the
// unspecified address a server may listen on) as localhost.
func loopbackName(host string) string {
	switch host {
	case "", "localhost", "0.0.0.0", "::":
		return "localhost"
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return "localhost"
	}
	return host
}
