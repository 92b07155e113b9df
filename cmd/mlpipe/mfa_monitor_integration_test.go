package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/monitor"
)

// mfaQuality finds a column's data-quality row in a snapshot.
func mfaQuality(t *testing.T, snap monitor.Snapshot, name string) monitor.ColumnQuality {
	t.Helper()
	for _, c := range snap.Quality.Columns {
		if c.Column == name {
			return c
		}
	}
	t.Fatalf("the snapshot has no quality row for %q: %+v", name, snap.Quality.Columns)
	return monitor.ColumnQuality{}
}

// The monitor reads the logged rows as the client sent them and the model
// read them: a key that differs from a feature only in case is reported
// as a feature the model does not take, and the feature keeps its values;
// a key sent twice in a row counts once, with the value the gateway's
// decoder kept (the last).
func TestMfaMonitorReadsRowsAsClientsSentThem(t *testing.T) {
	s := startStack(t)
	s.deployFirstVersion(t)
	out, code := s.mlpipe("monitor", "start", monModel, "--every", "24h")
	require.Equal(t, 0, code, out)

	row := `{"age": 67, "status": "inactive", "plan": "premium", "Plan": "gold", "tenure_months": 1, ` +
		`"monthly_charges": 99999, "monthly_charges": 30, "support_calls": 9, "last_activity": "2026-10-01T00:00:00Z"}`
	body := `{"strict": false, "instances": [` + strings.Repeat(row+",", 9) + row + `]}`
	const requests = 5
	for range requests {
		out, code := s.post("/v1/models/"+monModel+":predict", body)
		require.Equal(t, http.StatusOK, code, out)
	}
	require.Eventually(t, func() bool { return s.monLogged(t).Predictions >= 10*requests },
		time.Minute, 250*time.Millisecond, "the gateway's log never held the rows sent")

	out, snap := s.monRun(t)
	require.EqualValues(t, 10*requests, snap.Traffic.Predictions, out)
	assert.Contains(t, snap.Quality.Violations,
		`feature "Plan" is not in the reference profile (sent in 50 rows): the model was not trained on it`)
	plan := mfaQuality(t, snap, "plan")
	assert.Zero(t, plan.Nulls, "plan keeps its values beside Plan")
	assert.Zero(t, plan.Unseen, "premium is a known plan")
	charges := mfaQuality(t, snap, "monthly_charges")
	assert.Zero(t, charges.OutOfRange, "30, the value the model read, not 99999")
	assert.Zero(t, charges.Nulls)
	assert.Contains(t, snap.Summary, "data-quality violations", "fifty copies of one row also drift")
}
