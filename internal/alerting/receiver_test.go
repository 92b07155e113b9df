package alerting_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/alerting"
)

func TestReceiverHandsOnAlertsAndSaysWhatItCouldNotTake(t *testing.T) {
	var got []alerting.Delivery
	fail := false
	h := alerting.Receiver(func(_ context.Context, d alerting.Delivery) error {
		if fail {
			return errors.New("the server is down")
		}
		got = append(got, d)
		return nil
	}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	post := func(body string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/v1/alerts", strings.NewReader(body)))
		return w
	}

	w := post(`{"receiver": "mlpipe", "alerts": [`)
	assert.Equal(t, http.StatusBadRequest, w.Code)
	assert.Contains(t, w.Body.String(), "not an Alertmanager webhook notification")

	ok := `{"version": "4", "status": "firing", "alerts": [
	  {"status": "firing", "fingerprint": "ab", "startsAt": "2026-12-05T10:00:00Z",
	   "labels": {"alertname": "ChurnDrift", "model": "churn", "action": "retrain", "cooldown": "2d"}},
	  {"status": "firing", "fingerprint": "cd", "startsAt": "2026-12-05T10:00:00Z",
	   "labels": {"alertname": "Watchdog"}}]}`
	w = post(ok)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	require.Len(t, got, 1, "an alert about no model is logged only")
	assert.Equal(t, "churn", got[0].Model)
	assert.Equal(t, 48*time.Hour, got[0].Cooldown)

	// A loop that cannot be reached: 503, so Alertmanager sends it again.
	fail = true
	w = post(ok)
	assert.Equal(t, http.StatusServiceUnavailable, w.Code)
	assert.Contains(t, w.Body.String(), "the server is down")

	bad := strings.Replace(ok, `"cooldown": "2d"`, `"cooldown": "soon"`, 1)
	fail = false
	w = post(bad)
	assert.Equal(t, http.StatusServiceUnavailable, w.Code)
	assert.Contains(t, w.Body.String(), `label cooldown: "soon" is not a positive duration`)

	w = httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/v1/alerts", nil))
	assert.Equal(t, http.StatusMethodNotAllowed, w.Code)
}
