package serving_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// jsonRefusal requires a refusal with code and a JSON error body.
func jsonRefusal(t *testing.T, r result, code int) result {
	t.Helper()
	require.Equal(t, code, r.code, r.body)
	assert.Equal(t, "application/json", r.header.Get("Content-Type"))
	require.NotEmpty(t, r.decoded.Error, r.body)
	return r
}

func TestEveryRouteAnswersAWrongMethodWith405(t *testing.T) {
	f := newFixture(t)
	require.NoError(t, f.gw.Reload(context.Background()))
	for _, c := range []struct{ method, path, allow string }{
		{"GET", "/v1/models/churn:predict", "POST"},
		{"DELETE", "/v1/models/churn:predict", "POST"},
		{"POST", "/v1/models/churn", "GET, HEAD"},
		{"PUT", "/v1/models/churn", "GET, HEAD"},
		{"GET", "/v1/models/churn/feedback", "POST"},
		{"POST", "/v1/models", "GET, HEAD"},
		{"GET", "/v2/models/churn/infer", "POST"},
		{"DELETE", "/v2/models/churn", "GET, HEAD"},
		{"POST", "/v2/health/ready", "GET, HEAD"},
		{"POST", "/v2/health/live", "GET, HEAD"},
		{"POST", "/healthz", "GET, HEAD"},
		{"PUT", "/readyz", "GET, HEAD"},
		{"POST", "/metrics", "GET, HEAD"},
		{"GET", "/admin/reload", "POST"},
		{"DELETE", "/admin/models/churn/routing", "GET, HEAD, PUT"},
		{"POST", "/admin/models/churn/stats", "GET, HEAD"},
	} {
		r := f.admin(t, c.method, c.path, "")
		e := jsonRefusal(t, r, http.StatusMethodNotAllowed)
		assert.Equal(t, c.allow, r.header.Get("Allow"), "%s %s", c.method, c.path)
		assert.Contains(t, e.decoded.Error, "method "+c.method+" is not allowed", "%s %s", c.method, c.path)
	}
	r := f.do(t, "OPTIONS", "/v1/models/churn:predict", "")
	assert.Equal(t, http.StatusNoContent, r.code)
	assert.Equal(t, "POST", r.header.Get("Allow"))
	// HEAD is GET without a body.
	head, err := http.Head(f.srv.URL + "/healthz")
	require.NoError(t, err)
	require.NoError(t, head.Body.Close())
	assert.Equal(t, http.StatusOK, head.StatusCode)

	e := jsonRefusal(t, f.do(t, "GET", "/v3/whatever", ""), http.StatusNotFound)
	assert.Contains(t, e.decoded.Error, "no such endpoint: GET /v3/whatever")
	e = jsonRefusal(t, f.admin(t, "GET", "/admin/nothing", ""), http.StatusNotFound)
	assert.Contains(t, e.decoded.Error, "no such admin endpoint")
}

func TestAdminTakesTheBearerSchemeInAnyCase(t *testing.T) {
	f := newFixture(t)
	require.NoError(t, f.gw.Reload(context.Background()))
	for _, auth := range []string{"Bearer " + adminToken, "bearer " + adminToken, "BEARER  " + adminToken, "  bEaReR " + adminToken + " "} {
		r := f.do(t, "GET", "/admin/models/churn/routing", "", "Authorization", auth)
		assert.Equal(t, http.StatusOK, r.code, "%q: %s", auth, r.body)
	}
	for _, auth := range []string{"bearer wrong", "Basic " + adminToken, adminToken, "Bearer"} {
		r := f.do(t, "GET", "/admin/models/churn/routing", "", "Authorization", auth)
		e := jsonRefusal(t, r, http.StatusUnauthorized)
		assert.Contains(t, e.decoded.Error, "Authorization: Bearer <token>", auth)
	}
}
