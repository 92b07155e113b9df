package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/mlpipe/mlpipe/internal/alerting"
	"github.com/mlpipe/mlpipe/internal/promexport"
)

// devAlertingOptions are `mlpipe dev`'s settings for Prometheus and
// Alertmanager.
type devAlertingOptions struct {
	Spec             string // the spec whose monitoring block gives the rules; "" for none
	Dir              string // where the configs, data and logs go
	PrometheusAddr   string
	AlertmanagerAddr string
	ReceiverAddr     string // mlpipe alerts receive: webhook and the monitor's /metrics
	GatewayAddr      string
	WorkerMetrics    string
	Interval         string // scrape and rule evaluation
	GroupWait        string
	Client           client.Client // the dev server's, for the alerting endpoint
}

// defaultAlertsSpec is the example whose rules `mlpipe dev` loads when
// --alerts-spec is not given and the file is there.
const defaultAlertsSpec = "dev/examples/churn/pipeline.yaml"

// devProcess is a child of `mlpipe dev` that dies with it.
type devProcess struct {
	name   string
	cmd    *exec.Cmd
	exited chan struct{}
}

// startDevProcess starts bin with its output in logPath. Like the
// Temporal dev server, it is started from a locked thread so that
// Pdeathsig (which fires when that thread ends) stops it only when this
// process dies.
func startDevProcess(name, bin, logPath string, args ...string) (*devProcess, error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("%s log: %w", name, err)
	}
	p := &devProcess{name: name, cmd: exec.Command(bin, args...), exited: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = logFile, logFile
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		defer logFile.Close()
		if err := p.cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		_ = p.cmd.Wait() // how it ended is in its log
		close(p.exited)
	}()
	if err := <-started; err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	return p, nil
}

// stop asks the process to end, then kills it after 10 s.
func (p *devProcess) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

// startDevAlerting renders the configs and starts Prometheus and
// Alertmanager when both are installed. What it cannot start it says, and
// `mlpipe dev` runs on without it: alerts are an addition to the stack,
// never a reason for it not to start. It returns the stop function and the
// two UIs' URLs ("" when not started).
func startDevAlerting(ctx context.Context, o devAlertingOptions, log *slog.Logger) (stop func(), promURL, amURL string) {
	stop = func() {}
	promBin, err1 := exec.LookPath("prometheus")
	amBin, err2 := exec.LookPath("prometheus-alertmanager")
	if err2 != nil {
		amBin, err2 = exec.LookPath("alertmanager")
	}
	if err1 != nil || err2 != nil {
		log.Warn("Prometheus and Alertmanager are not installed (`make deps` installs Debian's prometheus and prometheus-alertmanager); running without them")
		return stop, "", ""
	}
	for _, d := range []struct{ flag, v string }{{"alerts-interval", o.Interval}, {"group-wait", o.GroupWait}} {
		if _, err := alerting.ParseDuration(d.v); err != nil {
			log.Warn("running without Prometheus and Alertmanager", "flag", "--"+d.flag, "error", err)
			return stop, "", ""
		}
	}
	var models []alerting.Model
	if o.Spec != "" {
		m, err := alertSpec(o.Spec)
		if err != nil {
			log.Warn("alert rules not loaded; Prometheus runs without them", "spec", o.Spec, "error", err)
		} else if len(m.Config.Alerts) > 0 {
			models = []alerting.Model{m}
		}
	}
	targets := scrapeTargets{Gateways: []string{o.GatewayAddr}, Exporters: []string{o.ReceiverAddr}}
	if o.WorkerMetrics != "" {
		targets.Workers = []string{o.WorkerMetrics}
	}
	timing := alerting.Timing{GroupWait: o.GroupWait}
	if err := renderAlerting(o.Dir, models, targets, o.AlertmanagerAddr, "http://"+o.ReceiverAddr+"/v1/alerts", o.Interval, timing); err != nil {
		log.Warn("Prometheus and Alertmanager configs not rendered; running without them", "dir", o.Dir, "error", err)
		return stop, "", ""
	}
	for _, addr := range []string{o.PrometheusAddr, o.AlertmanagerAddr} {
		if conn, err := net.DialTimeout("tcp", addr, 300*time.Millisecond); err == nil {
			conn.Close()
			log.Warn("something already listens there; running without Prometheus and Alertmanager", "addr", addr)
			return stop, "", ""
		}
	}
	am, err := startDevProcess("alertmanager", amBin, filepath.Join(o.Dir, "alertmanager.log"),
		"--config.file="+filepath.Join(o.Dir, "alertmanager.yml"), "--storage.path="+filepath.Join(o.Dir, "alertmanager-data"),
		"--web.listen-address="+o.AlertmanagerAddr, "--cluster.listen-address=")
	if err != nil {
		log.Warn("Alertmanager did not start; running without it and Prometheus", "error", err)
		return stop, "", ""
	}
	prom, err := startDevProcess("prometheus", promBin, filepath.Join(o.Dir, "prometheus.log"),
		"--config.file="+filepath.Join(o.Dir, "prometheus.yml"), "--storage.tsdb.path="+filepath.Join(o.Dir, "prometheus-data"),
		"--web.listen-address="+o.PrometheusAddr)
	if err != nil {
		am.stop()
		log.Warn("Prometheus did not start; running without it and Alertmanager", "error", err)
		return stop, "", ""
	}
	stop = func() { prom.stop(); am.stop() }
	promURL, amURL = "http://"+o.PrometheusAddr, "http://"+o.AlertmanagerAddr
	for _, p := range []struct {
		proc *devProcess
		url  string
	}{{am, amURL}, {prom, promURL}} {
		if err := waitReady(ctx, p.url+"/-/ready", p.proc.exited); err != nil {
			log.Warn(p.proc.name+" is not ready; see its log", "error", err, "log", filepath.Join(o.Dir, p.proc.name+".log"))
		}
	}
	return stop, promURL, amURL
}

// waitReady polls a readiness URL until it answers 200, the process exits
// or a minute passes.
func waitReady(ctx context.Context, u string, exited <-chan struct{}) error {
	hc := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(time.Minute)
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return err
		}
		if resp, err := hc.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-exited:
			return errors.New("it exited during start-up")
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(300 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not answer 200 within a minute", u)
		}
	}
}

// devAlerting starts the alerting endpoint (`mlpipe alerts receive`) and,
// when they are installed, Prometheus and Alertmanager. It returns their
// stop function and the lines `mlpipe dev is up` prints for them.
func (m *Main) devAlerting(ctx context.Context, o devAlertingOptions) (func(), string) {
	var lines string
	if o.WorkerMetrics != "" {
		lines += fmt.Sprintf("  workers    http://%s/metrics\n", o.WorkerMetrics)
	}
	if o.ReceiverAddr == "" {
		return func() {}, lines
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := m.serveAlerts(rctx, o.Client, o.ReceiverAddr, promexport.DefaultCacheFor); err != nil && rctx.Err() == nil {
			m.Logger.Error("the alerting endpoint stopped", "addr", o.ReceiverAddr, "error", err)
		}
	}()
	stopReceiver := func() { cancel(); <-done }
	lines += fmt.Sprintf("  alerts     http://%s/v1/alerts (monitor metrics: http://%s/metrics)\n", o.ReceiverAddr, o.ReceiverAddr)
	if o.PrometheusAddr == "" {
		return stopReceiver, lines
	}
	if o.Spec == "" {
		if _, err := os.Stat(defaultAlertsSpec); err == nil {
			o.Spec = defaultAlertsSpec
		}
	}
	stop, promURL, amURL := startDevAlerting(ctx, o, m.Logger)
	if promURL != "" {
		lines += fmt.Sprintf("  Prometheus %s\n  Alertmanager %s\n", promURL, amURL)
		if o.Spec != "" {
			lines += fmt.Sprintf("  alert rules from %s (configs in %s)\n", o.Spec, o.Dir)
		}
	} else {
		lines += "  Prometheus and Alertmanager: not running (see the log above)\n"
	}
	return func() { stop(); stopReceiver() }, lines
}

// scrapeAddr is a listen address as a scrape target: an unspecified host
// (":8080", "[::]:8080") is this machine's loopback.
func scrapeAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}
