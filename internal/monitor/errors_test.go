package monitor

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/dataplane"
	"github.com/mlpipe/mlpipe/internal/drift"
)

// The error rate per version and variant is the window's share of logged
// requests answered with a 5xx, not the gateway's counters since start;
// a variant whose every request failed still gets its row.
func TestErrorRatePerVariantComesFromTheWindowsLog(t *testing.T) {
	eng, err := dataplane.Open(dataplane.Options{})
	require.NoError(t, err)
	defer eng.Close()
	db := eng.DB()
	p, y := squashed(rand.New(rand.NewPCG(1, 2)), 200)
	s := &Snapshot{Traffic: labelledWindow(t, db, p, y)}
	_, err = db.Exec(`CREATE TABLE requests AS
		SELECT 'r' || i AS request_id, 1 AS version, 'production' AS variant, CASE WHEN i < 5 THEN 503 ELSE 200 END AS status FROM range(20) t(i)
		UNION ALL SELECT 'c' || i, 2, 'canary', 500 FROM range(4) t(i)`)
	require.NoError(t, err)
	in := Input{Model: "churn", ModelVersion: 1, From: testNow.Add(-15 * time.Minute), To: testNow,
		Target: "churned", Positive: "yes", Drift: drift.DefaultConfig()}
	require.NoError(t, Analyze(context.Background(), db, in, s))
	// The gateway's counters do not override what the log measured.
	s.ApplyErrorRates(map[string]float64{"1/production": 0.9, "2/canary": 0.1})
	require.Len(t, s.Performance.Serving, 2)
	prod, canary := s.Performance.Serving[0], s.Performance.Serving[1]
	assert.Equal(t, "production", prod.Variant)
	assert.InDelta(t, 0.25, prod.ErrorRate, 1e-12)
	assert.EqualValues(t, 20, prod.Requests)
	assert.EqualValues(t, 5, prod.Failed)
	assert.Equal(t, ErrorsFromLog, prod.ErrorSource)
	assert.EqualValues(t, 200, prod.Predictions)
	assert.Equal(t, "canary", canary.Variant)
	assert.InDelta(t, 1, canary.ErrorRate, 1e-12)
	assert.Zero(t, canary.Predictions)

	// A log read without the requests table leaves the gateway's figure.
	s = &Snapshot{Traffic: labelledWindow(t, db, p, y)}
	_, err = db.Exec(`DROP TABLE requests`)
	require.NoError(t, err)
	require.NoError(t, Analyze(context.Background(), db, in, s))
	s.ApplyErrorRates(map[string]float64{"1/production": 0.02})
	require.Len(t, s.Performance.Serving, 1)
	assert.InDelta(t, 0.02, s.Performance.Serving[0].ErrorRate, 1e-12)
	assert.Equal(t, ErrorsFromGateway, s.Performance.Serving[0].ErrorSource)
}
