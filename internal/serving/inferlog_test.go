package serving_test

import (
	"context"
	"database/sql"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/dataplane"
	"github.com/mlpipe/mlpipe/internal/inferlog"
	"github.com/mlpipe/mlpipe/internal/routing"
	"github.com/mlpipe/mlpipe/internal/serving"
)

// newLoggingFixture is a gateway that writes its inference log, flushed
// every 10 ms, as replica, to the store it returns.
func newLoggingFixture(t *testing.T, replica string) (*fixture, artifact.Store) {
	t.Helper()
	store, err := artifact.NewFileStore(t.TempDir())
	require.NoError(t, err)
	f := newFixtureWith(t, serving.Options{AdminToken: adminToken,
		InferenceLog: inferlog.WriterOptions{Store: store, Replica: replica, FlushInterval: 10 * time.Millisecond, Retention: -1}}, nil)
	require.NoError(t, f.gw.Reload(context.Background()))
	return f, store
}

func TestGatewayLogsPredictionsShadowsAndFeedbackDurably(t *testing.T) {
	ctx := context.Background()
	f, store := newLoggingFixture(t, "gw-a")
	start := time.Now().Add(-time.Minute)

	require.Equal(t, http.StatusOK, f.do(t, "POST", "/v1/models/churn:predict", twoRows, "X-Request-Id", "p1").code)
	require.Equal(t, http.StatusOK, f.do(t, "POST", "/v2/models/churn/infer",
		`{"id": "v2", "inputs": [{"name": "tenure", "shape": [1], "datatype": "FP64", "data": [7]}, {"name": "plan", "shape": [1], "datatype": "BYTES", "data": ["pro"]}]}`).code)
	f.route(t, routing.Routing{Candidate: 2, Mode: routing.ModeShadow, Mirror: 100})
	require.Equal(t, http.StatusOK, f.do(t, "POST", "/v1/models/churn:predict", twoRows, "X-Request-Id", "s1").code)

	r := f.do(t, "POST", "/v1/models/churn/feedback", `[
		{"request_id": "p1", "row": 1, "label": "no", "value": 0, "time": "2026-11-01T08:00:00Z"},
		{"request_id": "v2", "label": "yes", "value": 4.5},
		{"request_id": "s1", "label": "yes"},
		{"request_id": "elsewhere", "row": 3, "label": "yes"},
		{"request_id": "p1", "label": ""}
	]`)
	require.Equal(t, http.StatusOK, r.code, r.body)
	assert.JSONEq(t, `{"joined": 3, "unknown": 1, "duplicate": 0, "invalid": 1, "logged": 4,
		"errors": ["feedback 4: request p1 row 0: label is empty: send the outcome as the data spells the target (e.g. \"yes\")"]}`, r.body)

	// A time that is not RFC 3339 refuses the batch, saying the shape.
	r = f.do(t, "POST", "/v1/models/churn/feedback", `{"request_id": "p1", "label": "yes", "time": "yesterday"}`)
	assert.Equal(t, http.StatusBadRequest, r.code)
	assert.Contains(t, r.body, `parsing time`)
	assert.Contains(t, r.body, `\"time\": \"2026-12-05T10:00:00Z\"`)

	// The shadow's rows are logged once it has scored them.
	require.Eventually(t, func() bool {
		return strings.Contains(f.do(t, "GET", "/metrics", "").body, `mlpipe_inference_log_rows_total{kind="prediction"} 7`)
	}, 10*time.Second, 10*time.Millisecond)
	assert.Contains(t, f.do(t, "GET", "/healthz", "").body, `"replica":"gw-a"`)
	f.gw.Close()

	eng, err := dataplane.Open(dataplane.Options{Threads: 1, TempDir: t.TempDir()})
	require.NoError(t, err)
	defer func() { _ = eng.Close() }()
	w, err := inferlog.Window(ctx, store, eng, "churn", start, time.Now().Add(time.Minute))
	require.NoError(t, err)
	assert.Equal(t, int64(7), w.Predictions, "p1: 2 rows, v2: 1, s1: 2 served + 2 shadow")
	assert.Equal(t, int64(4), w.Feedback)
	assert.Equal(t, int64(4), w.Joined, "p1 row 1, v2 row 0, s1 row 0 as served and as shadow")
	assert.Equal(t, int64(1), w.UnknownFeedback)

	rows, err := eng.DB().Query(`SELECT request_id, "row", variant, version, prediction, label, value, label_time FROM joined ORDER BY request_id, "row", variant`)
	require.NoError(t, err)
	defer func() { _ = rows.Close() }()
	type joinedRow struct {
		id, variant, pred string
		row, version      int
		label             sql.NullString
		value             sql.NullFloat64
		labelTime         sql.NullTime
	}
	var got []joinedRow
	for rows.Next() {
		var j joinedRow
		require.NoError(t, rows.Scan(&j.id, &j.row, &j.variant, &j.version, &j.pred, &j.label, &j.value, &j.labelTime))
		j.labelTime.Time = j.labelTime.Time.UTC()
		got = append(got, j)
	}
	require.NoError(t, rows.Err())
	require.Len(t, got, 7)
	assert.Equal(t, joinedRow{id: "p1", row: 1, variant: "production", version: 1, pred: "yes", label: sql.NullString{String: "no", Valid: true},
		value: sql.NullFloat64{Float64: 0, Valid: true}, labelTime: sql.NullTime{Time: time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC), Valid: true}}, got[1])
	assert.Equal(t, "s1", got[2].id)
	assert.Equal(t, "production", got[2].variant)
	assert.Equal(t, "shadow", got[3].variant)
	assert.Equal(t, 2, got[3].version)
	assert.Equal(t, "no", got[3].pred)
	assert.Equal(t, "yes", got[3].label.String)
	assert.Equal(t, 4.5, got[6].value.Float64)
	assert.Equal(t, "v2", got[6].id)

	// Inputs are logged as sent: /v1's bytes as they came, /v2's columns as rows.
	var in1, in2 string
	require.NoError(t, eng.DB().QueryRow(`SELECT input FROM predictions WHERE request_id = 'p1' AND "row" = 1`).Scan(&in1))
	assert.JSONEq(t, `{"tenure": 40, "plan": "pro"}`, in1)
	require.NoError(t, eng.DB().QueryRow(`SELECT input FROM predictions WHERE request_id = 'v2'`).Scan(&in2))
	assert.JSONEq(t, `{"tenure": 7, "plan": "pro"}`, in2)
}
