package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/config"
	"github.com/mlpipe/mlpipe/internal/registry"
)

// gwmSample is one series of a Prometheus instant query.
type gwmSample struct {
	Metric map[string]string `json:"metric"`
	Value  [2]any            `json:"value"`
}

func (s gwmSample) value(t *testing.T) float64 {
	t.Helper()
	str, ok := s.Value[1].(string)
	require.True(t, ok, "a sample value is a string: %v", s.Value)
	v, err := strconv.ParseFloat(str, 64)
	require.NoError(t, err)
	return v
}

// gwmQuery runs an instant query on Prometheus; nil while it has no
// answer.
func gwmQuery(t *testing.T, promAddr, q string) []gwmSample {
	t.Helper()
	body := pmGet(t, "http://"+promAddr+"/api/v1/query?query="+url.QueryEscape(q))
	if body == "" {
		return nil
	}
	var r struct {
		Status string `json:"status"`
		Data   struct {
			Result []gwmSample `json:"result"`
		} `json:"data"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &r), body)
	return r.Data.Result
}

// gwmServeImported imports an XGBoost churn model, promotes it, and runs
// the gateway (as `mlpipe serve` does, inference log on) until the test
// ends; it returns the gateway's address.
func gwmServeImported(t *testing.T) string {
	t.Helper()
	files := impTrain(t, false)
	impArtifacts(t)
	_, errOut, code := impRun(t, "models", "import", "churn", "--xgboost", files.model, "--transform", files.transform,
		"--as", "alice", "--positive", "yes")
	require.Equal(t, exitOK, code, errOut)
	ctx := context.Background()
	reg, err := registry.Open(ctx, os.Getenv("MLPIPE_ARTIFACTS"))
	require.NoError(t, err)
	require.NoError(t, reg.Promote(ctx, "churn", 1, registry.Actor("bob")))

	ctx, cancel := context.WithCancel(ctx)
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- runGateway(ctx, config.FromEnv(), "127.0.0.1:0", slog.New(slog.NewTextHandler(io.Discard, nil)), ready)
	}()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		require.NoError(t, err, "the gateway stopped before it listened")
	}
	t.Cleanup(func() {
		cancel()
		assert.NoError(t, <-done)
	})
	require.Eventually(t, func() bool {
		return strings.Contains(pmGet(t, "http://"+addr+"/v1/models"), `"churn"`)
	}, time.Minute, 50*time.Millisecond, "the gateway never loaded the imported model")
	return addr
}

// A real Prometheus scrapes the gateway's /metrics without errors and
// reads what a dashboard reads: requests by status, the latency
// histogram, the served version, and the Go runtime and process figures.
func TestGwmPrometheusScrapesTheGatewayMetrics(t *testing.T) {
	promBin := pmNeed(t, "prometheus")
	gw := gwmServeImported(t)

	const ok, bad = 5, 2
	for range ok {
		r := serveDoAt(t, "http://"+gw, "POST", "/v1/models/churn:predict", `{"instances": [{"x1": 0.3, "plan": "pro"}, {"x1": -1, "plan": "basic"}]}`)
		require.Equal(t, http.StatusOK, r.code, r.body)
	}
	for range bad {
		r := serveDoAt(t, "http://"+gw, "POST", "/v1/models/churn:predict", `{"instances": [{"x1": "high", "plan": "pro"}]}`)
		require.Equal(t, http.StatusBadRequest, r.code, r.body)
	}

	dir := t.TempDir()
	promAddr := pmFreeAddr(t)
	cfg := fmt.Sprintf("global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: gwm-gateway\n    static_configs:\n      - targets: [%q]\n", gw)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(cfg), 0o644))
	pmStart(t, promBin, "--config.file="+filepath.Join(dir, "prometheus.yml"), "--storage.tsdb.path="+filepath.Join(dir, "prom"),
		"--web.listen-address="+promAddr)

	var got []gwmSample
	require.Eventually(t, func() bool {
		got = gwmQuery(t, promAddr, `mlpipe_predict_requests_total{job="gwm-gateway",model="churn",code="200"}`)
		return len(got) == 1 && got[0].value(t) == ok
	}, time.Minute, 250*time.Millisecond, "Prometheus never read the 200s: %v", got)
	assert.Equal(t, map[string]string{"__name__": "mlpipe_predict_requests_total", "job": "gwm-gateway", "instance": gw,
		"model": "churn", "version": "1", "variant": "production", "code": "200"}, got[0].Metric)

	got = gwmQuery(t, promAddr, `mlpipe_predict_requests_total{job="gwm-gateway",code="400"}`)
	require.Len(t, got, 1)
	assert.Equal(t, float64(bad), got[0].value(t))
	got = gwmQuery(t, promAddr, `mlpipe_predict_rows_total{job="gwm-gateway",variant="production"}`)
	require.Len(t, got, 1)
	assert.Equal(t, float64(2*ok), got[0].value(t))
	got = gwmQuery(t, promAddr, `mlpipe_predict_latency_seconds_count{job="gwm-gateway",version="1"}`)
	require.Len(t, got, 1)
	assert.Equal(t, float64(ok+bad), got[0].value(t))
	got = gwmQuery(t, promAddr, `histogram_quantile(0.99, mlpipe_predict_latency_seconds_bucket{job="gwm-gateway"})`)
	require.Len(t, got, 1)
	assert.Greater(t, got[0].value(t), 0.0, "the histogram's buckets make a quantile")
	got = gwmQuery(t, promAddr, `mlpipe_model_version{job="gwm-gateway",model="churn"}`)
	require.Len(t, got, 1)
	assert.Equal(t, 1.0, got[0].value(t))
	for _, name := range []string{"go_goroutines", "process_resident_memory_bytes", "process_cpu_seconds_total", "mlpipe_inference_log_pending_rows"} {
		got = gwmQuery(t, promAddr, name+`{job="gwm-gateway"}`)
		if assert.Len(t, got, 1, name) && name != "mlpipe_inference_log_pending_rows" {
			assert.Greater(t, got[0].value(t), 0.0, name)
		}
	}

	// The scrape itself is healthy: no parse or consistency errors.
	var targets struct {
		Data struct {
			ActiveTargets []struct {
				Health    string `json:"health"`
				LastError string `json:"lastError"`
			} `json:"activeTargets"`
		} `json:"data"`
	}
	require.NoError(t, json.Unmarshal([]byte(pmGet(t, "http://"+promAddr+"/api/v1/targets")), &targets))
	require.Len(t, targets.Data.ActiveTargets, 1)
	assert.Equal(t, "up", targets.Data.ActiveTargets[0].Health)
	assert.Empty(t, targets.Data.ActiveTargets[0].LastError)
}
