package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/alerting"
	"github.com/mlpipe/mlpipe/workflows"
)

// adAlertmanager runs Debian's Alertmanager with the config `mlpipe alerts
// render` would write for a model whose spec names webhook, notifying
// mlpipe's receiver at receiverURL. It returns Alertmanager's URL.
func adAlertmanager(t *testing.T, model, webhook, receiverURL string) string {
	t.Helper()
	bin := pmNeed(t, "prometheus-alertmanager")
	dir := t.TempDir()
	cfg, err := alerting.AlertmanagerConfig([]alerting.Model{{Name: model, Config: alerting.Config{Webhook: webhook, Alerts: []alerting.Rule{
		{Name: "ChurnDrift", Metric: "dataset_drift_share", Op: ">=", Threshold: 0.5},
	}}}}, receiverURL, alerting.Timing{GroupWait: "1s", GroupInterval: "1s", RepeatInterval: "1h"})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "alertmanager.yml"), cfg, 0o644))
	addr := pmFreeAddr(t)
	pmStart(t, bin, "--config.file="+filepath.Join(dir, "alertmanager.yml"), "--storage.path="+filepath.Join(dir, "am"),
		"--web.listen-address="+addr, "--cluster.listen-address=")
	u := "http://" + addr
	require.Eventually(t, func() bool { return pmGet(t, u+"/-/ready") != "" }, time.Minute, 200*time.Millisecond, "Alertmanager never became ready")
	return u
}

// A model's webhook that is down is retried by Alertmanager without
// holding up mlpipe's own receiver, and `mlpipe alerts status` says so:
// the webhook is DOWN, Alertmanager's failed attempts are counted, the
// alert is active, and a Prometheus that cannot be reached is named as
// such rather than failing the command.
func TestAdStatusReportsADownWebhookAndAnUnreachablePrometheus(t *testing.T) {
	s := startStack(t)
	model := "churn-classifier"
	recv := s.alReceiver(t)
	deadHook := "http://" + pmFreeAddr(t) + "/hook"
	am := adAlertmanager(t, model, deadHook, recv)
	deadProm := "http://" + pmFreeAddr(t)

	alert := []map[string]any{{
		"labels":      map[string]string{"alertname": "ChurnDrift", "model": model, "severity": "warning", "metric_group": "drift"},
		"annotations": map[string]string{"summary": "dataset_drift_share of churn-classifier is 0.8 (>= 0.5)"},
	}}
	body, err := json.Marshal(alert)
	require.NoError(t, err)
	resp, err := http.Post(am+"/api/v2/alerts", "application/json", bytes.NewReader(body))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	// mlpipe's receiver gets the alert although the webhook before it in
	// the route is down.
	require.Eventually(t, func() bool {
		out, code := s.mlpipe("alerts", "status", model, "-o", "json", "--prometheus", "", "--alertmanager", "")
		if code != 0 {
			return false
		}
		var st workflows.RetrainLoopStatus
		return json.Unmarshal([]byte(out), &st) == nil && len(st.Firing) == 1
	}, 2*time.Minute, 500*time.Millisecond, "the alert never reached the model's loop")

	var d deliveryStatus
	require.Eventually(t, func() bool {
		out, code := s.mlpipe("alerts", "status", model, "-o", "json", "--prometheus", deadProm, "--alertmanager", am)
		require.Equal(t, 0, code, out)
		var v struct {
			Delivery deliveryStatus `json:"delivery"`
		}
		require.NoError(t, json.Unmarshal([]byte(out), &v), out)
		d = v.Delivery
		for _, n := range d.Notifications {
			if n.Integration == "webhook" && n.FailedAttempts > 0 {
				return true
			}
		}
		return false
	}, 2*time.Minute, time.Second, "Alertmanager never counted a failed attempt")
	assert.False(t, d.Prometheus.Reachable)
	assert.True(t, d.Alertmanager.Reachable)
	require.Len(t, d.Webhooks, 1)
	assert.Equal(t, deadHook, d.Webhooks[0].URL)
	assert.False(t, d.Webhooks[0].Reachable)
	require.Len(t, d.Alerts, 1)
	assert.Equal(t, "ChurnDrift", d.Alerts[0].Name)
	assert.Equal(t, "active", d.Alerts[0].State)

	out, code := s.mlpipe("alerts", "status", model, "--prometheus", deadProm, "--alertmanager", am)
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, "firing  ChurnDrift")
	assert.Contains(t, out, "prometheus "+deadProm+": not reachable")
	assert.Contains(t, out, "alert rules are not evaluated")
	assert.Contains(t, out, "alertmanager "+am+": up")
	assert.Contains(t, out, "alert ChurnDrift: active")
	assert.Contains(t, out, "webhook "+deadHook+": DOWN")
	assert.Regexp(t, `notifications via webhook: \d+ sent, \d+ failed; \d+ attempts, [1-9]\d* failed`, out)

	// Alertmanager itself down: the status still answers, and says so.
	out, code = s.mlpipe("alerts", "status", model, "--prometheus", "", "--alertmanager", deadProm)
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, "alertmanager "+deadProm+": not reachable")
	assert.Contains(t, out, "alerts are not delivered")
}
