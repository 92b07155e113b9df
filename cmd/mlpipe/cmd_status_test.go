package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/mocks"
	"go.temporal.io/sdk/temporal"

	"github.com/mlpipe/mlpipe/activities"
	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/spec"
	"github.com/mlpipe/mlpipe/workflows"
)

func resultText(r workflows.PipelineResult) string {
	var buf bytes.Buffer
	printResult(&buf, r)
	return buf.String()
}

func TestStatusHeadlinesTheModelsOwnF1(t *testing.T) {
	binary := workflows.PipelineResult{Outcome: workflows.OutcomeDeployed, Model: "churn-classifier", Version: 2,
		Metrics: map[string]float64{"f1": 0.84, "f1_macro": 0.88, "accuracy": 0.9, "roc_auc": 0.93}}
	assert.Equal(t, "result: deployed: churn-classifier version 2 is in production\n"+
		"  test f1 0.8400, accuracy 0.9000, roc_auc 0.9300\n", resultText(binary))

	// Three classes have no binary f1 or roc_auc: the line reads the
	// macro F1 and the one-vs-rest AUC instead of printing nothing.
	multi := workflows.PipelineResult{Outcome: workflows.OutcomeGateFailed, Model: "plan-classifier",
		Metrics: map[string]float64{"f1_macro": 0.71, "f1_weighted": 0.73, "accuracy": 0.74, "roc_auc_ovr": 0.88}}
	assert.Equal(t, "result: rejected_by_gate: plan-classifier was not registered\n"+
		"  test f1_macro 0.7100, accuracy 0.7400, roc_auc_ovr 0.8800\n", resultText(multi))

	// A test split missing a class leaves roc_auc_ovr undefined: n/a,
	// not a zero that reads as the worst possible model.
	delete(multi.Metrics, "roc_auc_ovr")
	assert.Equal(t, "result: rejected_by_gate: plan-classifier was not registered\n"+
		"  test f1_macro 0.7100, accuracy 0.7400, roc_auc_ovr n/a\n", resultText(multi))
}

func TestUsageNamesBothExampleGenerators(t *testing.T) {
	var buf bytes.Buffer
	code := (&Main{Stdout: &buf, Stderr: &buf}).Run(context.Background(), []string{"help"})
	assert.Equal(t, exitOK, code)
	assert.Contains(t, buf.String(), "mlpipe gen churn|plans --rows N --seed S")
}

// Every outcome's line says what happened to the model, and why.
func TestResultLineSaysWhatHappened(t *testing.T) {
	base := workflows.PipelineResult{Model: "churn-classifier", Version: 12}
	with := func(f func(*workflows.PipelineResult)) workflows.PipelineResult {
		r := base
		f(&r)
		return r
	}
	cases := []struct {
		name string
		r    workflows.PipelineResult
		want string
	}{
		{"promoted", with(func(r *workflows.PipelineResult) { r.Outcome = workflows.OutcomeDeployed }),
			"result: deployed: churn-classifier version 12 is in production\n"},
		{"rejected", with(func(r *workflows.PipelineResult) {
			r.Outcome, r.Reason = workflows.OutcomeRejected, "rejected by alice: age 70+ slice regressed"
			r.Approval = &activities.Approval{Decision: workflows.DecisionRejected, Approver: "alice", Comment: "age 70+ slice regressed", Via: "update"}
		}), "result: rejected: churn-classifier version 12 was rejected by alice: age 70+ slice regressed\n"},
		{"rejected without a comment", with(func(r *workflows.PipelineResult) {
			r.Outcome, r.Reason = workflows.OutcomeRejected, "rejected by bob: "
			r.Approval = &activities.Approval{Decision: workflows.DecisionRejected, Approver: "bob", Via: "signal"}
		}), "result: rejected: churn-classifier version 12 was rejected by bob\n"},
		{"rejected, the approval not recorded", with(func(r *workflows.PipelineResult) {
			r.Outcome, r.Reason = workflows.OutcomeRejected, "rejected by bob: too slow"
		}), "result: rejected: churn-classifier version 12 was rejected by bob: too slow\n"},
		{"approval timed out", with(func(r *workflows.PipelineResult) {
			r.Outcome, r.Reason = workflows.OutcomeApprovalTimeout, "nobody approved within 72h"
		}), "result: approval_timed_out: churn-classifier version 12 was not promoted: nobody approved within 72h\n"},
		{"refused by the gate", workflows.PipelineResult{Model: "churn-classifier", Outcome: workflows.OutcomeGateFailed,
			Reason: "gate rules not met: f1 >= 0.95 (got 0.8400, point estimate)",
			Thresholds: []spec.Threshold{
				{Metric: "f1", Rule: "f1 >= 0.95", Actual: 0.84, Passed: false},
				{Metric: "roc_auc", Rule: "roc_auc >= 0.8", Actual: 0.91, Passed: true},
				{Metric: "f1", Rule: "f1 >= champion - 0.01", Actual: -0.03, Passed: false},
			}},
			"result: rejected_by_gate: churn-classifier was not registered: f1 >= 0.95 fails (got 0.8400); f1 >= champion - 0.01 fails (got -0.0300)\n"},
		{"rolled back", with(func(r *workflows.PipelineResult) {
			r.Outcome, r.Reason = workflows.OutcomeRolledBack, "2 failed analyses in a row: error rate 4.1% vs 0.3%"
		}), "result: rolled_back: churn-classifier version 12 was rolled back, production is unchanged: 2 failed analyses in a row: error rate 4.1% vs 0.3%\n"},
		{"aborted", with(func(r *workflows.PipelineResult) {
			r.Outcome, r.Reason = workflows.OutcomeAborted, "aborted by bob: latency"
		}), "result: aborted: the rollout of churn-classifier version 12 was aborted, production is unchanged: aborted by bob: latency\n"},
		{"discarded", with(func(r *workflows.PipelineResult) {
			r.Outcome, r.Reason = workflows.OutcomeDiscarded, "the shadow's last analysis did not pass: agreement 0.81"
		}), "result: discarded: churn-classifier version 12 was discarded after its shadow run, production is unchanged: the shadow's last analysis did not pass: agreement 0.81\n"},
		{"failed", workflows.PipelineResult{Outcome: workflows.StateFailed, Reason: "data_validation: column age: 12 values outside [0, 120]"},
			"result: failed: data_validation: column age: 12 values outside [0, 120]\n"},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, resultText(c.r), c.name)
	}
}

// `mlpipe run` exits as the README says: 0 when the model was promoted,
// 3 when the pipeline ended without promoting it, 1 when it failed.
func TestRunExitCodesFollowTheOutcome(t *testing.T) {
	follow := func(outcome string, runErr error) (int, string) {
		c := &mocks.Client{}
		c.On("QueryWorkflow", mock.Anything, "p-1", "", workflows.QueryStatus).Return(nil, errors.New("no worker")).Maybe()
		wr := &mocks.WorkflowRun{}
		wr.On("GetID").Return("p-1")
		wr.On("Get", mock.Anything, mock.Anything).Run(func(args mock.Arguments) {
			*args.Get(1).(*workflows.PipelineResult) = workflows.PipelineResult{Model: "churn-classifier", Version: 3, Outcome: outcome}
		}).Return(runErr)
		var out bytes.Buffer
		m := &Main{Stdout: &out, Stderr: &out}
		return cliExitCode(m.follow(context.Background(), c, wr)), out.String()
	}
	for outcome, want := range map[string]int{
		workflows.OutcomeDeployed:        exitOK,
		workflows.OutcomeRejected:        exitNotDeployed,
		workflows.OutcomeApprovalTimeout: exitNotDeployed,
		workflows.OutcomeGateFailed:      exitNotDeployed,
		workflows.OutcomeRolledBack:      exitNotDeployed,
		workflows.OutcomeAborted:         exitNotDeployed,
		workflows.OutcomeDiscarded:       exitNotDeployed,
	} {
		code, out := follow(outcome, nil)
		assert.Equal(t, want, code, outcome)
		assert.Contains(t, out, "result: "+outcome, outcome)
	}
	code, _ := follow("", temporal.NewNonRetryableApplicationError("column age is missing", "InvalidInput", nil))
	assert.Equal(t, exitFailure, code, "a failed pipeline")
}

// cliExitCode is the code Main.Run exits with for a command's error.
func cliExitCode(err error) int {
	var ee *exitError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ee):
		return ee.code
	default:
		return exitFailure
	}
}

// The Web UI link names the UI of the server the CLI talks to, or is left
// out: MLPIPE_UI_URL wins; else the UI `mlpipe dev` recorded, only for the
// address it serves and only while it runs.
func TestWebUILinkComesFromTheConnection(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv("TEMPORAL_NAMESPACE", "ml")
	t.Setenv("TEMPORAL_ADDRESS", "127.0.0.1:7233")
	t.Setenv(EnvUIURL, "")
	link := func() string {
		var b bytes.Buffer
		printWebUILink(&b, "churn 1")
		return b.String()
	}
	assert.Empty(t, link(), "no setting and no dev server: no link rather than a wrong one")

	require.NoError(t, writeDevState(devState{Address: "127.0.0.1:7233", UIURL: "http://localhost:9233", PID: os.Getpid()}))
	assert.Equal(t, "  Web UI: http://localhost:9233/namespaces/ml/workflows/churn%201\n", link())
	t.Setenv("TEMPORAL_ADDRESS", "localhost:7233")
	assert.Equal(t, "  Web UI: http://localhost:9233/namespaces/ml/workflows/churn%201\n", link(), "localhost is the loopback")

	t.Setenv("TEMPORAL_ADDRESS", "temporal.example.com:7233")
	assert.Empty(t, link(), "another server's UI is not the dev server's")
	t.Setenv("TEMPORAL_ADDRESS", "127.0.0.1:7234")
	assert.Empty(t, link())

	t.Setenv(EnvUIURL, "https://ui.example.com/")
	assert.Equal(t, "  Web UI: https://ui.example.com/namespaces/ml/workflows/churn%201\n", link())
	t.Setenv(EnvUIURL, "")

	// A record left by a dev server that is gone is ignored.
	t.Setenv("TEMPORAL_ADDRESS", "127.0.0.1:7233")
	dead := exec.Command("true")
	require.NoError(t, dead.Run())
	require.NoError(t, writeDevState(devState{Address: "127.0.0.1:7233", UIURL: "http://localhost:9233", PID: dead.Process.Pid}))
	assert.Empty(t, link())

	// The dev server forgets its record when it stops.
	require.NoError(t, writeDevState(devState{Address: "127.0.0.1:7233", UIURL: "http://localhost:9233", PID: os.Getpid()}))
	removeDevState()
	assert.NoFileExists(t, devStateFile)
	assert.Empty(t, link())
}

func TestProgressTextReadsTheHeartbeat(t *testing.T) {
	details := func(p activities.TrainingProgress) *commonpb.Payloads {
		pl, err := converter.GetDefaultDataConverter().ToPayloads(p)
		require.NoError(t, err)
		return pl
	}
	started := enumspb.PENDING_ACTIVITY_STATE_STARTED
	scheduled := enumspb.PENDING_ACTIVITY_STATE_SCHEDULED
	cases := []struct {
		pa   *workflowpb.PendingActivityInfo
		want string
	}{
		{&workflowpb.PendingActivityInfo{State: started, Attempt: 1, HeartbeatDetails: details(activities.TrainingProgress{Epoch: 340, Epochs: 1000, Loss: 0.41234})},
			"epoch 340/1000, loss 0.4123 (attempt 1)"},
		{&workflowpb.PendingActivityInfo{State: started, Attempt: 1, HeartbeatDetails: details(activities.TrainingProgress{WaitingForSlot: true})},
			"waiting for a training slot (attempt 1)"},
		{&workflowpb.PendingActivityInfo{State: started, Attempt: 1}, "starting (attempt 1)"},
		{&workflowpb.PendingActivityInfo{State: scheduled, Attempt: 1}, "waiting for a worker on mlpipe-gpu (attempt 1)"},
		{&workflowpb.PendingActivityInfo{State: scheduled, Attempt: 2, HeartbeatDetails: details(activities.TrainingProgress{Epoch: 23, Epochs: 400,
			Checkpoint: artifact.Ref{URI: "file:///a/checkpoints/m/wf/run/5/epoch-0020.json"}})},
			"retrying from the checkpoint after epoch 20 (attempt 2)"},
		{&workflowpb.PendingActivityInfo{State: scheduled, Attempt: 3}, "retrying (attempt 3)"},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, progressText(c.pa))
	}
}

// --wait-for stops at every outcome a pipeline can end with, a rollout's
// included, rather than waiting out its timeout.
func TestWaitForStopsAtEveryEndingOutcome(t *testing.T) {
	for _, s := range []string{workflows.StateFailed, workflows.OutcomeDeployed, workflows.OutcomeGateFailed,
		workflows.OutcomeRejected, workflows.OutcomeApprovalTimeout, workflows.OutcomeRolledBack,
		workflows.OutcomeAborted, workflows.OutcomeDiscarded} {
		if !terminal(s) {
			t.Errorf("terminal(%q) = false: mlpipe status --wait-for would wait out its timeout on a pipeline that ended %s", s, s)
		}
	}
	for _, s := range []string{workflows.StateRunning, workflows.StateWaiting, workflows.StatePending} {
		if terminal(s) {
			t.Errorf("terminal(%q) = true for a pipeline still going", s)
		}
	}
}

// Following a rollout rides out a server too busy to answer in time; a
// refusal, or the user's own cancel, still ends it.
func TestFollowingARolloutRidesOutABusyServer(t *testing.T) {
	ctx := context.Background()
	assert.True(t, transientRPC(ctx, fmt.Errorf("rollout x: %w", context.DeadlineExceeded)))
	assert.True(t, transientRPC(ctx, serviceerror.NewUnavailable("restarting")))
	assert.True(t, transientRPC(ctx, serviceerror.NewDeadlineExceeded("slow")))
	assert.False(t, transientRPC(ctx, serviceerror.NewInvalidArgument("bad")))
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	assert.False(t, transientRPC(cancelled, context.DeadlineExceeded), "the user's own deadline ends the follow")
}
