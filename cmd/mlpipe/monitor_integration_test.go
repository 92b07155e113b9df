package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/dataplane"
	"github.com/mlpipe/mlpipe/internal/inferlog"
	"github.com/mlpipe/mlpipe/internal/monitor"
)

const monModel = "churn-classifier"

// monSendTraffic replays n customers of the example data, with their
// outcomes as feedback, plus any --drift flags, and waits until the
// gateway's inference log holds them and their feedback (it flushes every
// second), so a monitor run that starts next reads them.
func (s *stack) monSendTraffic(t *testing.T, n int, drift ...string) {
	t.Helper()
	before := s.monLogged(t)
	args := []string{"traffic", monModel, "--csv", filepath.Join(s.specDir, "data/churn.csv"), "--label", "churned",
		"--value", "monthly_charges", "--requests", strconv.Itoa(n), "--rate", "0", "--gateway", s.gateway, "--progress", "1h"}
	for _, d := range drift {
		args = append(args, "--drift", d)
	}
	out, code := s.mlpipe(args...)
	require.Equal(t, 0, code, out)
	require.Contains(t, out, "0 errors", out)
	require.Eventually(t, func() bool {
		w := s.monLogged(t)
		return w.Predictions >= before.Predictions+int64(n) && w.Feedback >= before.Feedback+int64(n)
	}, time.Minute, 250*time.Millisecond, "the gateway's log never held the %d rows sent", n)
}

// monLogged counts what the inference log holds for the model.
func (s *stack) monLogged(t *testing.T) *inferlog.WindowInfo {
	t.Helper()
	ctx := context.Background()
	store, err := artifact.Open(ctx, filepath.Join(s.tmp, "artifacts"))
	require.NoError(t, err)
	eng, err := dataplane.Open(dataplane.Options{})
	require.NoError(t, err)
	defer eng.Close()
	now := time.Now()
	w, err := inferlog.Window(ctx, store, eng, monModel, now.Add(-24*time.Hour), now.Add(time.Hour))
	require.NoError(t, err)
	return w
}

// monRun triggers the model's Schedule once and returns what
// `mlpipe monitor run` printed and the snapshot it wrote.
func (s *stack) monRun(t *testing.T) (string, monitor.Snapshot) {
	t.Helper()
	out, code := s.mlpipe("monitor", "run", monModel)
	require.Equal(t, 0, code, out)
	m := regexp.MustCompile(`json +file://(\S+)`).FindStringSubmatch(out)
	require.NotNil(t, m, "monitor run names the snapshot's JSON: %s", out)
	b, err := os.ReadFile(m[1])
	require.NoError(t, err)
	var snap monitor.Snapshot
	require.NoError(t, json.Unmarshal(b, &snap))
	html := strings.TrimSuffix(m[1], monitor.SnapshotFile) + monitor.PageFile
	page, err := os.ReadFile(html)
	require.NoError(t, err, "the HTML page sits beside the JSON")
	require.Contains(t, string(page), snap.Verdict)
	return out, snap
}

func monDrifted(snap monitor.Snapshot) map[string]bool {
	out := map[string]bool{}
	for _, r := range snap.Drift.Features {
		out[r.Column] = r.Drifted
	}
	return out
}

// The deployment schedules the monitor of a model it makes production;
// each triggered run reads the window since the previous one and writes a
// snapshot: an empty window says "no traffic", clean traffic is not
// flagged, drifted traffic is, with the drifted features named and plotted.
func TestMonitorScheduleFlagsDriftedTrafficNotClean(t *testing.T) {
	s := startStack(t)
	s.deployFirstVersion(t)

	// The deployment created the Schedule: every 15 minutes, overlap skip.
	desc := s.temporal("schedule", "describe", "--schedule-id", "monitor-"+monModel, "-o", "json")
	assert.Contains(t, desc, `"SCHEDULE_OVERLAP_POLICY_SKIP"`)
	assert.Contains(t, desc, "ModelMonitor")
	out, code := s.mlpipe("monitor", "ls")
	require.Equal(t, 0, code, out)
	assert.Regexp(t, monModel+`\s+monitor-`+monModel+`\s+15m0s\s+running`, out)
	// A day's interval, so no scheduled run lands among the triggered ones.
	out, code = s.mlpipe("monitor", "start", monModel, "--every", "24h")
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, "updated")

	out, snap := s.monRun(t)
	assert.Equal(t, monitor.VerdictNoTraffic, snap.Verdict, out)
	assert.Contains(t, out, "verdict  no traffic")
	assert.Zero(t, snap.Traffic.Predictions)

	s.monSendTraffic(t, 800)
	out, snap = s.monRun(t)
	assert.Equal(t, monitor.VerdictOK, snap.Verdict, out)
	assert.EqualValues(t, 800, snap.Traffic.Predictions, "the window starts where the previous snapshot ended")
	assert.EqualValues(t, 800, snap.Traffic.Joined)
	assert.Zero(t, snap.Traffic.UnknownFeedback)
	assert.NotEmpty(t, snap.Reference, "the version's reference profile was recorded at registration")
	drifted := monDrifted(snap)
	assert.Contains(t, drifted, "monthly_charges")
	for col, d := range drifted {
		assert.False(t, d, "clean traffic flagged %s", col)
	}
	require.NotEmpty(t, snap.Performance.Realised)
	require.NotEmpty(t, snap.Performance.Estimated)
	require.NotEmpty(t, snap.Business)
	assert.Positive(t, snap.Business[0].Value, "value per variant from the feedback")
	assert.NotEmpty(t, snap.Infra.Queues, "task queue backlog and pollers")
	assert.NotNil(t, snap.Infra.Worker)
	assert.NotNil(t, snap.Infra.Gateway, "the gateway's CPU, memory and goroutines from its /metrics: %v", snap.Infra.Notes)
	assert.NotEmpty(t, snap.Infra.GPU, "GPU figures, or none")

	s.monSendTraffic(t, 800, "mean_shift:1:monthly_charges", "new_category:0.3:plan")
	out, snap = s.monRun(t)
	assert.Contains(t, []string{monitor.VerdictDrift, monitor.VerdictDatasetDrift}, snap.Verdict, out)
	assert.EqualValues(t, 800, snap.Traffic.Predictions)
	drifted = monDrifted(snap)
	assert.True(t, drifted["monthly_charges"], "a one-sigma shift is flagged")
	assert.True(t, drifted["plan"], "a 30%% new category is flagged")
	assert.Contains(t, snap.Summary, "monthly_charges")
	var unseen int64
	for _, c := range snap.Quality.Columns {
		if c.Column == "plan" {
			unseen = c.Unseen
		}
	}
	assert.Positive(t, unseen, "the new category is counted as unseen")
	out, code = s.mlpipe("monitor", "report", monModel)
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, "verdict  "+snap.Verdict)
	assert.Contains(t, out, "html     file://")

	// Each run is findable by its model in the Web UI's list.
	list, err := exec.Command(s.srv.CLI, "workflow", "list", "--address", s.srv.HostPort,
		"--query", "MLModelName='"+monModel+"' AND WorkflowType='ModelMonitor'").CombinedOutput()
	require.NoError(t, err, string(list))
	assert.Equal(t, 3, strings.Count(string(list), "ModelMonitor"), string(list))

	if dst := os.Getenv("MLPIPE_RECORD_MONITOR_HISTORY"); dst != "" {
		wid := regexp.MustCompile(`monitor-` + monModel + `-\S+`).FindString(string(list))
		require.NotEmpty(t, wid)
		hist := s.temporal("workflow", "show", "-w", wid, "-o", "json")
		require.NoError(t, os.WriteFile(dst, []byte(hist), 0o644))
	}
}

// A monitor for a model with no production version is refused with exit
// status 2 and a message that says what to do.
func TestMonitorOfAModelWithoutProductionExitsTwo(t *testing.T) {
	s := startStack(t)
	out, code := s.mlpipe("monitor", "start", monModel)
	assert.Equal(t, exitUsage, code, out)
	assert.Contains(t, out, `model "churn-classifier" has no production version to monitor: deploy one first`)
	out, code = s.mlpipe("monitor", "report", monModel)
	assert.Equal(t, exitUsage, code, out)
	assert.Contains(t, out, "has no production version")
	out, code = s.mlpipe("monitor", "run", monModel)
	assert.Equal(t, exitUsage, code, out)
	assert.Contains(t, out, `model "churn-classifier" has no monitor: start one with mlpipe monitor start churn-classifier`)
	out, code = s.mlpipe("monitor", "start", monModel, "--every", "1s")
	assert.Equal(t, exitUsage, code, out)
	assert.Contains(t, out, "the monitor's interval must be from 10s to 7d")
}

// monMain runs the program in-process without a stack.
func monMain(args ...string) (string, int) {
	var out strings.Builder
	m := &Main{Stdout: &out, Stderr: &out}
	code := m.Run(context.Background(), args)
	return out.String(), code
}

// `mlpipe gen --drift` writes drifted data; a bad drift is refused with
// exit status 2, naming the kind, the amount's range or the column.
func TestGenAndTrafficDriftFlags(t *testing.T) {
	dir := t.TempDir()
	clean, drifted := filepath.Join(dir, "clean.csv"), filepath.Join(dir, "drifted.csv")
	out, code := monMain("gen", "churn", "--rows", "400", "--seed", "5", "-o", clean)
	require.Equal(t, 0, code, out)
	out, code = monMain("gen", "churn", "--rows", "400", "--seed", "5", "-o", drifted,
		"--drift", "new_category:1", "--drift", "nulls:1:age")
	require.Equal(t, 0, code, out)
	b, err := os.ReadFile(drifted)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	require.Len(t, lines, 401)
	assert.Equal(t, "customer_id,age,status,plan,tenure_months,monthly_charges,support_calls,last_activity,churned", lines[0])
	assert.Regexp(t, `^C000001,,unseen,`, lines[1], "every status is the new category and every age is null")

	for _, c := range []struct{ args []string }{
		{[]string{"gen", "churn", "--drift", "shift:1"}},
		{[]string{"gen", "churn", "--drift", "nulls:2"}},
		{[]string{"gen", "churn", "--drift", "mean_shift:1:plan"}},
		{[]string{"gen", "churn", "--drift", "nulls:0.1:nosuch"}},
		{[]string{"traffic", monModel, "--csv", clean, "--drift", "label_shift:300", "--gateway", "http://127.0.0.1:1"}},
		{[]string{"traffic", monModel, "--csv", clean, "--drift", "label_shift:5", "--gateway", "http://127.0.0.1:1"}},
	} {
		out, code := monMain(c.args...)
		assert.Equal(t, exitUsage, code, "%v: %s", c.args, out)
	}
	out, _ = monMain("gen", "churn", "--drift", "shift:1")
	assert.Contains(t, out, `unknown drift kind "shift": want one of mean_shift, new_category, nulls, label_shift`)
	out, _ = monMain("gen", "churn", "--drift", "nulls:2")
	assert.Contains(t, out, "nulls amount 2: want a share of rows above 0 and at most 1")
	out, _ = monMain("gen", "churn", "--drift", "mean_shift:1:plan")
	assert.Contains(t, out, `column "plan" is not numeric: mean_shift needs a numeric column`)
	out, _ = monMain("gen", "churn", "--drift", "nulls:0.1:nosuch")
	assert.Contains(t, out, `column "nosuch" is not in the data; it has customer_id, age,`)
	out, _ = monMain("traffic", monModel, "--csv", clean, "--drift", "label_shift:5", "--gateway", "http://127.0.0.1:1")
	assert.Contains(t, out, "label_shift needs the label column: name it")
}
