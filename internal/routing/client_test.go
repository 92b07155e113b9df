package routing

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestClientSendsTheTokenAndDecodes(t *testing.T) {
	var got Routing
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer s3cret" {
			http.Error(w, "missing token", http.StatusUnauthorized)
			return
		}
		switch r.Method + " " + r.URL.Path {
		case "PUT /admin/models/churn/routing":
			require.NoError(t, json.NewDecoder(r.Body).Decode(&got))
			got.Epoch = 7
			_ = json.NewEncoder(w).Encode(got)
		case "GET /admin/models/churn/stats":
			_ = json.NewEncoder(w).Encode(Stats{Model: "churn", Variants: []VariantStats{{Variant: VariantCanary, Requests: 12}}})
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	c := Client{BaseURL: srv.URL, Token: "s3cret"}
	ctx := context.Background()
	r, err := c.SetRouting(ctx, Routing{Model: "churn", Mode: ModeCanary, Candidate: 2, Weight: 5})
	require.NoError(t, err)
	assert.Equal(t, int64(7), r.Epoch)
	assert.Equal(t, 5.0, got.Weight)
	st, err := c.Stats(ctx, "churn")
	require.NoError(t, err)
	assert.Equal(t, int64(12), st.Variant(VariantCanary).Requests)

	_, err = Client{BaseURL: srv.URL}.Stats(ctx, "churn")
	var se *StatusError
	require.True(t, errors.As(err, &se))
	assert.Equal(t, http.StatusUnauthorized, se.Code)
	assert.Contains(t, err.Error(), "missing token")
}
