package serving_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/dataplane"
	"github.com/mlpipe/mlpipe/internal/inferlog"
	"github.com/mlpipe/mlpipe/internal/routing"
)

// A canary's and a shadow's failures (5xx) reach the durable log with their
// status, so an analysis over the logs counts them; a request refused for
// bad input (4xx) is not a version's failure and is not logged.
func TestGatewayLogsFailedRequestsOfAVariant(t *testing.T) {
	ctx := context.Background()
	f, store := newLoggingFixture(t, "gw-a")
	short := f.register(t, "churn", bundle{Label: "no", Probability: 0.3, Short: true})

	canary := f.route(t, routing.Routing{Candidate: short.Version, Mode: routing.ModeCanary, Weight: 100})
	r := f.do(t, "POST", "/v1/models/churn:predict", twoRows, "X-Request-Id", "c1")
	require.Equal(t, http.StatusInternalServerError, r.code, r.body)
	r = f.do(t, "POST", "/v2/models/churn/infer",
		`{"inputs": [{"name": "tenure", "shape": [1], "datatype": "FP64", "data": [7]}, {"name": "plan", "shape": [1], "datatype": "BYTES", "data": ["pro"]}]}`)
	require.Equal(t, http.StatusInternalServerError, r.code, r.body)
	r = f.do(t, "POST", "/v1/models/churn:predict", `{"instances": [{"plan": "pro"}]}`)
	require.Equal(t, http.StatusBadRequest, r.code, r.body)

	shadow := f.route(t, routing.Routing{Candidate: short.Version, Mode: routing.ModeShadow, Mirror: 100})
	r = f.do(t, "POST", "/v1/models/churn:predict", twoRows, "X-Request-Id", "s1")
	require.Equal(t, http.StatusOK, r.code, r.body)
	require.Eventually(t, func() bool { return f.stats(t).Variant(routing.VariantShadow).Errors == 1 }, 10*time.Second, 10*time.Millisecond)
	f.gw.Close()

	count := func(rt routing.Routing) routing.Stats {
		t.Helper()
		eng, err := dataplane.Open(dataplane.Options{Threads: 1, TempDir: t.TempDir()})
		require.NoError(t, err)
		defer func() { _ = eng.Close() }()
		got, err := inferlog.RolloutStats(ctx, store, eng, inferlog.RolloutQuery{Routing: rt, To: time.Now().Add(time.Minute)})
		require.NoError(t, err)
		return got.Stats
	}
	c := count(canary).Variant(routing.VariantCanary)
	assert.Equal(t, short.Version, c.Version)
	assert.Equal(t, [3]int64{2, 2, 0}, [3]int64{c.Requests, c.Errors, c.Rows}, "both failures, not the 400")

	st := count(shadow)
	s := st.Variant(routing.VariantShadow)
	assert.Equal(t, [3]int64{1, 1, 0}, [3]int64{s.Requests, s.Errors, s.Rows})
	p := st.Variant(routing.VariantProduction)
	assert.Equal(t, [3]int64{1, 0, 2}, [3]int64{p.Requests, p.Errors, p.Rows})
}
