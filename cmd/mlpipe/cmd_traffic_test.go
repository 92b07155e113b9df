package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// trafficGateway answers predicts for "churn" (customer C2 from canary
// version 2, the rest from production version 1) and joins feedback by
// request ID; it records the labels it was sent.
type trafficGateway struct {
	mu     sync.Mutex
	issued map[string]string // request ID → customer
	labels map[string]string // customer → label sent back
	rows   []map[string]any
}

func newTrafficGateway(t *testing.T) (*trafficGateway, string) {
	g := &trafficGateway{issued: map[string]string{}, labels: map[string]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/models/churn:predict", func(w http.ResponseWriter, r *http.Request) {
		var req struct{ Instances []map[string]any }
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.Instances) != 1 {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		cust := req.Instances[0]["customer_id"].(string)
		g.mu.Lock()
		id := fmt.Sprintf("r%d", len(g.issued))
		g.issued[id] = cust
		g.rows = append(g.rows, req.Instances[0])
		g.mu.Unlock()
		version, variant := 1, "production"
		if cust == "C2" {
			version, variant = 2, "canary"
		}
		w.Header().Set("X-Request-Id", id)
		_ = json.NewEncoder(w).Encode(map[string]any{"model": "churn", "version": version, "variant": variant, "request_id": id,
			"predictions": []map[string]any{{"label": "no", "probability": 0.1}}})
	})
	mux.HandleFunc("POST /v1/models/churn/feedback", func(w http.ResponseWriter, r *http.Request) {
		var items []struct {
			RequestID string `json:"request_id"`
			Label     string `json:"label"`
		}
		if err := json.NewDecoder(r.Body).Decode(&items); err != nil {
			http.Error(w, "bad feedback", http.StatusBadRequest)
			return
		}
		g.mu.Lock()
		defer g.mu.Unlock()
		for _, it := range items {
			g.labels[g.issued[it.RequestID]] = it.Label
		}
		_ = json.NewEncoder(w).Encode(map[string]int{"joined": len(items), "unknown": 0})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return g, srv.URL
}

func writeChurnCSV(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "churn.csv")
	csv := "customer_id,plan,monthly_charges,churned\nC1,basic,30.5,yes\nC2,premium,99,no\nC3,basic,25,no\n"
	require.NoError(t, os.WriteFile(path, []byte(csv), 0o644))
	return path
}

func TestTrafficReplaysTheCSVAndPrintsASummary(t *testing.T) {
	g, url := newTrafficGateway(t)
	var out bytes.Buffer
	m := &Main{Stdout: &out, Stderr: &out}

	err := m.traffic(context.Background(), []string{"churn", "--csv", writeChurnCSV(t), "--label", "churned",
		"--value", "monthly_charges", "--rate", "0", "--requests", "7", "--sticky", "customer_id", "--gateway", url})
	require.NoError(t, err, out.String())

	// Rows cycle C1 C2 C3 C1 C2 C3 C1: C2 (canary) twice, the rest 5 times.
	s := out.String()
	assert.Contains(t, s, "traffic churn: 7 requests in")
	assert.Contains(t, s, ", 0 errors\n")
	assert.Regexp(t, `variant canary\s+2\n`, s)
	assert.Regexp(t, `variant production\s+5\n`, s)
	assert.Regexp(t, `version 1\s+5\n`, s)
	assert.Regexp(t, `version 2\s+2\n`, s)
	assert.Contains(t, s, "feedback: 7 sent, 7 joined, 0 unknown\n")
	assert.Contains(t, s, "latency: p50 ")

	g.mu.Lock()
	defer g.mu.Unlock()
	assert.Equal(t, map[string]string{"C1": "yes", "C2": "no", "C3": "no"}, g.labels)
	for _, row := range g.rows {
		assert.NotContains(t, row, "churned")
	}
}

func TestTrafficReportsAGatewayThatFailsEverything(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `model "churn" is not served`, http.StatusNotFound)
	}))
	defer srv.Close()
	var out bytes.Buffer
	m := &Main{Stdout: &out, Stderr: &out}

	err := m.traffic(context.Background(), []string{"churn", "--csv", writeChurnCSV(t), "--requests", "3", "--rate", "0", "--gateway", srv.URL})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "every request failed")
	assert.Contains(t, err.Error(), `404 Not Found: model "churn" is not served`)
	assert.Contains(t, out.String(), "3 requests in")
	assert.Contains(t, out.String(), "3 errors")
}

func TestTrafficUsageErrors(t *testing.T) {
	csv := writeChurnCSV(t)
	cases := map[string]struct {
		args []string
		want string
	}{
		"no model":      {[]string{"--csv", csv}, "usage: mlpipe traffic MODEL --csv FILE"},
		"no csv":        {[]string{"churn"}, "usage: mlpipe traffic MODEL --csv FILE"},
		"bad flag":      {[]string{"churn", "--csv", csv, "--rate", "fast"}, `invalid value "fast" for flag -rate`},
		"unknown label": {[]string{"churn", "--csv", csv, "--label", "churn", "--gateway", "http://127.0.0.1:1"}, `label column "churn" is in none of the rows`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			m := &Main{Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}}
			err := m.traffic(context.Background(), c.args)
			var ee *exitError
			require.True(t, errors.As(err, &ee), "want a usage error, got %v", err)
			assert.Equal(t, exitUsage, ee.code)
			assert.Contains(t, ee.msg, c.want)
		})
	}
}
