package serving_test

import (
	"context"
	"math"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/routing"
)

// gwmScrape fetches /metrics and parses it as Prometheus does.
func gwmScrape(t *testing.T, f *fixture) map[string]*dto.MetricFamily {
	t.Helper()
	r := f.do(t, "GET", "/metrics", "")
	require.Equal(t, http.StatusOK, r.code, r.body)
	require.True(t, strings.HasPrefix(r.header.Get("Content-Type"), "text/plain; version=0.0.4"), r.header.Get("Content-Type"))
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(r.body))
	require.NoError(t, err, r.body)
	problems, err := promlint.New(strings.NewReader(r.body)).Lint()
	require.NoError(t, err)
	assert.Empty(t, problems, "promlint")
	return fams
}

// gwmLabels is a series' labels as a map.
func gwmLabels(m *dto.Metric) map[string]string {
	out := map[string]string{}
	for _, l := range m.GetLabel() {
		out[l.GetName()] = l.GetValue()
	}
	return out
}

// gwmFind is the series of a family whose labels include want.
func gwmFind(fams map[string]*dto.MetricFamily, name string, want map[string]string) *dto.Metric {
	for _, m := range fams[name].GetMetric() {
		have := gwmLabels(m)
		match := true
		for k, v := range want {
			match = match && have[k] == v
		}
		if match {
			return m
		}
	}
	return nil
}

// /metrics is a valid exposition that Prometheus's own parser reads: every
// gateway family with its type and labels, the inference log's counters,
// and the Go runtime and process figures the monitor reads.
func TestMetricsParseAsPrometheusExpositionWithRuntimeAndProcess(t *testing.T) {
	f, _ := newLoggingFixture(t, "gw-m")
	require.Equal(t, http.StatusOK, f.do(t, "POST", "/v1/models/churn:predict", twoRows).code)
	require.Equal(t, http.StatusBadRequest, f.do(t, "POST", "/v1/models/churn:predict", `{`).code)
	require.Equal(t, http.StatusNotFound, f.do(t, "POST", "/v1/models/nope:predict", twoRows).code)
	f.route(t, routing.Routing{Candidate: 2, Mode: routing.ModeCanary, Weight: 25})

	fams := gwmScrape(t, f)
	types := map[string]dto.MetricType{
		"mlpipe_predict_requests_total":            dto.MetricType_COUNTER,
		"mlpipe_predict_rows_total":                dto.MetricType_COUNTER,
		"mlpipe_predict_latency_seconds":           dto.MetricType_HISTOGRAM,
		"mlpipe_feedback_total":                    dto.MetricType_COUNTER,
		"mlpipe_feedback_correct_total":            dto.MetricType_COUNTER,
		"mlpipe_model_version":                     dto.MetricType_GAUGE,
		"mlpipe_routing_weight":                    dto.MetricType_GAUGE,
		"mlpipe_routing_mirror":                    dto.MetricType_GAUGE,
		"mlpipe_predict_unknown_model_total":       dto.MetricType_COUNTER,
		"mlpipe_predict_shed_total":                dto.MetricType_COUNTER,
		"mlpipe_gateway_reloads_total":             dto.MetricType_COUNTER,
		"mlpipe_inference_log_rows_total":          dto.MetricType_COUNTER,
		"mlpipe_inference_log_dropped_rows_total":  dto.MetricType_COUNTER,
		"mlpipe_inference_log_files_total":         dto.MetricType_COUNTER,
		"mlpipe_inference_log_flush_errors_total":  dto.MetricType_COUNTER,
		"mlpipe_inference_log_pending_rows":        dto.MetricType_GAUGE,
		"mlpipe_inference_log_deleted_files_total": dto.MetricType_COUNTER,
		"go_goroutines":                            dto.MetricType_GAUGE,
		"go_memstats_sys_bytes":                    dto.MetricType_GAUGE,
		"process_resident_memory_bytes":            dto.MetricType_GAUGE,
		"process_cpu_seconds_total":                dto.MetricType_COUNTER,
		"process_max_resident_memory_bytes":        dto.MetricType_GAUGE,
	}
	for name, typ := range types {
		if assert.Contains(t, fams, name) {
			assert.Equal(t, typ, fams[name].GetType(), name)
			assert.NotEmpty(t, fams[name].GetHelp(), name)
		}
	}

	prod := map[string]string{"model": "churn", "version": "1", "variant": "production"}
	ok := gwmFind(fams, "mlpipe_predict_requests_total", map[string]string{"model": "churn", "version": "1", "variant": "production", "code": "200"})
	require.NotNil(t, ok, "200s of churn v1")
	assert.Equal(t, 1.0, ok.GetCounter().GetValue())
	assert.Equal(t, map[string]string{"model": "churn", "version": "1", "variant": "production", "code": "200"}, gwmLabels(ok))
	bad := gwmFind(fams, "mlpipe_predict_requests_total", map[string]string{"version": "1", "code": "400"})
	require.NotNil(t, bad, "400s of churn v1")
	assert.Equal(t, 1.0, bad.GetCounter().GetValue())
	// The canary has answered nothing yet; its 200 series exists at zero.
	canary := gwmFind(fams, "mlpipe_predict_requests_total", map[string]string{"version": "2", "variant": "canary", "code": "200"})
	if canary != nil {
		assert.Equal(t, 0.0, canary.GetCounter().GetValue())
	}
	assert.Equal(t, 2.0, gwmFind(fams, "mlpipe_predict_rows_total", prod).GetCounter().GetValue())

	h := gwmFind(fams, "mlpipe_predict_latency_seconds", prod).GetHistogram()
	require.NotNil(t, h)
	assert.Equal(t, uint64(2), h.GetSampleCount(), "one 200 and one 400")
	assert.Greater(t, h.GetSampleSum(), 0.0)
	bounds := make([]float64, 0, len(h.GetBucket()))
	for _, b := range h.GetBucket() {
		bounds = append(bounds, b.GetUpperBound())
		assert.LessOrEqual(t, b.GetCumulativeCount(), h.GetSampleCount())
	}
	assert.Equal(t, []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, math.Inf(1)}, bounds)

	assert.Equal(t, 1.0, gwmFind(fams, "mlpipe_model_version", map[string]string{"model": "churn"}).GetGauge().GetValue())
	assert.Equal(t, 25.0, gwmFind(fams, "mlpipe_routing_weight", map[string]string{"model": "churn"}).GetGauge().GetValue())
	assert.Equal(t, 0.0, gwmFind(fams, "mlpipe_routing_mirror", map[string]string{"model": "churn"}).GetGauge().GetValue())
	assert.Equal(t, 1.0, fams["mlpipe_predict_unknown_model_total"].GetMetric()[0].GetCounter().GetValue())
	assert.NotNil(t, gwmFind(fams, "mlpipe_gateway_reloads_total", map[string]string{"result": "ok"}))
	assert.NotNil(t, gwmFind(fams, "mlpipe_gateway_reloads_total", map[string]string{"result": "error"}))
	assert.NotNil(t, gwmFind(fams, "mlpipe_inference_log_rows_total", map[string]string{"kind": "prediction"}))
	assert.NotNil(t, gwmFind(fams, "mlpipe_inference_log_rows_total", map[string]string{"kind": "feedback"}))

	assert.Greater(t, fams["go_goroutines"].GetMetric()[0].GetGauge().GetValue(), 0.0)
	assert.Greater(t, fams["process_resident_memory_bytes"].GetMetric()[0].GetGauge().GetValue(), 0.0)
}

// Two gateways in one process each export their own counters: the
// registry is the gateway's, not the process's.
func TestMetricsOfTwoGatewaysInOneProcessAreTheirOwn(t *testing.T) {
	a, b := newFixture(t), newFixture(t)
	require.NoError(t, a.gw.Reload(context.Background()))
	require.NoError(t, b.gw.Reload(context.Background()))
	for range 3 {
		require.Equal(t, http.StatusOK, a.do(t, "POST", "/v1/models/churn:predict", twoRows).code)
	}
	require.Equal(t, http.StatusOK, b.do(t, "POST", "/v1/models/churn:predict", twoRows).code)

	code200 := map[string]string{"model": "churn", "version": "1", "variant": "production", "code": "200"}
	assert.Equal(t, 3.0, gwmFind(gwmScrape(t, a), "mlpipe_predict_requests_total", code200).GetCounter().GetValue())
	assert.Equal(t, 1.0, gwmFind(gwmScrape(t, b), "mlpipe_predict_requests_total", code200).GetCounter().GetValue())
}
