package monitor

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGatewayMetricsParsed(t *testing.T) {
	text := `# TYPE x counter
mlpipe_predict_requests_total{model="churn",version="2",variant="production",code="200"} 90
mlpipe_predict_requests_total{model="churn",version="2",variant="production",code="500"} 10
mlpipe_predict_requests_total{model="churn",version="3",variant="canary",code="200"} 5
go_goroutines 42
process_cpu_seconds_total 1.5
process_max_resident_memory_bytes 104857600
`
	p, rates, err := parseMetrics(strings.NewReader(text), "gw")
	require.NoError(t, err)
	require.NotNil(t, p)
	assert.Equal(t, 42, p.Goroutines)
	assert.InDelta(t, 1.5, p.CPUSeconds, 1e-9)
	assert.InDelta(t, 100, p.MemoryMB, 1e-9)
	assert.InDelta(t, 0.1, rates["2/production"], 1e-9)
	assert.Zero(t, rates["3/canary"])

	s := &Snapshot{Performance: Performance{Serving: []Serving{{Version: 2, Variant: "production", ErrorRate: -1}, {Version: 4, Variant: "shadow", ErrorRate: -1}}}}
	s.ApplyErrorRates(rates)
	assert.InDelta(t, 0.1, s.Performance.Serving[0].ErrorRate, 1e-9)
	assert.Equal(t, -1.0, s.Performance.Serving[1].ErrorRate, "unknown stays n/a")

	p, _, err = parseMetrics(strings.NewReader("mlpipe_x 1\n"), "gw")
	require.NoError(t, err)
	assert.Nil(t, p, "no process figures is no process")
}

func TestGPUsWithoutNvidiaSmiIsNone(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	gpus, what := GPUs(context.Background())
	assert.Empty(t, gpus)
	assert.Equal(t, "none", what)
}

func TestUnreachableGatewayIsAnErrorToNote(t *testing.T) {
	_, _, err := GatewayProcess(context.Background(), nil, "")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no gateway URL")
}
