package routing

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

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

// Errors quote the gateway's answer, and they travel through Temporal,
// which refuses strings that are not UTF-8: the body is made valid and cut
// short. A gateway that is not there is named once, with the cause.
func TestClientErrorsAreValidUTF8AndSayTheURLOnce(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write(append([]byte("upstream \xff\xfe down "), bytes.Repeat([]byte("x"), 2000)...))
	}))
	defer srv.Close()
	_, err := Client{BaseURL: srv.URL}.Routing(context.Background(), "churn")
	var se *StatusError
	require.True(t, errors.As(err, &se))
	assert.True(t, utf8.ValidString(err.Error()))
	assert.Contains(t, se.Body, "upstream \uFFFD down")
	assert.Less(t, len(se.Body), 600, "a long page is cut")

	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	gone := "http://" + l.Addr().String()
	require.NoError(t, l.Close())
	_, err = Client{BaseURL: gone}.Stats(context.Background(), "churn")
	require.Error(t, err)
	assert.Equal(t, 1, strings.Count(err.Error(), gone), err.Error())
	assert.Contains(t, err.Error(), "GET "+gone+"/admin/models/churn/stats: dial tcp")
	assert.Contains(t, err.Error(), "connection refused")
}
