package serving_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMetricsCountRequestsRowsAndLatency(t *testing.T) {
	f := newFixture(t)
	require.NoError(t, f.gw.Reload(context.Background()))

	require.Equal(t, http.StatusOK, f.do(t, "POST", "/v1/models/churn:predict", twoRows).code)
	require.Equal(t, http.StatusOK, f.do(t, "POST", "/v1/models/churn:predict", `{"instances": [{"tenure": 1}]}`).code)
	require.Equal(t, http.StatusBadRequest, f.do(t, "POST", "/v1/models/churn:predict", `{`).code)
	require.Equal(t, http.StatusNotFound, f.do(t, "POST", "/v1/models/nope:predict", twoRows).code)

	r := f.do(t, "GET", "/metrics", "")
	require.Equal(t, http.StatusOK, r.code)
	assert.True(t, strings.HasPrefix(r.header.Get("Content-Type"), "text/plain; version=0.0.4; charset=utf-8"), r.header.Get("Content-Type"))
	for _, line := range []string{
		"# TYPE mlpipe_predict_requests_total counter\n",
		`mlpipe_predict_requests_total{code="200",model="churn",variant="production",version="1"} 2` + "\n",
		`mlpipe_predict_requests_total{code="400",model="churn",variant="production",version="1"} 1` + "\n",
		`mlpipe_predict_rows_total{model="churn",variant="production",version="1"} 3` + "\n", // 2 + 1 rows answered
		"# TYPE mlpipe_predict_latency_seconds histogram\n",
		`mlpipe_predict_latency_seconds_bucket{model="churn",variant="production",version="1",le="+Inf"} 3` + "\n",
		`mlpipe_predict_latency_seconds_count{model="churn",variant="production",version="1"} 3` + "\n",
		`mlpipe_predict_latency_seconds_bucket{model="churn",variant="production",version="1",le="0.0005"} `,
		`mlpipe_predict_latency_seconds_bucket{model="churn",variant="production",version="1",le="2.5"} `,
		"# TYPE mlpipe_model_version gauge\n",
		`mlpipe_model_version{model="churn"} 1` + "\n",
		"mlpipe_predict_unknown_model_total 1\n",
	} {
		assert.Contains(t, r.body, line)
	}

	// After a switch the gauge follows and the new version counts separately.
	require.NoError(t, f.reg.Promote(context.Background(), "churn", 2))
	require.NoError(t, f.gw.Reload(context.Background()))
	require.Equal(t, http.StatusOK, f.do(t, "POST", "/v1/models/churn:predict", twoRows).code)
	r = f.do(t, "GET", "/metrics", "")
	assert.Contains(t, r.body, `mlpipe_model_version{model="churn"} 2`+"\n")
	assert.Contains(t, r.body, `mlpipe_predict_requests_total{code="200",model="churn",variant="production",version="2"} 1`+"\n")
	assert.Contains(t, r.body, `mlpipe_predict_requests_total{code="200",model="churn",variant="production",version="1"} 2`+"\n")
}
