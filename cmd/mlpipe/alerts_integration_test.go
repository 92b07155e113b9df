package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/activities"
	"github.com/mlpipe/mlpipe/internal/alerting"
	"github.com/mlpipe/mlpipe/workflows"
)

// alReceiver runs `mlpipe alerts receive` in-process until the test ends
// and returns its webhook URL.
func (s *stack) alReceiver(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		m := &Main{Stdout: io.Discard, Stderr: io.Discard, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
		done <- m.Run(ctx, []string{"alerts", "receive", "--addr", addr})
	}()
	t.Cleanup(func() { cancel(); <-done })
	url := "http://" + addr + "/v1/alerts"
	require.Eventually(t, func() bool {
		resp, err := http.Get(url)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusMethodNotAllowed
	}, 30*time.Second, 50*time.Millisecond, "the receiver never listened")
	return url
}

// alNotify posts one Alertmanager webhook notification, as Alertmanager does.
func alNotify(t *testing.T, url string, alerts ...alerting.AlertPayload) {
	body, err := json.Marshal(alerting.Notification{Version: "4", Status: alerts[0].Status, Receiver: "mlpipe", Alerts: alerts})
	require.NoError(t, err)
	resp, err := http.Post(url, "application/json", bytes.NewReader(body))
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, string(b))
}

func alDrift(startsAt time.Time) alerting.AlertPayload {
	return alerting.AlertPayload{
		Status: "firing", Fingerprint: "c0ffee12", StartsAt: startsAt,
		Labels: map[string]string{"alertname": "ChurnDrift", "model": "churn-classifier", "severity": "warning",
			"action": "retrain", "cooldown": "24h", "metric_group": "drift"},
		Annotations: map[string]string{"summary": "dataset_drift_share of churn-classifier is 0.83 (>= 0.5)"},
	}
}

func (s *stack) alLoopStatus(t *testing.T) workflows.RetrainLoopStatus {
	t.Helper()
	out, code := s.mlpipe("alerts", "status", "churn-classifier", "-o", "json")
	require.Equal(t, 0, code, out)
	var st workflows.RetrainLoopStatus
	require.NoError(t, json.Unmarshal([]byte(out), &st), out)
	return st
}

// A storm of 100 notifications of one drift incident, from ten senders at
// once, starts exactly one retraining pipeline on the real server: it runs
// the production model's spec and waits at the approval gate. Rejected
// there, it starts no other retraining while the cooldown lasts; the
// registry's lineage of the retrained candidate names the alert.
func TestAnAlertStormStartsOneRetrainingThatWaitsAtTheGate(t *testing.T) {
	s := startStack(t)
	s.deployFirstVersion(t)
	url := s.alReceiver(t)

	out, code := s.mlpipe("alerts", "status", "churn-classifier")
	require.Equal(t, exitUsage, code, out)
	assert.Contains(t, out, "has had no alerts")

	fired := time.Now().Add(-30 * time.Minute).UTC().Truncate(time.Second)
	var wg sync.WaitGroup
	for g := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 10 {
				alNotify(t, url, alDrift(fired))
			}
			_ = g
		}()
	}
	wg.Wait()

	st := s.alLoopStatus(t)
	require.EqualValues(t, 100, st.Notifications)
	require.Len(t, st.Retrainings, 1, "one pipeline for 100 notifications")
	assert.EqualValues(t, 99, st.Suppressed)
	assert.True(t, st.InCooldown)
	id := st.Retrainings[0].WorkflowID
	require.Equal(t, activities.RetrainWorkflowID("churn-classifier", workflows.Alert{Fingerprint: "c0ffee12", StartsAt: fired}.Incident()), id)

	// Exactly one TrainingPipeline besides the first version's.
	ids := s.alTrainingPipelines(t)
	assert.ElementsMatch(t, []string{"churn-v1", id}, ids)

	// The retraining keeps the gate and the person in the loop.
	s.waitForState(id, workflows.StateWaiting)
	out, code = s.mlpipe("reject", id, "--as", "alice", "--comment", "drift is a holiday effect")
	require.Equal(t, 0, code, out)
	res := s.waitForState(id, workflows.OutcomeRejected)
	require.NotNil(t, res.Result)

	out, code = s.mlpipe("models", "show", fmt.Sprintf("churn-classifier@%d", res.Result.Version), "-o", "json")
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, `"alert": "ChurnDrift"`, "the registry's lineage names the alert")
	assert.Contains(t, out, `"pipeline": "`+id+`"`)

	// A new incident within the cooldown starts nothing.
	later := alDrift(time.Now().UTC().Truncate(time.Second))
	later.Fingerprint = "0ddba11"
	alNotify(t, url, later)
	st = s.alLoopStatus(t)
	assert.Len(t, st.Retrainings, 1)
	assert.EqualValues(t, 100, st.Suppressed)
	assert.Len(t, st.Firing, 2)

	if dst := os.Getenv("MLPIPE_RECORD_LOOP_HISTORY"); dst != "" {
		hist := s.temporal("workflow", "show", "-w", workflows.RetrainLoopID("churn-classifier"), "-o", "json")
		require.NoError(t, os.WriteFile(dst, []byte(hist), 0o644))
	}
}

// alTrainingPipelines lists the IDs of every TrainingPipeline on the server.
func (s *stack) alTrainingPipelines(t *testing.T) []string {
	t.Helper()
	list := s.temporal("workflow", "list", "--query", "WorkflowType='TrainingPipeline'", "-o", "json")
	var runs []struct {
		Execution struct {
			WorkflowID string `json:"workflowId"`
		} `json:"execution"`
	}
	require.NoError(t, json.Unmarshal([]byte(list), &runs), list)
	var ids []string
	for _, r := range runs {
		ids = append(ids, r.Execution.WorkflowID)
	}
	return ids
}
