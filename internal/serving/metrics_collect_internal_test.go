package serving

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A series whose label the exposition cannot carry (a model name that is
// not UTF-8) fails alone: the scrape still answers 200 with every other
// series, and the gateway logs what it left out, rather than panicking or
// failing the whole scrape.
func TestMetricsLeaveOutASeriesWithAnInvalidLabelAndServeTheRest(t *testing.T) {
	var logs bytes.Buffer
	g := &Gateway{opts: Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))}, metrics: newMetrics()}
	g.table.Store(&table{models: map[string]*served{}})
	g.metrics.version("churn", 1, "production").observe(http.StatusOK, 2, 0)
	g.metrics.version("bad\xff", 1, "production").observe(http.StatusOK, 1, 0)

	rec := httptest.NewRecorder()
	g.handleMetrics(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	body, err := io.ReadAll(rec.Body)
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Contains(t, string(body), `mlpipe_predict_rows_total{model="churn",variant="production",version="1"} 2`)
	assert.NotContains(t, string(body), "bad")
	assert.Contains(t, string(body), "go_goroutines ")
	assert.Contains(t, logs.String(), "metrics: gather")
	assert.Contains(t, logs.String(), "not valid UTF-8")
}
