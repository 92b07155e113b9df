package serving_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/registry"
	"github.com/mlpipe/mlpipe/internal/routing"
	"github.com/mlpipe/mlpipe/internal/serving"
)

// route PUTs a routing for churn and returns what the gateway stored.
func (f *fixture) route(t *testing.T, rt routing.Routing) routing.Routing {
	t.Helper()
	body, err := json.Marshal(rt)
	require.NoError(t, err)
	r := f.admin(t, "PUT", "/admin/models/churn/routing", string(body))
	require.Equal(t, http.StatusOK, r.code, r.body)
	var stored routing.Routing
	require.NoError(t, json.Unmarshal([]byte(r.body), &stored))
	return stored
}

func (f *fixture) stats(t *testing.T) routing.Stats {
	t.Helper()
	r := f.admin(t, "GET", "/admin/models/churn/stats", "")
	require.Equal(t, http.StatusOK, r.code, r.body)
	var st routing.Stats
	require.NoError(t, json.Unmarshal([]byte(r.body), &st))
	return st
}

// predictKey predicts twoRows with a route key and returns the variant.
func (f *fixture) predictKey(t *testing.T, key string) result {
	t.Helper()
	r := f.do(t, "POST", "/v1/models/churn:predict", twoRows, "X-Route-Key", key)
	require.Equal(t, http.StatusOK, r.code, r.body)
	return r
}

func TestCanaryAnswersItsShareOfKeysAndEachKeyStaysPut(t *testing.T) {
	f := newFixture(t)
	require.NoError(t, f.gw.Reload(context.Background()))
	stored := f.route(t, routing.Routing{Candidate: 2, Mode: routing.ModeCanary, Weight: 30, Reason: "canary step 1"})
	assert.Equal(t, "churn", stored.Model)
	assert.Equal(t, int64(1), stored.Epoch)
	assert.False(t, stored.UpdatedAt.IsZero())

	canary := 0
	const keys = 400
	for i := range keys {
		r := f.predictKey(t, fmt.Sprintf("user-%d", i))
		switch r.decoded.Variant {
		case "canary":
			canary++
			assert.Equal(t, 2, r.decoded.Version)
			assert.Equal(t, "no", r.decoded.Predictions[0].Label)
			assert.Equal(t, "canary", r.header.Get("X-Model-Variant"))
		case "production":
			assert.Equal(t, 1, r.decoded.Version)
			assert.Equal(t, "yes", r.decoded.Predictions[0].Label)
		default:
			t.Fatalf("variant %q", r.decoded.Variant)
		}
	}
	// 30% of 400 is 120; the standard deviation is about 9.
	assert.InDelta(t, 120, canary, 40, "canary answered %d of %d keys", canary, keys)

	for i := range 20 {
		key := fmt.Sprintf("user-%d", i)
		first := f.predictKey(t, key).decoded.Variant
		for range 5 {
			assert.Equal(t, first, f.predictKey(t, key).decoded.Variant, "key %s moved", key)
		}
	}
}

func TestCanaryWeightsZeroAndHundred(t *testing.T) {
	f := newFixture(t)
	require.NoError(t, f.gw.Reload(context.Background()))
	f.route(t, routing.Routing{Candidate: 2, Mode: routing.ModeCanary, Weight: 100})
	for i := range 20 {
		assert.Equal(t, "canary", f.predictKey(t, fmt.Sprint(i)).decoded.Variant)
	}
	f.route(t, routing.Routing{Candidate: 2, Mode: routing.ModeCanary, Weight: 0})
	for i := range 20 {
		assert.Equal(t, "production", f.predictKey(t, fmt.Sprint(i)).decoded.Variant)
	}
	f.route(t, routing.Routing{})
	r := f.predictKey(t, "x")
	assert.Equal(t, "production", r.decoded.Variant)
	assert.Equal(t, 1, r.decoded.Version)
}

func TestStickyFieldPinsCallerAcrossHeadersAndProtocols(t *testing.T) {
	f := newFixture(t)
	require.NoError(t, f.gw.Reload(context.Background()))
	f.route(t, routing.Routing{Candidate: 2, Mode: routing.ModeCanary, Weight: 50, StickyKey: "customer_id"})

	seen := map[string]int{}
	for c := range 40 {
		v1 := func(routeKey string) string {
			body := fmt.Sprintf(`{"instances": [{"tenure": 3, "customer_id": %d}]}`, c)
			r := f.do(t, "POST", "/v1/models/churn:predict", body, "X-Route-Key", routeKey)
			require.Equal(t, http.StatusOK, r.code, r.body)
			return r.decoded.Variant
		}
		first := v1("a")
		seen[first]++
		// The row's field wins over the header, whatever the header says.
		assert.Equal(t, first, v1("b"), "customer %d moved with the header", c)
		assert.Equal(t, first, v1("c"), "customer %d moved with the header", c)

		body := fmt.Sprintf(`{"inputs": [{"name": "tenure", "shape": [1], "datatype": "FP64", "data": [3]},
			{"name": "customer_id", "shape": [1], "datatype": "INT64", "data": [%d]}]}`, c)
		r := f.do(t, "POST", "/v2/models/churn/infer", body)
		require.Equal(t, http.StatusOK, r.code, r.body)
		var resp struct {
			Parameters map[string]string `json:"parameters"`
		}
		require.NoError(t, json.Unmarshal([]byte(r.body), &resp))
		assert.Equal(t, first, resp.Parameters["variant"], "customer %d on /v2", c)
	}
	assert.Positive(t, seen["canary"], "at 50%% some of 40 customers reach the canary")
	assert.Positive(t, seen["production"])
}

func TestRequestsNeverFailWhileRoutingFlips(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	require.NoError(t, f.gw.Reload(ctx))
	want := map[int]struct{ label, variant string }{1: {"yes", "production"}, 2: {"no", "canary"}}

	switched := make(chan struct{})
	switchErr := make(chan error, 1)
	go func() {
		defer close(switched)
		for i := range 40 {
			body := `{"candidate": 2, "mode": "canary", "weight": 50}`
			if i%2 == 1 {
				body = `{}`
			}
			r, err := f.try("PUT", "/admin/models/churn/routing", body, "Authorization", "Bearer "+adminToken)
			if err == nil && r.code != http.StatusOK {
				err = fmt.Errorf("PUT routing: %d %s", r.code, r.body)
			}
			if err == nil && i%5 == 0 {
				err = f.gw.Reload(ctx) // refreshes race routing changes too
			}
			if err != nil {
				switchErr <- err
				return
			}
		}
	}()

	errs := make(chan error, 8)
	for w := range 8 {
		go func() {
			for n := 0; ; n++ {
				if n >= 200 {
					select {
					case <-switched:
						errs <- nil
						return
					default:
					}
				}
				r, err := f.try("POST", "/v1/models/churn:predict", twoRows, "X-Route-Key", fmt.Sprintf("%d-%d", w, n))
				if err != nil {
					errs <- fmt.Errorf("request %d: %w", n, err)
					return
				}
				if r.code != http.StatusOK {
					errs <- fmt.Errorf("request %d: status %d: %s", n, r.code, r.body)
					return
				}
				exp, ok := want[r.decoded.Version]
				if !ok || r.decoded.Predictions[0].Label != exp.label || r.decoded.Variant != exp.variant {
					errs <- fmt.Errorf("request %d: version %d variant %q answered %+v", n, r.decoded.Version, r.decoded.Variant, r.decoded.Predictions)
					return
				}
			}
		}()
	}
	for range 8 {
		assert.NoError(t, <-errs)
	}
	<-switched
	select {
	case err := <-switchErr:
		t.Fatalf("switching routing: %v", err)
	default:
	}
}

func TestRoutingSurvivesRestartAndGatewaysConverge(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	require.NoError(t, f.gw.Reload(ctx))
	stored := f.route(t, routing.Routing{Candidate: 2, Mode: routing.ModeCanary, Weight: 100, Reason: "all in"})

	// A second gateway over the same store: a restart, or a replica.
	other := &fixture{reg: f.reg, gw: serving.New(f.reg, loadBundle, serving.Options{AdminToken: adminToken})}
	other.srv = newServer(t, other.gw)
	require.NoError(t, other.gw.Reload(ctx))

	r := other.admin(t, "GET", "/admin/models/churn/routing", "")
	require.Equal(t, http.StatusOK, r.code, r.body)
	var got routing.Routing
	require.NoError(t, json.Unmarshal([]byte(r.body), &got))
	assert.Equal(t, stored.Epoch, got.Epoch)
	assert.True(t, stored.UpdatedAt.Equal(got.UpdatedAt))
	assert.Equal(t, 2, got.Candidate)
	assert.Equal(t, 100.0, got.Weight)
	assert.Equal(t, "all in", got.Reason)
	assert.Equal(t, "canary", other.predictKey(t, "k").decoded.Variant)

	// A change made through the replica reaches the first gateway on refresh,
	// and the epoch counts on from the stored one.
	back := other.route(t, routing.Routing{Reason: "rolled back"})
	assert.Equal(t, stored.Epoch+1, back.Epoch)
	assert.Equal(t, "canary", f.predictKey(t, "k").decoded.Variant, "before the refresh")
	require.NoError(t, f.gw.Reload(ctx))
	assert.Equal(t, "production", f.predictKey(t, "k").decoded.Variant)
	assert.Equal(t, back.Epoch, f.stats(t).Routing.Epoch)
}

func TestPutRoutingRefusesWhatCannotServe(t *testing.T) {
	f := newFixture(t)
	require.NoError(t, f.gw.Reload(context.Background()))
	broken := f.register(t, "churn", bundle{Label: "x", Broken: true})
	require.Equal(t, 3, broken.Version)

	cases := []struct {
		name, path, body string
		code             int
		msg              string
	}{
		{"no candidate", "/admin/models/churn/routing", `{"mode": "canary", "weight": 5}`, 400, "canary needs a candidate version"},
		{"weight over 100", "/admin/models/churn/routing", `{"candidate": 2, "mode": "canary", "weight": 150}`, 400, "weight 150 must be between 0 and 100"},
		{"shadow without mirror", "/admin/models/churn/routing", `{"candidate": 2, "mode": "shadow"}`, 400, "mirror 0 must be above 0"},
		{"unknown mode", "/admin/models/churn/routing", `{"candidate": 2, "mode": "blue-green"}`, 400, `unknown mode "blue-green"`},
		{"unregistered candidate", "/admin/models/churn/routing", `{"candidate": 9, "mode": "canary", "weight": 5}`, 400, "model churn has no version 9 in the registry"},
		{"candidate is production", "/admin/models/churn/routing", `{"candidate": 1, "mode": "canary", "weight": 5}`, 400, "candidate 1 is already the production version"},
		{"candidate fails to load", "/admin/models/churn/routing", `{"candidate": 3, "mode": "canary", "weight": 5}`, 400, "load candidate version 3: bundle is broken"},
		{"other model in body", "/admin/models/churn/routing", `{"model": "fraud"}`, 400, `routing names model "fraud" but the URL names "churn"`},
		{"misspelt field", "/admin/models/churn/routing", `{"candidate": 2, "mode": "canary", "wieght": 5}`, 400, `unknown field "wieght"`},
		{"unknown model", "/admin/models/nope/routing", `{}`, 404, `model "nope" is not served`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := f.do(t, "PUT", c.path, c.body, "Authorization", "Bearer "+adminToken)
			assert.Equal(t, c.code, r.code, r.body)
			assert.Contains(t, r.decoded.Error, c.msg)
		})
	}
	// Nothing was stored or applied.
	r := f.admin(t, "GET", "/admin/models/churn/routing", "")
	assert.JSONEq(t, `{"model": "churn", "updated_at": "0001-01-01T00:00:00Z"}`, r.body)
	_, ok, err := f.reg.Store().Stat(context.Background(), serving.RoutingKey("churn"))
	require.NoError(t, err)
	assert.False(t, ok)
}

func TestCandidateThatStopsLoadingLeavesProductionServing(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	require.NoError(t, f.gw.Reload(ctx))
	f.route(t, routing.Routing{Candidate: 2, Mode: routing.ModeCanary, Weight: 100})

	// Another gateway starts over a store whose candidate cannot load.
	failing := func(ctx context.Context, v registry.Version) (serving.Predictor, error) {
		if v.Version == 2 {
			return nil, fmt.Errorf("out of memory")
		}
		return loadBundle(ctx, v)
	}
	other := &fixture{reg: f.reg, gw: serving.New(f.reg, failing, serving.Options{})}
	other.srv = newServer(t, other.gw)
	err := other.gw.Reload(ctx)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "reload churn: load candidate version 2: out of memory; production answers everything until it loads")
	r := other.predictKey(t, "k")
	assert.Equal(t, "production", r.decoded.Variant)
	assert.Equal(t, 1, r.decoded.Version)
}

func TestAdminNeedsTheToken(t *testing.T) {
	f := newFixture(t)
	require.NoError(t, f.gw.Reload(context.Background()))
	for _, c := range []struct{ method, path string }{
		{"POST", "/admin/reload"},
		{"GET", "/admin/models/churn/routing"},
		{"PUT", "/admin/models/churn/routing"},
		{"GET", "/admin/models/churn/stats"},
	} {
		r := f.do(t, c.method, c.path, `{}`)
		assert.Equal(t, http.StatusUnauthorized, r.code, "%s %s", c.method, c.path)
		assert.Contains(t, r.decoded.Error, `send the admin token as "Authorization: Bearer <token>"`)
		assert.Equal(t, "Bearer", r.header.Get("WWW-Authenticate")[:6])

		r = f.do(t, c.method, c.path, `{}`, "Authorization", "Bearer wrong")
		assert.Equal(t, http.StatusUnauthorized, r.code, "%s %s", c.method, c.path)
	}
	assert.Equal(t, http.StatusNotFound, f.admin(t, "GET", "/admin/nothing", "").code)
	assert.Equal(t, http.StatusUnauthorized, f.do(t, "GET", "/admin/nothing", "").code, "unknown admin paths do not reveal themselves")

	open := newFixtureWith(t, serving.Options{}, nil)
	r := open.do(t, "POST", "/admin/reload", "", "Authorization", "Bearer anything")
	assert.Equal(t, http.StatusForbidden, r.code)
	assert.Equal(t, "admin API disabled: set MLPIPE_ADMIN_TOKEN", r.decoded.Error)
}
