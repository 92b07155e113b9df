package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/testenv"
	"github.com/mlpipe/mlpipe/workflows"
)

// pmFreeAddr is a loopback address nothing listens on.
func pmFreeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().String()
}

// pmGet fetches a URL's body, "" while nothing answers 200.
func pmGet(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return ""
	}
	return string(b)
}

// pmSample finds one sample of an exposition: the series' name with the
// given labels (in any order, among others). ok is false when absent.
func pmSample(body, name string, labels map[string]string) (float64, bool) {
	for _, line := range strings.Split(body, "\n") {
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		match := true
		for k, v := range labels {
			match = match && strings.Contains(line, fmt.Sprintf("%s=%q", k, v))
		}
		if !match {
			continue
		}
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err == nil {
			return v, true
		}
	}
	return 0, false
}

// pmStartWorker runs `mlpipe worker --queue cpu --metrics-addr ADDR`
// in-process until the test ends.
func (s *stack) pmStartWorker(t *testing.T, metricsAddr string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var out syncBuffer
	go func() {
		m := &Main{Stdout: &out, Stderr: &out, Logger: slog.New(slog.NewTextHandler(&out, nil))}
		done <- m.Run(ctx, []string{"worker", "--queue", "cpu", "--metrics-addr", metricsAddr})
	}()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("mlpipe worker exited %d: %s", code, out.String())
		}
	})
}

// pmStart starts a Prometheus or Alertmanager process that dies with the
// test (and with this process).
func pmStart(t *testing.T, bin string, args ...string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("%s:\n%s", filepath.Base(bin), out.String())
		}
	})
}

func pmNeed(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s is not installed (make deps installs it)", name)
	}
	return p
}

// pmSpec writes the example spec with its drift rule's `for` shortened
// to a second.
func (s *stack) pmSpec(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(s.specDir, "pipeline.yaml"))
	require.NoError(t, err)
	rule := regexp.MustCompile(`(?s)(\nmonitoring:\n.*?for: )\w+`)
	require.Regexp(t, rule, string(b), "the example spec has a monitoring block with a for")
	b = rule.ReplaceAll(b, []byte("${1}1s"))
	p := filepath.Join(s.specDir, "pipeline-alerts.yaml")
	require.NoError(t, os.WriteFile(p, b, 0o644))
	return p
}

// A worker's /metrics shows the Temporal SDK's own series, and the
// alerting endpoint's /metrics shows the monitor's latest window. On real
// Prometheus and Alertmanager, a drifted window fires the spec's drift
// rule, Alertmanager notifies `mlpipe alerts receive`, and the model's
// loop starts exactly one retraining, which waits at the approval gate.
func TestPmDriftedWindowFiresThroughPrometheusAndAlertmanagerAndRetrainsOnce(t *testing.T) {
	promBin, amBin := pmNeed(t, "prometheus"), pmNeed(t, "prometheus-alertmanager")
	s := startStackWithout(t, "cpu")
	workerAddr := pmFreeAddr(t)
	s.pmStartWorker(t, workerAddr)
	s.deployFirstVersion(t)

	// The SDK's worker metrics: the first version's pipeline ran its
	// workflow and its activities on this worker.
	var body string
	require.Eventually(t, func() bool {
		body = pmGet(t, "http://"+workerAddr+"/metrics")
		_, ok := pmSample(body, "temporal_workflow_completed", map[string]string{"workflow_type": "TrainingPipeline"})
		return ok
	}, time.Minute, 200*time.Millisecond, "the worker's /metrics never counted the completed pipeline:\n%s", body)
	v, ok := pmSample(body, "temporal_activity_schedule_to_start_latency_count", map[string]string{"task_queue": workflows.TaskQueueCPU})
	assert.True(t, ok && v > 0, "schedule-to-start of the CPU queue's activities: %v %v", v, ok)
	_, ok = pmSample(body, "temporal_worker_task_slots_available", nil)
	assert.True(t, ok, "slots")
	_, ok = pmSample(body, "go_goroutines", nil)
	assert.True(t, ok, "Go runtime metrics")
	_, ok = pmSample(body, "process_resident_memory_bytes", nil)
	assert.True(t, ok, "process metrics")

	// The alerting endpoint before any window: no figures, no fake zeros.
	hook := s.alReceiver(t)
	exporter := strings.TrimSuffix(strings.TrimPrefix(hook, "http://"), "/v1/alerts")
	body = pmGet(t, "http://"+exporter+"/metrics")
	up, ok := pmSample(body, "mlpipe_monitor_snapshots_up", nil)
	require.True(t, ok, body)
	assert.Equal(t, 1.0, up)
	_, ok = pmSample(body, "mlpipe_monitor_drift_share", nil)
	assert.False(t, ok, "no window analysed, no drift share:\n%s", body)

	// The demo's drifted window, analysed by the real monitor: it must
	// reach the example rule's threshold (0.3).
	out, code := s.mlpipe("monitor", "start", monModel, "--every", "24h")
	require.Equal(t, 0, code, out)
	s.monSendTraffic(t, 1000, "mean_shift:1:monthly_charges", "new_category:0.3:plan")
	out, snap := s.monRun(t)
	share := snap.Drift.Dataset.Share
	require.GreaterOrEqual(t, share, 0.3, "the window drifted enough to fire the example's rule: %s", out)

	labels := map[string]string{"model": monModel, "version": "1", "variant": "production"}
	require.Eventually(t, func() bool {
		body = pmGet(t, "http://"+exporter+"/metrics")
		v, ok := pmSample(body, "mlpipe_monitor_drift_share", labels)
		return ok && v == share
	}, 30*time.Second, 200*time.Millisecond, "/metrics never showed the window's drift share %g:\n%s", share, body)
	v, ok = pmSample(body, "mlpipe_monitor_feature_drift", map[string]string{"model": monModel, "feature": "monthly_charges"})
	assert.True(t, ok && v == 1, "monthly_charges drifted: %v %v", v, ok)
	_, ok = pmSample(body, "mlpipe_monitor_estimated_f1", labels)
	assert.True(t, ok, "the label-free estimate")
	_, ok = pmSample(body, "mlpipe_monitor_window_end_timestamp_seconds", map[string]string{"model": monModel})
	assert.True(t, ok)

	// Real Prometheus and Alertmanager, configured by `mlpipe alerts
	// render` from the spec's monitoring block.
	dir := filepath.Join(s.tmp, "alerting")
	promAddr, amAddr := pmFreeAddr(t), pmFreeAddr(t)
	out, code = s.mlpipe("alerts", "render", "-f", s.pmSpec(t), "--out", dir,
		"--gateway", strings.TrimPrefix(s.gateway, "http://"), "--worker", workerAddr, "--exporter", exporter,
		"--alertmanager", amAddr, "--receiver", hook, "--interval", "1s",
		"--group-wait", "1s", "--group-interval", "1s", "--repeat-interval", "1h")
	require.Equal(t, 0, code, out)
	pmStart(t, amBin, "--config.file="+filepath.Join(dir, "alertmanager.yml"), "--storage.path="+filepath.Join(dir, "am"),
		"--web.listen-address="+amAddr, "--cluster.listen-address=")
	pmStart(t, promBin, "--config.file="+filepath.Join(dir, "prometheus.yml"), "--storage.tsdb.path="+filepath.Join(dir, "prom"),
		"--web.listen-address="+promAddr)

	// Prometheus scrapes all three jobs.
	require.Eventually(t, func() bool {
		b := pmGet(t, "http://"+promAddr+"/api/v1/query?query=up")
		return strings.Count(b, `"value":[`) == 3 && !strings.Contains(b, `"0"]`)
	}, time.Minute, 250*time.Millisecond, "Prometheus never scraped the gateway, the worker and the alerting endpoint")

	// The alert fires in Alertmanager.
	require.Eventually(t, func() bool {
		b := pmGet(t, "http://"+amAddr+"/api/v2/alerts?active=true")
		return strings.Contains(b, `"alertname":"ChurnDrift"`)
	}, time.Minute, 250*time.Millisecond, "Alertmanager never held the ChurnDrift alert")

	// The loop started exactly one retraining, waiting at the gate.
	var st workflows.RetrainLoopStatus
	require.Eventually(t, func() bool {
		out, code := s.mlpipe("alerts", "status", monModel, "-o", "json")
		return code == 0 && json.Unmarshal([]byte(out), &st) == nil && len(st.Retrainings) > 0
	}, time.Minute, 250*time.Millisecond, "the alert never reached the retraining loop")
	require.Len(t, st.Retrainings, 1)
	id := st.Retrainings[0].WorkflowID
	s.waitForState(id, workflows.StateWaiting)
	ids := s.alTrainingPipelines(t)
	assert.ElementsMatch(t, []string{"churn-v1", id}, ids, "one retraining besides the first version")
	out, code = s.mlpipe("alerts", "status", monModel)
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, "firing  ChurnDrift")
	assert.Contains(t, out, "retrain "+id)
}

// `mlpipe alerts render` refuses bad timing flags, naming the flag.
func TestPmRenderRefusesBadTiming(t *testing.T) {
	spec := filepath.Join(testenv.ModuleRoot(t), "dev/examples/churn/pipeline.yaml")
	for flag, want := range map[string]string{
		"--group-wait":      "--group-wait: \"soon\" is not a positive duration",
		"--repeat-interval": "--repeat-interval: \"soon\" is not a positive duration",
		"--interval":        "--interval: \"soon\" is not a positive duration",
	} {
		var out bytes.Buffer
		m := &Main{Stdout: &out, Stderr: &out, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
		code := m.Run(context.Background(), []string{"alerts", "render", "-f", spec, "--out", t.TempDir(), flag, "soon"})
		assert.Equal(t, exitUsage, code, out.String())
		assert.Contains(t, out.String(), want)
	}
}

// pmDev runs `mlpipe dev` in-process on free ports with extra flags and
// returns its output once it is up, and a function that stops it and
// returns its exit status.
func pmDev(t *testing.T, extra ...string) (*syncBuffer, func() int) {
	t.Helper()
	dir, port, uiPort := devTestEnv(t)
	var out syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		m := &Main{Stdout: &out, Stderr: &out, Logger: slog.New(slog.NewTextHandler(&out, nil))}
		done <- m.Run(ctx, append([]string{"dev", "--port", strconv.Itoa(port), "--ui-port", strconv.Itoa(uiPort),
			"--db", filepath.Join(dir, ".mlpipe/temporal.db"), "--gateway-addr", "127.0.0.1:0"}, extra...))
	}()
	stopped := false
	var code int
	stop := func() int {
		if !stopped {
			stopped = true
			cancel()
			code = <-done
		}
		return code
	}
	t.Cleanup(func() { stop() })
	require.Eventually(t, func() bool { return strings.Contains(out.String(), "mlpipe dev is up") }, 2*time.Minute, 100*time.Millisecond, "%s", &out)
	return &out, stop
}

// `mlpipe dev` runs Prometheus and Alertmanager with configs rendered
// from the spec's monitoring block: Prometheus scrapes the gateway, the
// workers' metrics and the alerting endpoint, and holds the spec's rule;
// `mlpipe dev` prints both URLs and stops both when it stops.
func TestPmDevRunsPrometheusAndAlertmanager(t *testing.T) {
	pmNeed(t, "prometheus")
	pmNeed(t, "prometheus-alertmanager")
	spec := filepath.Join(testenv.ModuleRoot(t), "dev/examples/churn/pipeline.yaml")
	promAddr, amAddr, alertsAddr, metricsAddr := pmFreeAddr(t), pmFreeAddr(t), pmFreeAddr(t), pmFreeAddr(t)
	out, stop := pmDev(t, "--prometheus-addr", promAddr, "--alertmanager-addr", amAddr, "--alerts-addr", alertsAddr,
		"--metrics-addr", metricsAddr, "--alerts-spec", spec, "--alerts-interval", "1s")
	assert.Contains(t, out.String(), "Prometheus http://"+promAddr)
	assert.Contains(t, out.String(), "Alertmanager http://"+amAddr)
	assert.Contains(t, out.String(), "alerts     http://"+alertsAddr+"/v1/alerts")
	assert.Contains(t, out.String(), "workers    http://"+metricsAddr+"/metrics")

	var body string
	require.Eventually(t, func() bool {
		body = pmGet(t, "http://"+promAddr+"/api/v1/query?query=up")
		return strings.Count(body, `"value":[`) == 3 && !strings.Contains(body, `"0"]`)
	}, time.Minute, 250*time.Millisecond, "Prometheus never scraped the three targets up: %s", body)
	for _, job := range []string{"mlpipe-gateway", "mlpipe-worker", exporterJob} {
		assert.Contains(t, body, `"job":"`+job+`"`)
	}
	rules := pmGet(t, "http://"+promAddr+"/api/v1/rules")
	assert.Contains(t, rules, `"name":"ChurnDrift"`, "the example spec's drift rule")
	assert.Contains(t, rules, `"action":"retrain"`)
	require.NotEmpty(t, pmGet(t, "http://"+amAddr+"/-/ready"), "Alertmanager answers")

	assert.Equal(t, 0, stop())
	for _, addr := range []string{promAddr, amAddr, alertsAddr, metricsAddr} {
		_, err := net.DialTimeout("tcp", addr, time.Second)
		assert.Error(t, err, "%s still listens after mlpipe dev stopped", addr)
	}
}

// Without the Prometheus and Alertmanager binaries, `mlpipe dev` says so
// and runs the rest of the stack.
func TestPmDevRunsWithoutPrometheus(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	out, stop := pmDev(t, "--prometheus-addr", pmFreeAddr(t), "--alerts-addr", pmFreeAddr(t), "--metrics-addr", pmFreeAddr(t))
	assert.Contains(t, out.String(), "Prometheus and Alertmanager: not running")
	assert.Contains(t, out.String(), "make deps")
	assert.Equal(t, 0, stop())
}
