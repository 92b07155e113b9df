package workflows

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// replayRequired are the recorded histories both replay tests must find,
// each with why it is kept.
var replayRequired = []struct{ file, why string }{
	{"search_completed.json", "the search's history is replayed too"},
	{"search_v1_completed.json", "and one from before max_parallel defaulted to 16"},
	{"search_v0_completed.json", "and a search from before its version markers"},
	{"canary_v0_stuck_aborted.json", "and a canary from before the rollout-bounded-gateway marker"},
	{"churn_deployed.json", "a pipeline from before the pipeline-strict-spec marker"},
	{"churn_v1_strict_deployed.json", "and one with it"},
	{"churn_v2_recorded_decisions_deployed.json", "and one whose decisions are local activities"},
	{"shadow_v1_first_run.json", "a shadow's run that continues as new"},
	{"shadow_v1_last_run.json", "and the run it handed over to"},
	{"churn_v3_compensated_rolled_back.json", "a pipeline that rolled back the rollout it lost"},
	{"search_v2_first_run.json", "a search's run that continues as new"},
	{"search_v2_last_run.json", "and the run it handed over to"},
	{"churn_import_deployed.json", "a pipeline that imports its model"},
}

// requireRecorded fails unless every history of replayRequired is there.
func requireRecorded(t *testing.T, files []string) {
	t.Helper()
	for _, r := range replayRequired {
		require.Contains(t, files, filepath.Join("testdata", r.file), r.why)
	}
}

// Histories recorded from real runs must replay against today's code: a
// change that fails here would block running workflows forever. Gate such
// changes with workflow.GetVersion, then record a new history. They are
// written by the integration tests in cmd/mlpipe:
//
//   - churn_v1_strict_deployed.json, a TrainingPipeline with the
//     pipeline-strict-spec marker: MLPIPE_RECORD_HISTORY with
//     TestPipelineThroughStockTemporalCLI (churn_deployed.json is the same
//     run recorded before that marker, and replays its DefaultVersion
//     branch); churn_v2_recorded_decisions_deployed.json is that test's
//     run with the pipeline-recorded-decisions marker too, whose spec
//     checks, plan and gate are local activities;
//   - search_completed.json, a multi-class HyperparameterSearch (3 trials ×
//     2 folds): MLPIPE_RECORD_SEARCH_HISTORY with
//     TestMulticlassSearchOnThePlansExample.
//
// search_v1_completed.json is that search recorded by earlier code, before
// the search-stops-on-invalid-input and search-default-max-parallel-16
// markers (its example set max_parallel 4): it replays their
// workflow.DefaultVersion branches. Both search histories set max_parallel
// (the spec fills the default), so the default itself is covered by
// TestASearchWithoutMaxParallelKeepsSixteenTrialsScheduled.
//
// search_v0_completed.json is a binary HyperparameterSearch (3 trials × 2
// folds) recorded with the code of commit 955386c, before any version
// marker: it replays the workflow.DefaultVersion branches. It was written
// once, by a throwaway test in a worktree of that commit that ran the old
// workers on a dev server and saved client.GetWorkflowHistory as protojson.
//
// canary_v0_aborted.json and canary_v0_stuck_aborted.json are CanaryRollouts
// recorded the same way with the code of commit d664bc5, before the
// rollout-bounded-gateway marker: one aborted while paused, one aborted
// while its first SetRouting still retried against a closed port (an
// abort that cancels the call without the marker fails to replay it).
// canary_v1_gateway_down_aborted.json is MLPIPE_RECORD_ROLLOUT_HISTORY with
// TestACanaryWhoseGatewayIsDownIsAbortedAndProductionStays.
//
// monitor_drift.json is a ModelMonitor run started by its Schedule (the
// drifted window): MLPIPE_RECORD_MONITOR_HISTORY with
// TestMonitorScheduleFlagsDriftedTrafficNotClean.
//
// retrain_loop_storm.json is the RetrainLoop of an alert storm (100
// notifications, one retraining, a second incident in the cooldown):
// MLPIPE_RECORD_LOOP_HISTORY with
// TestAnAlertStormStartsOneRetrainingThatWaitsAtTheGate.
//
// shadow_v1_first_run.json and shadow_v1_last_run.json are two runs of one
// ShadowRollout with the rollout-continues-as-new marker, on live traffic,
// handing over every 100 events: the first run (it ends by continuing as
// new) and the last (it starts from the hand-over and switches).
// MLPIPE_RECORD_SHADOW_HISTORY=$PWD/workflows/testdata with
// TestShadowContinuesAsNewOnLiveTraffic. The canary histories above replay
// the marker's DefaultVersion branch.
//
// churn_v3_compensated_rolled_back.json is a TrainingPipeline whose canary
// child was terminated with `temporal workflow terminate` mid-step, after
// which the pipeline rolled the candidate back itself (the
// pipeline-compensates-rollout marker):
// MLPIPE_RECORD_COMPENSATION_HISTORY=$PWD/workflows/testdata with
// TestCmpTerminatedCanaryIsRolledBackByThePipeline.
//
// search_v2_first_run.json and search_v2_last_run.json are two runs of one
// HyperparameterSearch with the search-continues-as-new marker, handing
// over at 100 events (12 trials × 2 folds): the first run (it ends by
// continuing as new) and the last (it starts from the hand-over and ranks
// the trials). MLPIPE_RECORD_SEARCH_CAN_HISTORY=$PWD/workflows/testdata
// with TestCmpSearchContinuesAsNewOnTheDevServer.
//
// churn_import_deployed.json is a TrainingPipeline whose model_training
// imports a registered version (`import: {version: N}`) and which then goes
// through the gate, approval and canary to production:
// MLPIPE_RECORD_IMPORT_HISTORY=$PWD/workflows/testdata/churn_import_deployed.json
// with TestImpImportedModelGoesThroughGateApprovalAndCanary.
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob("testdata/*.json")
	require.NoError(t, err)
	require.NotEmpty(t, files, "no recorded histories in workflows/testdata")
	requireRecorded(t, files)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			// Replayed under its own workflow ID, since child IDs
			// (ID-search, ID-canary) are derived from it.
			hist, exec := readHistory(t, f)
			require.NoError(t, replayer("").ReplayWorkflowHistoryWithOptions(nil, hist, worker.ReplayWorkflowHistoryOptions{OriginalExecution: exec}))
		})
	}
}

// replayer registers every workflow the workers register, by its
// registered name, so that a history replays whichever type it recorded;
// the type named mutated gets an extra timer before its first command.
func replayer(mutated string) worker.WorkflowReplayer {
	r := worker.NewWorkflowReplayer()
	register := func(wf any, name string) {
		r.RegisterWorkflowWithOptions(wf, workflow.RegisterOptions{Name: name})
	}
	register(canMutate(TrainingPipeline, mutated == TrainingPipelineName), TrainingPipelineName)
	register(canMutate(HyperparameterSearch, mutated == HyperparameterSearchName), HyperparameterSearchName)
	register(canMutate(CanaryRollout, mutated == CanaryRolloutName), CanaryRolloutName)
	register(canMutate(ShadowRollout, mutated == ShadowRolloutName), ShadowRolloutName)
	register(canMutate(ModelMonitor, mutated == ModelMonitorName), ModelMonitorName)
	loop := canMutate(func(ctx workflow.Context, in RetrainLoopInput) (struct{}, error) {
		return struct{}{}, RetrainLoop(ctx, in)
	}, mutated == RetrainLoopName)
	register(func(ctx workflow.Context, in RetrainLoopInput) error {
		_, err := loop(ctx, in)
		return err
	}, RetrainLoopName)
	return r
}

// canMutate is wf, or with on, wf behind a one-minute timer: a command
// none of the recorded histories has, as a change without GetVersion
// would add.
func canMutate[I, O any](wf func(workflow.Context, I) (O, error), on bool) func(workflow.Context, I) (O, error) {
	if !on {
		return wf
	}
	return func(ctx workflow.Context, in I) (O, error) {
		if err := workflow.Sleep(ctx, time.Minute); err != nil {
			var zero O
			return zero, err
		}
		return wf(ctx, in)
	}
}

// The replay test can fail: every recorded history, replayed against its
// workflow with one extra timer (a change that skipped GetVersion), is
// refused as nondeterministic.
func TestReplayFailsWhenAWorkflowsCommandsChange(t *testing.T) {
	files, err := filepath.Glob("testdata/*.json")
	require.NoError(t, err)
	requireRecorded(t, files)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			hist, exec := readHistory(t, f)
			typ := hist.GetEvents()[0].GetWorkflowExecutionStartedEventAttributes().GetWorkflowType().GetName()
			err := replayer(typ).ReplayWorkflowHistoryWithOptions(nil, hist, worker.ReplayWorkflowHistoryOptions{OriginalExecution: exec})
			require.Error(t, err, "%s replayed against a changed %s", f, typ)
			// TMPRL1100 is the SDK's code for a nondeterministic replay.
			assert.Contains(t, err.Error(), "TMPRL1100", "%s: %v", f, err)
		})
	}
}

// readHistory loads a history written by `temporal workflow show -o json`
// and the execution it recorded.
func readHistory(t *testing.T, file string) (*historypb.History, workflow.Execution) {
	t.Helper()
	f, err := os.Open(file)
	require.NoError(t, err)
	defer f.Close()
	hist, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
	require.NoError(t, err)
	require.NotEmpty(t, hist.GetEvents())
	start := hist.GetEvents()[0].GetWorkflowExecutionStartedEventAttributes()
	require.NotNil(t, start, "%s does not begin with WorkflowExecutionStarted", file)
	return hist, workflow.Execution{ID: start.GetWorkflowId(), RunID: start.GetOriginalExecutionRunId()}
}
