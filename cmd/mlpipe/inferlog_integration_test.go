package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/dataplane"
	"github.com/mlpipe/mlpipe/internal/inferlog"
	"github.com/mlpipe/mlpipe/internal/registry"
)

// ilGateway is one `mlpipe serve` process.
type ilGateway struct {
	cmd  *exec.Cmd
	url  string
	logs *syncBuffer
	done chan struct{}
}

// ilDeploy imports a small XGBoost churn model into a fresh artifact
// store, makes it production, and returns the store's folder.
func ilDeploy(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("integration: runs gateway processes")
	}
	files := impTrain(t, false)
	dir := impArtifacts(t)
	_, errOut, code := impRun(t, "models", "import", "churn", "--xgboost", files.model, "--transform", files.transform, "--as", "alice")
	require.Equal(t, 0, code, errOut)
	reg, err := registry.Open(context.Background(), dir)
	require.NoError(t, err)
	require.NoError(t, reg.Promote(context.Background(), "churn", 1, registry.Actor("alice")))
	return dir
}

// ilServe starts `mlpipe serve` over the store in dir and waits until it
// serves churn.
func ilServe(t *testing.T, bin, dir, replica string, flags ...string) *ilGateway {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", cliFreePort(t))
	args := append([]string{"serve", "--addr", addr, "--replica", replica}, flags...)
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "MLPIPE_ARTIFACTS="+dir, "MLPIPE_GATEWAY_REFRESH=200ms")
	g := &ilGateway{cmd: cmd, url: "http://" + addr, logs: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = g.logs, g.logs
	require.NoError(t, cmd.Start())
	go func() { _ = cmd.Wait(); close(g.done) }()
	t.Cleanup(func() { g.kill() })
	require.Eventually(t, func() bool {
		_, code := ilDo(http.MethodGet, g.url+"/v1/models/churn", "", "")
		return code == http.StatusOK
	}, time.Minute, 50*time.Millisecond, "gateway %s never served churn: %s", replica, g.logs)
	return g
}

// stop ends the gateway as an operator would (SIGTERM), which writes what
// its log holds, and waits for it.
func (g *ilGateway) stop(t *testing.T) {
	t.Helper()
	require.NoError(t, g.cmd.Process.Signal(syscall.SIGTERM))
	<-g.done
}

func (g *ilGateway) kill() {
	_ = g.cmd.Process.Kill() // SIGKILL: nothing is flushed
	<-g.done
}

// ilDo sends one request and returns the body and status (0 when the
// gateway did not answer).
func ilDo(method, url, body, requestID string) (string, int) {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		return err.Error(), 0
	}
	if requestID != "" {
		req.Header.Set("X-Request-Id", requestID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err.Error(), 0
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b), resp.StatusCode
}

// ilRows is a predict body of n rows.
func ilRows(n int) string {
	rows := make([]string, n)
	for i := range rows {
		rows[i] = fmt.Sprintf(`{"x1": %.2f, "plan": "pro"}`, float64(i)/4-0.5)
	}
	return `{"instances": [` + strings.Join(rows, ",") + `]}`
}

// ilWindow reads the last hour of churn's logs.
func ilWindow(t *testing.T, dir string, logger *slog.Logger) (*inferlog.WindowInfo, *dataplane.Engine) {
	t.Helper()
	store, err := artifact.NewFileStore(dir)
	require.NoError(t, err)
	eng, err := dataplane.Open(dataplane.Options{Threads: 1, TempDir: t.TempDir()})
	require.NoError(t, err)
	t.Cleanup(func() { _ = eng.Close() })
	now := time.Now()
	w, err := inferlog.Read(context.Background(), store, eng, inferlog.Query{Model: "churn", From: now.Add(-time.Hour), To: now.Add(time.Minute), Logger: logger})
	require.NoError(t, err)
	return w, eng
}

type ilFeedbackAnswer struct {
	Joined, Unknown, Invalid int
	Logged                   *int
}

func ilFeedback(t *testing.T, g *ilGateway, body string) ilFeedbackAnswer {
	t.Helper()
	out, code := ilDo(http.MethodPost, g.url+"/v1/models/churn/feedback", body, "")
	require.Equal(t, http.StatusOK, code, out)
	var a ilFeedbackAnswer
	require.NoError(t, json.Unmarshal([]byte(out), &a), out)
	require.NotNil(t, a.Logged, out)
	return a
}

// Two replicas share one store behind a round-robin client; every label
// goes to the replica that did not make the prediction, and the log joins
// every one of them.
func TestInferLogJoinsFeedbackAcrossTwoReplicas(t *testing.T) {
	dir := ilDeploy(t)
	bin := buildMlpipe(t)
	a := ilServe(t, bin, dir, "gw-a", "--log-flush-interval", "200ms")
	b := ilServe(t, bin, dir, "gw-b", "--log-flush-interval", "200ms")
	replicas := []*ilGateway{a, b}

	const requests, rows = 20, 3
	var fb []string
	for i := range requests {
		id := fmt.Sprintf("req-%d", i)
		out, code := ilDo(http.MethodPost, replicas[i%2].url+"/v1/models/churn:predict", ilRows(rows), id)
		require.Equal(t, http.StatusOK, code, out)
		for r := range rows {
			fb = append(fb, fmt.Sprintf(`{"request_id": %q, "row": %d, "label": "yes", "value": %d}`, id, r, i))
		}
	}
	// Each replica gets the labels of the other's predictions, and one
	// label for a request nobody made.
	for i, g := range replicas {
		var mine []string
		for j := range requests {
			if j%2 != i {
				mine = append(mine, fb[j*rows:(j+1)*rows]...)
			}
		}
		mine = append(mine, fmt.Sprintf(`{"request_id": "never-%d", "label": "no"}`, i))
		ans := ilFeedback(t, g, "["+strings.Join(mine, ",")+"]")
		assert.Equal(t, 0, ans.Joined, "this replica holds none of these predictions")
		assert.Equal(t, requests/2*rows+1, ans.Unknown)
		assert.Equal(t, requests/2*rows+1, *ans.Logged)
	}
	a.stop(t)
	b.stop(t)

	w, eng := ilWindow(t, dir, nil)
	assert.Equal(t, int64(requests*rows), w.Predictions)
	assert.Equal(t, int64(requests*rows+2), w.Feedback)
	assert.Equal(t, int64(requests*rows), w.Joined)
	assert.Equal(t, int64(2), w.UnknownFeedback)
	assert.Empty(t, w.Skipped)
	var crossed int
	require.NoError(t, eng.DB().QueryRow(`SELECT count(*) FROM predictions p JOIN feedback f
		ON p.request_id = f.request_id AND p."row" = f."row" WHERE p.replica <> f.replica`).Scan(&crossed))
	assert.Equal(t, requests*rows, crossed)
	var byReplica string
	require.NoError(t, eng.DB().QueryRow(`SELECT string_agg(replica || '=' || n, ',' ORDER BY replica) FROM
		(SELECT replica, count(*) AS n FROM predictions GROUP BY replica)`).Scan(&byReplica))
	assert.Equal(t, "gw-a=30,gw-b=30", byReplica)
}

// A gateway killed with SIGKILL under steady traffic loses at most the
// rows answered since its last flush; the reader skips nothing silently
// (a half-written file is skipped with a warning that names it); and a
// label sent after the restart joins a prediction made before the kill.
func TestInferLogSurvivesSIGKILLAndJoinsALabelAfterRestart(t *testing.T) {
	dir := ilDeploy(t)
	bin := buildMlpipe(t)
	const flushEvery = time.Second
	g := ilServe(t, bin, dir, "gw-a", "--log-flush-interval", flushEvery.String())

	// A sequential client: requests are answered in order.
	type ack struct {
		id string
		at time.Time
	}
	var (
		mu    sync.Mutex
		acked []ack
	)
	stopTraffic := make(chan struct{})
	trafficDone := make(chan struct{})
	go func() {
		defer close(trafficDone)
		for i := 0; ; i++ {
			select {
			case <-stopTraffic:
				return
			default:
			}
			id := fmt.Sprintf("k-%05d", i)
			if _, code := ilDo(http.MethodPost, g.url+"/v1/models/churn:predict", ilRows(1), id); code == http.StatusOK {
				mu.Lock()
				acked = append(acked, ack{id, time.Now()})
				mu.Unlock()
			}
		}
	}()
	// Kill once a few batches are out, with traffic still flowing.
	require.Eventually(t, func() bool {
		out, _ := ilDo(http.MethodGet, g.url+"/healthz", "", "")
		var h struct {
			InferenceLog struct{ Files int } `json:"inference_log"`
		}
		return json.Unmarshal([]byte(out), &h) == nil && h.InferenceLog.Files >= 3
	}, time.Minute, 20*time.Millisecond)
	killedAt := time.Now()
	g.kill()
	close(stopTraffic)
	<-trafficDone

	var logs bytes.Buffer
	w, eng := ilWindow(t, dir, slog.New(slog.NewTextHandler(&logs, nil)))
	assert.Empty(t, w.Skipped, "batches are published whole: %s", logs.String())
	logged := map[string]bool{}
	rows, err := eng.DB().Query(`SELECT request_id FROM predictions`)
	require.NoError(t, err)
	for rows.Next() {
		var id string
		require.NoError(t, rows.Scan(&id))
		logged[id] = true
	}
	require.NoError(t, rows.Err())
	require.NoError(t, rows.Close())

	// What was lost is the tail: no answered row older than the newest
	// logged one is missing, and the tail is within one flush interval
	// (doubled for a batch still being written on a busy machine).
	lastLogged, lost, recent := -1, 0, 0
	for i, a := range acked {
		if logged[a.id] {
			lastLogged = i
		}
	}
	for i, a := range acked {
		if logged[a.id] {
			continue
		}
		lost++
		assert.Greater(t, i, lastLogged, "answered row %s is missing from the log, but later ones were written", a.id)
	}
	for _, a := range acked {
		if a.at.After(killedAt.Add(-2 * flushEvery)) {
			recent++
		}
	}
	t.Logf("answered %d rows, logged %d, lost %d; %d answered in the last %s before SIGKILL", len(acked), len(logged), lost, recent, 2*flushEvery)
	require.Positive(t, len(logged))
	assert.LessOrEqual(t, lost, recent, "lost more than the unflushed buffer")
	assert.LessOrEqual(t, len(logged), len(acked)+1, "at most the request in flight at the kill is logged unanswered")

	// A half-written copy of a batch (as a copy tool that is not atomic
	// leaves one) is skipped with a warning naming it.
	store, err := artifact.NewFileStore(dir)
	require.NoError(t, err)
	keys, err := store.List(context.Background(), "inference/churn/")
	require.NoError(t, err)
	require.NotEmpty(t, keys)
	data, err := os.ReadFile(filepath.Join(dir, keys[0]))
	require.NoError(t, err)
	half := filepath.Join(filepath.Dir(keys[0]), "copied-half.parquet")
	require.NoError(t, os.WriteFile(filepath.Join(dir, half), data[:len(data)/2], 0o644))
	logs.Reset()
	w2, _ := ilWindow(t, dir, slog.New(slog.NewTextHandler(&logs, nil)))
	require.Len(t, w2.Skipped, 1)
	assert.Contains(t, w2.Skipped[0], half)
	assert.Contains(t, logs.String(), half)
	assert.Equal(t, w.Predictions, w2.Predictions, "the rest is read as before")

	// Restarted, the gateway holds none of the old predictions in memory,
	// yet a label for one made before the kill joins over the log.
	g2 := ilServe(t, bin, dir, "gw-a")
	first := acked[0].id
	ans := ilFeedback(t, g2, fmt.Sprintf(`{"request_id": %q, "label": "yes"}`, first))
	assert.Equal(t, 1, ans.Unknown)
	assert.Equal(t, 1, *ans.Logged)
	g2.stop(t)
	require.NoError(t, os.Remove(filepath.Join(dir, half)))
	w3, eng3 := ilWindow(t, dir, nil)
	assert.Equal(t, int64(1), w3.Feedback)
	assert.Equal(t, int64(1), w3.Joined)
	assert.Zero(t, w3.UnknownFeedback)
	var label string
	require.NoError(t, eng3.DB().QueryRow(`SELECT label FROM joined WHERE request_id = ? AND label IS NOT NULL`, first).Scan(&label))
	assert.Equal(t, "yes", label)
}

// mlpipe serve refuses log settings out of range, naming the flag and the range.
func TestInferLogServeRefusesBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--log-flush-interval", "1ms"}, "--log-flush-interval 1ms is out of range: use 10ms to 1h"},
		{[]string{"--log-flush-interval", "2h"}, "--log-flush-interval 2h0m0s is out of range: use 10ms to 1h"},
		{[]string{"--log-flush-rows", "0"}, "--log-flush-rows 0 is out of range: use 1 to 1000000"},
		{[]string{"--log-flush-rows", "2000000"}, "--log-flush-rows 2000000 is out of range: use 1 to 1000000"},
		{[]string{"--log-retention", "30m"}, "--log-retention 30m0s is out of range: use at least 1h, or 0 to keep the log forever"},
		{[]string{"--log-retention", "-1h"}, "--log-retention -1h0m0s is out of range"},
	} {
		_, errOut, code := impRun(t, append([]string{"serve", "--addr", "127.0.0.1:0"}, tc.args...)...)
		assert.Equal(t, 2, code, "%v: %s", tc.args, errOut)
		assert.Contains(t, errOut, tc.want, tc.args)
	}
}
