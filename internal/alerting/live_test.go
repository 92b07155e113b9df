package alerting_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/alerting"
)

// exporter serves the monitor's figures as a scrape target does; the test
// moves them.
type exporter struct {
	drift, schema atomic.Value // string
}

func (e *exporter) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	fmt.Fprintf(w, "mlpipe_monitor_drift_share{model=\"churn\",version=\"1\",variant=\"production\"} %s\n", e.drift.Load())
	fmt.Fprintf(w, "mlpipe_monitor_schema_violations{model=\"churn\",version=\"1\",variant=\"production\"} %s\n", e.schema.Load())
}

// recorder keeps what the receiver hands on, and the user's webhook.
type recorder struct {
	mu         sync.Mutex
	deliveries []alerting.Delivery
	hooks      []alerting.Notification
}

func (r *recorder) count(alert, status string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, d := range r.deliveries {
		if d.Alert.Labels["alertname"] == alert && d.Alert.Status == status {
			n++
		}
	}
	return n
}

type stackOpts struct {
	rules    alerting.Config
	interval string // scrape and evaluation
}

// liveStack runs Debian's prometheus and prometheus-alertmanager as plain
// processes on free ports with mlpipe's generated configs, scraping exp and
// notifying mlpipe's receiver (recording into rec).
func liveStack(t *testing.T, exp *exporter, rec *recorder, o stackOpts) {
	t.Helper()
	promBin, amBin := needTool(t, "prometheus"), needTool(t, "prometheus-alertmanager")
	dir := t.TempDir()
	target := httptest.NewServer(exp)
	t.Cleanup(target.Close)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n alerting.Notification
		b, _ := io.ReadAll(r.Body)
		if json.Unmarshal(b, &n) == nil {
			rec.mu.Lock()
			rec.hooks = append(rec.hooks, n)
			rec.mu.Unlock()
		}
	}))
	t.Cleanup(hook.Close)
	o.rules.Webhook = hook.URL + "/hook"
	recv := httptest.NewServer(alerting.Receiver(func(_ context.Context, d alerting.Delivery) error {
		rec.mu.Lock()
		rec.deliveries = append(rec.deliveries, d)
		rec.mu.Unlock()
		return nil
	}, slog.New(slog.NewTextHandler(io.Discard, nil))))
	t.Cleanup(recv.Close)

	models := []alerting.Model{{Name: "churn", Config: o.rules}}
	rules, err := alerting.RuleFile(models, "")
	require.NoError(t, err)
	rulePath := filepath.Join(dir, "rules.yml")
	require.NoError(t, os.WriteFile(rulePath, rules, 0o644))
	amAddr, promAddr := freeAddr(t), freeAddr(t)
	prom, err := alerting.PrometheusConfig(alerting.Targets{Gateways: []string{strings.TrimPrefix(target.URL, "http://")}},
		[]string{rulePath}, amAddr, o.interval)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "prometheus.yml"), prom, 0o644))
	am, err := alerting.AlertmanagerConfig(models, recv.URL+"/v1/alerts", alerting.Timing{GroupWait: "1s", GroupInterval: "1s", RepeatInterval: "1h"})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "alertmanager.yml"), am, 0o644))

	start(t, amBin, "--config.file="+filepath.Join(dir, "alertmanager.yml"), "--storage.path="+filepath.Join(dir, "am"),
		"--web.listen-address="+amAddr, "--cluster.listen-address=")
	start(t, promBin, "--config.file="+filepath.Join(dir, "prometheus.yml"), "--storage.tsdb.path="+filepath.Join(dir, "prom"),
		"--web.listen-address="+promAddr)
	for _, u := range []string{"http://" + amAddr + "/-/ready", "http://" + promAddr + "/-/ready"} {
		require.Eventually(t, func() bool {
			resp, err := http.Get(u)
			if err != nil {
				return false
			}
			resp.Body.Close()
			return resp.StatusCode == http.StatusOK
		}, time.Minute, 200*time.Millisecond, "%s never became ready", u)
	}
}

func start(t *testing.T, bin string, args ...string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var out strings.Builder
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

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().String()
}

// A drift figure that flaps across its threshold ten times gives one
// firing and one resolved notification, not ten of each: keep_firing_for
// holds the alert through the dips. The alert reaches mlpipe's receiver
// (with its action, cooldown and model) and the spec's webhook, in
// Alertmanager's JSON format.
func TestTenFlapsNotifyOnceOnRealPrometheusAndAlertmanager(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Prometheus and Alertmanager")
	}
	exp := &exporter{}
	exp.drift.Store("0.1")
	exp.schema.Store("0")
	rec := &recorder{}
	liveStack(t, exp, rec, stackOpts{interval: "1s", rules: alerting.Config{Cooldown: "24h", Alerts: []alerting.Rule{
		{Name: "ChurnDrift", Metric: "dataset_drift_share", Op: ">=", Threshold: 0.5, KeepFiringFor: "8s", Action: "retrain"},
	}}})

	// Ten flaps: 2 s above, 2 s below, shorter than keep_firing_for.
	for range 10 {
		exp.drift.Store("0.9")
		time.Sleep(2 * time.Second)
		exp.drift.Store("0.1")
		time.Sleep(2 * time.Second)
	}
	require.Eventually(t, func() bool { return rec.count("ChurnDrift", "resolved") >= 1 }, time.Minute, 200*time.Millisecond,
		"the alert resolves once the figure stays low past keep_firing_for")
	time.Sleep(3 * time.Second) // anything more would have come by now (group_interval 1s)
	assert.Equal(t, 1, rec.count("ChurnDrift", "firing"), "one firing notification for ten flaps")
	assert.Equal(t, 1, rec.count("ChurnDrift", "resolved"), "one resolve notification")

	rec.mu.Lock()
	defer rec.mu.Unlock()
	d := rec.deliveries[0]
	assert.Equal(t, "churn", d.Model)
	assert.Equal(t, 24*time.Hour, d.Cooldown)
	assert.Equal(t, "retrain", d.Alert.Labels["action"])
	assert.NotEmpty(t, d.Alert.Fingerprint)
	assert.Contains(t, d.Alert.Annotations["summary"], "dataset_drift_share of churn is 0.9")
	require.NotEmpty(t, rec.hooks, "the spec's webhook got the notifications too")
	assert.Equal(t, "4", rec.hooks[0].Version)
	assert.Equal(t, "firing", rec.hooks[0].Status)
	assert.Equal(t, "ChurnDrift", rec.hooks[0].Alerts[0].Labels["alertname"])
}

// A drift alert is inhibited while the data-quality alert of the same
// model fires: only the data-quality alert is delivered.
func TestADriftAlertIsInhibitedWhileDataQualityFires(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Prometheus and Alertmanager")
	}
	exp := &exporter{}
	exp.drift.Store("0.9")
	exp.schema.Store("12")
	rec := &recorder{}
	liveStack(t, exp, rec, stackOpts{interval: "1s", rules: alerting.Config{Alerts: []alerting.Rule{
		{Name: "ChurnSchema", Metric: "schema_violations", Op: ">", Threshold: 0, Severity: "critical", KeepFiringFor: "1s"},
		// Fires a little later, so the inhibiting alert is already there.
		{Name: "ChurnDrift", Metric: "dataset_drift_share", Op: ">=", Threshold: 0.5, For: "3s", Action: "retrain"},
	}}})
	require.Eventually(t, func() bool { return rec.count("ChurnSchema", "firing") >= 1 }, time.Minute, 200*time.Millisecond)
	time.Sleep(8 * time.Second) // the drift alert fires in Prometheus meanwhile
	assert.Zero(t, rec.count("ChurnDrift", "firing"), "drift measured on broken data is not sent")

	// Once the data is fixed, the drift alert goes through.
	exp.schema.Store("0")
	require.Eventually(t, func() bool { return rec.count("ChurnDrift", "firing") >= 1 }, time.Minute, 200*time.Millisecond,
		"the drift alert is delivered once the data-quality alert resolves")
}
