package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/workflows"
)

// stcRun starts the example pipeline as id with the extra arguments and
// waits until it stops at the approval gate.
func (s *stack) stcRun(id string, args ...string) workflows.PipelineStatus {
	s.t.Helper()
	out, code := s.mlpipe(append([]string{"run", "-f", filepath.Join(s.specDir, "pipeline.yaml"), "--id", id, "--detach"}, args...)...)
	require.Equal(s.t, 0, code, out)
	return s.waitForState(id, workflows.StateWaiting)
}

// stcCached lists the stages whose result came from the stage cache.
func stcCached(st workflows.PipelineStatus) []string {
	var out []string
	for _, s := range st.Stages {
		if s.Cached {
			out = append(out, s.Name)
		}
	}
	return out
}

// stcSpan is how long the stages before the gate took, first start to
// last end.
func stcSpan(st workflows.PipelineStatus) time.Duration {
	first, last := st.Stages[0].StartedAt, st.Stages[4].EndedAt
	if first == nil || last == nil {
		return 0
	}
	return last.Sub(*first)
}

// A second run on unchanged inputs takes ingestion, validation and the
// features from the stage cache and says so; a changed expectation
// validates again but does not ingest again; `cache: true` adds training
// and evaluation; `cache: false` computes everything.
func TestStcSecondRunShowsCachedStages(t *testing.T) {
	s := startStack(t)
	first := s.stcRun("stc-first")
	assert.Empty(t, stcCached(first), "nothing is recorded before the first run")

	second := s.stcRun("stc-second")
	assert.Equal(t, []string{"data_ingestion", "data_validation", "feature_engineering"}, stcCached(second),
		"without cache: training and evaluation compute")
	for _, st := range second.Stages[:3] {
		assert.Equal(t, workflows.StateSucceeded, st.State, st.Name)
		assert.True(t, strings.HasPrefix(st.Message, "cached: "), "%s: %s", st.Name, st.Message)
		assert.Contains(t, st.Message, "(recorded by stc-first)", st.Name)
	}
	assert.Contains(t, second.Stages[1].Message, "freshness judged against this run's start: newest last_activity ")
	out, code := s.mlpipe("status", "stc-second")
	require.Equal(t, 0, code, out)
	assert.Regexp(t, `data_ingestion\s+succeeded\s+1\s+\S*\s+cached: 3000 rows × 9 columns`, out)
	t.Logf("stages before the gate: first run %s, second run %s", stcSpan(first), stcSpan(second))

	changed := s.stcRun("stc-expectation", "--set", "expectations=[{expect_column_values_to_not_be_null: {column: customer_id}}]")
	assert.Equal(t, []string{"data_ingestion", "feature_engineering"}, stcCached(changed),
		"a changed expectation validates again; the data it passes on is the same, so ingestion and the features stay cached")
	assert.Regexp(t, `^\d+ checks passed$`, changed.Stages[1].Message)
	assert.NotEqual(t, second.Stages[1].Message, changed.Stages[1].Message)

	all := s.stcRun("stc-cache-true", "--set", "cache=true")
	assert.Equal(t, []string{"data_ingestion", "data_validation", "feature_engineering", "model_training", "model_evaluation"}, stcCached(all),
		"cache: true with the example's fixed seed takes training and evaluation too")
	assert.Equal(t, first.Stages[3].Artifacts, all.Stages[3].Artifacts, "the model is the first run's")
	t.Logf("stages before the gate with cache: true: %s", stcSpan(all))
	// Without a seed, training is not taken from the cache, and says why.
	out, code = s.mlpipe("run", "-f", filepath.Join(s.specDir, "pipeline.yaml"), "--id", "stc-no-seed", "--detach", "--set", "cache=true",
		"--set", "stages.model_training.params=[]", "--set", "hyperparameters={kind: logistic, epochs: 10}")
	require.Equal(t, 0, code, out)
	unseeded := s.stcTrained("stc-no-seed")
	assert.NotContains(t, stcCached(unseeded), "model_training")
	assert.Contains(t, unseeded.Stages[3].Message, "not taken from the stage cache: cache: true needs a fixed seed for training; set hyperparameters.seed (not 0)")

	off := s.stcRun("stc-cache-false", "--set", "cache=false")
	assert.Empty(t, stcCached(off), "cache: false computes every stage")
	assert.NotContains(t, off.Stages[2].Message, "reused")

	// MLPIPE_RECORD_STC_HISTORY=$PWD/workflows/testdata records, for the
	// replay tests, a run whose search was recorded in the stage cache
	// and one that took it from there.
	if dir := os.Getenv("MLPIPE_RECORD_STC_HISTORY"); dir != "" {
		for id, file := range map[string]string{"stc-first": "churn_v4_search_recorded_rejected.json", "stc-cache-true": "churn_v4_search_cached_rejected.json"} {
			out, code := s.mlpipe("reject", id, "--as", "alice", "--comment", "recorded for replay")
			require.Equal(t, 0, code, out)
			s.waitForState(id, workflows.OutcomeRejected)
			hist := s.temporal("workflow", "show", "-w", id, "-o", "json")
			require.NoError(t, os.WriteFile(filepath.Join(dir, file), []byte(hist), 0o644))
		}
	}
}

// stcTrained waits until the pipeline's training stage has succeeded.
func (s *stack) stcTrained(id string) workflows.PipelineStatus {
	s.t.Helper()
	var st workflows.PipelineStatus
	require.Eventually(s.t, func() bool {
		var err error
		st, err = pipelineStatus(context.Background(), s.srv.Client, id)
		return err == nil && (st.Stages[3].State == workflows.StateSucceeded || terminal(st.State))
	}, 2*time.Minute, 200*time.Millisecond)
	require.Equal(s.t, workflows.StateSucceeded, st.Stages[3].State, "stages: %+v", st.Stages)
	return st
}

// stcNewID is the workflow ID `mlpipe run` printed as started.
func stcNewID(t *testing.T, out string) string {
	t.Helper()
	m := regexp.MustCompile(`started (\S+) \(run`).FindStringSubmatch(out)
	require.NotNil(t, m, out)
	return m[1]
}

// A pipeline that failed at evaluation, resumed with `mlpipe run
// --resume`, takes every finished stage (training included) from the
// stage cache and evaluates again: no model is trained under the new run.
// Resuming a pipeline that is running, completed or unknown is refused
// with exit code 2.
func TestStcResumeAfterEvaluationFailureDoesNotRetrain(t *testing.T) {
	s := startStack(t)
	test := filepath.Join(s.specDir, "data/test.csv")
	out, code := s.mlpipe("gen", "churn", "--rows", "400", "--seed", "12", "-o", test)
	require.Equal(t, 0, code, out)
	good, err := os.ReadFile(test)
	require.NoError(t, err)
	// The test file's header is right, so the run starts; its last row is
	// ragged, so the evaluation refuses it.
	require.NoError(t, os.WriteFile(test, append(append([]byte{}, good...), []byte("x,1\n")...), 0o644))

	id := "stc-failed"
	out, code = s.mlpipe("run", "-f", filepath.Join(s.specDir, "pipeline.yaml"), "--id", id, "--detach", "--set", "data.test_source=data/test.csv")
	require.Equal(t, 0, code, out)
	failed := s.waitForState(id, workflows.StateFailed)
	require.Equal(t, "model_evaluation", failed.Stages[4].Name)
	require.Equal(t, workflows.StateFailed, failed.Stages[4].State, "stages: %+v", failed.Stages)
	require.Equal(t, workflows.StateSucceeded, failed.Stages[3].State)
	trained := failed.Stages[3].Artifacts

	// The user fixes the test file and resumes.
	require.NoError(t, os.WriteFile(test, good, 0o644))
	out, code = s.mlpipe("run", "--resume", id, "--detach")
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, "resuming stc-failed (")
	newID := stcNewID(t, out)
	assert.Equal(t, "stc-failed-resume-1", newID)
	st := s.waitForState(newID, workflows.StateWaiting)
	assert.Equal(t, []string{"data_ingestion", "data_validation", "feature_engineering", "model_training"}, stcCached(st),
		"everything before the failed stage comes from the cache; the evaluation runs again")
	assert.Contains(t, st.Stages[3].Message, "(recorded by stc-failed)")
	assert.Equal(t, trained, st.Stages[3].Artifacts, "the model is the failed run's")
	_, err = s.srv.Client.DescribeWorkflow(context.Background(), newID+"-search", "")
	assert.Error(t, err, "the search did not run again: it came from the stage cache")
	assert.Equal(t, workflows.StateSucceeded, st.Stages[4].State)
	_, err = os.Stat(filepath.Join(s.tmp, "artifacts", "models", "churn-classifier", newID))
	assert.True(t, os.IsNotExist(err), "no model was trained under the resumed run: %v", err)

	out, code = s.mlpipe("run", "--resume", newID)
	assert.Equal(t, exitUsage, code, out)
	assert.Contains(t, out, "still running")

	out, code = s.mlpipe("run", "--resume", "stc-nobody")
	assert.Equal(t, exitUsage, code, out)
	assert.Contains(t, out, "workflow stc-nobody not found in namespace")

	out, code = s.mlpipe("reject", newID, "--as", "alice", "--comment", "checked the resume")
	require.Equal(t, 0, code, out)
	s.waitForState(newID, workflows.OutcomeRejected)
	out, code = s.mlpipe("run", "--resume", newID)
	assert.Equal(t, exitUsage, code, out)
	assert.Contains(t, out, "did not fail (it is completed)")

	out, code = s.mlpipe("run", "--resume", id, "-f", "pipeline.yaml")
	assert.Equal(t, exitUsage, code, out)
	assert.Contains(t, out, "--resume runs the failed pipeline's own spec again")

	// Resumed again, the run counts on from the same base.
	out, code = s.mlpipe("run", "--resume", id, "--detach")
	require.Equal(t, 0, code, out)
	assert.Equal(t, "stc-failed-resume-2", stcNewID(t, out))
}

// stcPeakRSS is this process's peak resident memory since the last
// stcResetPeak (Linux: VmHWM, reset through clear_refs).
func stcPeakRSS(t *testing.T) string {
	b, err := os.ReadFile("/proc/self/status")
	require.NoError(t, err)
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			return strings.TrimSpace(strings.TrimPrefix(line, "VmHWM:"))
		}
	}
	return "?"
}

func stcResetPeak(t *testing.T) {
	require.NoError(t, os.WriteFile("/proc/self/clear_refs", []byte("5"), 0))
}

// The figures for the README: the example pipeline on 5,000 rows (as make
// demo generates), a first run on new data against a second run on the
// same data, alternating, on the real dev server. Set
// MLPIPE_STC_MEASURE=ROUNDS to run it.
func TestStcMeasureFirstAndSecondRun(t *testing.T) {
	rounds := os.Getenv("MLPIPE_STC_MEASURE")
	if rounds == "" {
		t.Skip("set MLPIPE_STC_MEASURE=ROUNDS to measure")
	}
	s := startStack(t)
	n := 0
	for _, c := range rounds {
		n = n*10 + int(c-'0')
	}
	data := filepath.Join(s.specDir, "data/churn.csv")
	for i := range n {
		out, code := s.mlpipe("gen", "churn", "--rows", "5000", "--seed", fmt.Sprint(100+i), "-o", data)
		require.Equal(t, 0, code, out)
		// first: new data; second: the same data, cache left out; third:
		// the same data with cache: true.
		for _, run := range []struct {
			id   string
			args []string
		}{{"first", nil}, {"second", nil}, {"third", []string{"--set", "cache=true"}}} {
			id := fmt.Sprintf("stc-m%d-%s", i, run.id)
			args := run.args
			stcResetPeak(t)
			start := time.Now()
			st := s.stcRun(id, args...)
			wall := time.Since(start)
			load, _ := os.ReadFile("/proc/loadavg")
			var per []string
			for _, x := range st.Stages[:5] {
				if x.StartedAt != nil && x.EndedAt != nil {
					per = append(per, fmt.Sprintf("%s=%s", x.Name, x.EndedAt.Sub(*x.StartedAt).Round(time.Millisecond)))
				}
			}
			t.Logf("MEASURE round %d %-6s cached=%v stages-before-gate=%s start-to-gate=%s peakRSS=%s load=%s per-stage: %s",
				i, run.id, stcCached(st), stcSpan(st).Round(time.Millisecond), wall.Round(time.Millisecond), stcPeakRSS(t), strings.Fields(string(load))[0],
				strings.Join(per, " "))
		}
	}
}
