package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/converter"

	"github.com/mlpipe/mlpipe/activities"
	"github.com/mlpipe/mlpipe/internal/config"
	"github.com/mlpipe/mlpipe/workers"
	"github.com/mlpipe/mlpipe/workflows"
)

// dataIngest is what the history says of a pipeline's IngestData: its
// last attempt, how that attempt ended, and its result when it succeeded.
type dataIngest struct {
	Attempt    int32
	RetryState enumspb.RetryState
	Failure    string
	Result     activities.IngestDataResult
}

// dataIngestFromHistory reads IngestData's outcome from the workflow's history.
func (s *stack) dataIngestFromHistory(id string) dataIngest {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	it := s.srv.Client.GetWorkflowHistory(ctx, id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var out dataIngest
	scheduled := int64(-1)
	for it.HasNext() {
		ev, err := it.Next()
		require.NoError(s.t, err)
		switch {
		case ev.GetActivityTaskScheduledEventAttributes().GetActivityType().GetName() == "IngestData":
			scheduled = ev.GetEventId()
		case ev.GetActivityTaskStartedEventAttributes() != nil && ev.GetActivityTaskStartedEventAttributes().GetScheduledEventId() == scheduled:
			out.Attempt = ev.GetActivityTaskStartedEventAttributes().GetAttempt()
		case ev.GetActivityTaskFailedEventAttributes() != nil && ev.GetActivityTaskFailedEventAttributes().GetScheduledEventId() == scheduled:
			a := ev.GetActivityTaskFailedEventAttributes()
			out.RetryState, out.Failure = a.GetRetryState(), a.GetFailure().GetMessage()
		case ev.GetActivityTaskCompletedEventAttributes() != nil && ev.GetActivityTaskCompletedEventAttributes().GetScheduledEventId() == scheduled:
			require.NoError(s.t, converter.GetDefaultDataConverter().FromPayloads(ev.GetActivityTaskCompletedEventAttributes().GetResult(), &out.Result))
		}
	}
	require.GreaterOrEqual(s.t, scheduled, int64(0), "IngestData was never scheduled")
	return out
}

// dataRunFailed starts the spec (with its data file as given), waits for
// the pipeline to fail, and returns the ingestion stage's message.
func (s *stack) dataRunFailed(id, spec string) string {
	out, code := s.mlpipe("run", "-f", spec, "--id", id, "--detach")
	require.Equal(s.t, 0, code, out)
	st := s.waitForState(id, workflows.StateFailed)
	require.Equal(s.t, "data_ingestion", st.Stages[0].Name)
	assert.Equal(s.t, workflows.StateFailed, st.Stages[0].State)
	for _, later := range st.Stages[1:] {
		assert.NotEqual(s.t, workflows.StateSucceeded, later.State, "no stage runs after a failed ingestion: %s", later.Name)
	}
	return st.Stages[0].Message
}

// dataRewrite edits the generated churn CSV: the first data line with a
// match of old gets new instead; it returns that line's data row number.
func (s *stack) dataRewrite(old, new string) int {
	path := filepath.Join(s.specDir, "data/churn.csv")
	b, err := os.ReadFile(path)
	require.NoError(s.t, err)
	lines := strings.Split(string(b), "\n")
	for i, l := range lines[1:] {
		if strings.Contains(l, old) {
			lines[i+1] = strings.Replace(l, old, new, 1)
			require.NoError(s.t, os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o644))
			return i + 1
		}
	}
	s.t.Fatalf("no line of %s has %q", path, old)
	return 0
}

// dataSpecJSON writes the example's workflow input with data.source set
// to source, as a user hand-writing JSON for `temporal workflow start`
// would, past the CLI's own checks.
func (s *stack) dataSpecJSON(source string) string {
	input := filepath.Join(s.tmp, "churn.json")
	out, code := s.mlpipe("spec", "-f", filepath.Join(s.specDir, "pipeline.yaml"), "-o", input)
	require.Equal(s.t, 0, code, out)
	b, err := os.ReadFile(input)
	require.NoError(s.t, err)
	var doc map[string]any
	require.NoError(s.t, json.Unmarshal(b, &doc))
	doc["data"].(map[string]any)["source"] = source
	b, err = json.Marshal(doc)
	require.NoError(s.t, err)
	require.NoError(s.t, os.WriteFile(input, b, 0o644))
	return input
}

// A Latin-1 byte in the data fails the pipeline at ingestion, at once (no
// retries, no timeouts), naming the file, row, column and bytes and saying
// how to fix the file; no later stage runs.
func TestDataLatin1SourceFailsIngestionAtOnce(t *testing.T) {
	s := startStack(t)
	csv := filepath.Join(s.specDir, "data/churn.csv")
	row := s.dataRewrite(",basic,", ",b\xe1sic,")
	msg := s.dataRunFailed("churn-data-latin1", filepath.Join(s.specDir, "pipeline.yaml"))
	assert.Contains(t, msg, csv)
	assert.Contains(t, msg, `row `+strconv.Itoa(row)+` (line `+strconv.Itoa(row+1)+`), column "plan": "b\xe1sic" is not valid UTF-8 (byte \xe1)`)
	assert.Contains(t, msg, `Latin-1/Windows-1252, where this reads "básic": re-save it as UTF-8`)
	ing := s.dataIngestFromHistory("churn-data-latin1")
	assert.Equal(t, int32(1), ing.Attempt)
	assert.Equal(t, enumspb.RETRY_STATE_NON_RETRYABLE_FAILURE, ing.RetryState)
}

// -Inf in a numeric column fails ingestion naming the column and row, and
// no feature set, whole or partial, is written.
func TestDataInfinityFailsIngestionNamingColumnAndRow(t *testing.T) {
	s := startStack(t)
	b, err := os.ReadFile(filepath.Join(s.specDir, "data/churn.csv"))
	require.NoError(t, err)
	charges := strings.Split(strings.Split(string(b), "\n")[1], ",")[5] // monthly_charges of row 1
	row := s.dataRewrite(","+charges+",", ",-Inf,")
	msg := s.dataRunFailed("churn-data-inf", filepath.Join(s.specDir, "pipeline.yaml"))
	assert.Contains(t, msg, `row `+strconv.Itoa(row)+` (line `+strconv.Itoa(row+1)+`), column "monthly_charges": "-Inf" is not a finite number`)
	assert.Equal(t, enumspb.RETRY_STATE_NON_RETRYABLE_FAILURE, s.dataIngestFromHistory("churn-data-inf").RetryState)
	features, err := filepath.Glob(filepath.Join(s.tmp, "artifacts/features/*/*"))
	require.NoError(t, err)
	assert.Empty(t, features, "no feature set, whole or partial")
}

// A source path that names a directory or nothing fails ingestion once,
// naming the path and what to do, even in hand-written workflow input.
func TestDataSourcePathErrorsAreNotRetried(t *testing.T) {
	s := startStack(t)
	dir := filepath.Join(s.specDir, "data")
	s.temporal("workflow", "start", "--type", "TrainingPipeline", "--task-queue", "mlpipe-cpu", "-w", "churn-data-dir", "--input-file", s.dataSpecJSON(dir))
	st := s.waitForState("churn-data-dir", workflows.StateFailed)
	assert.Contains(t, st.Stages[0].Message, "ingest "+dir+": is a directory; point data.source at a file")
	ing := s.dataIngestFromHistory("churn-data-dir")
	assert.Equal(t, int32(1), ing.Attempt, "not retried")
	assert.Equal(t, enumspb.RETRY_STATE_NON_RETRYABLE_FAILURE, ing.RetryState)

	missing := filepath.Join(dir, "gone.csv")
	s.temporal("workflow", "start", "--type", "TrainingPipeline", "--task-queue", "mlpipe-cpu", "-w", "churn-data-missing", "--input-file", s.dataSpecJSON(missing))
	st = s.waitForState("churn-data-missing", workflows.StateFailed)
	assert.Contains(t, st.Stages[0].Message, missing+": artifact does not exist: no file at that path: check data.source")
	assert.Equal(t, enumspb.RETRY_STATE_NON_RETRYABLE_FAILURE, s.dataIngestFromHistory("churn-data-missing").RetryState)
}

// dataStartCPUWorker serves mlpipe-cpu with activities the test can hook.
func (s *stack) dataStartCPUWorker(hook func(source string)) {
	ctx, cancel := context.WithCancel(context.Background())
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	acts, err := newActivities(ctx, config.FromEnv())
	require.NoError(s.t, err)
	acts.OnSourceRead = hook
	c, err := workers.Dial(ctx, s.srv.HostPort, logger)
	require.NoError(s.t, err)
	stop, err := startWorkers(ctx, c, acts, []string{"cpu"}, workers.GPUOptions{Slots: 2}, logger)
	require.NoError(s.t, err)
	s.t.Cleanup(func() { stop(); c.Close(); cancel() })
}

// dataAppendRows appends rows (no header) from a fresh generated file.
func (s *stack) dataAppendRows(path string, rows int) {
	extra := filepath.Join(s.tmp, "extra.csv")
	out, code := s.mlpipe("gen", "churn", "--rows", strconv.Itoa(rows), "--seed", "99", "-o", extra)
	require.Equal(s.t, 0, code, out)
	b, err := os.ReadFile(extra)
	require.NoError(s.t, err)
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(s.t, err)
	defer f.Close()
	_, err = f.Write(b[bytes.IndexByte(b, '\n')+1:])
	require.NoError(s.t, err)
}

// A CSV still being written while it is ingested is not taken as the whole
// data: the attempt fails as retryable, and the next attempt, with the file
// complete, ingests every row and records the source's size and time.
func TestDataSourceChangedWhileReadIsReadAgain(t *testing.T) {
	s := startStackWithout(t, "cpu")
	csv := filepath.Join(s.specDir, "data/churn.csv")
	var reads atomic.Int32
	s.dataStartCPUWorker(func(string) {
		if reads.Add(1) == 1 { // the writer is still appending during the first read
			s.dataAppendRows(csv, 500)
		}
	})
	id := "churn-data-growing"
	out, code := s.mlpipe("run", "-f", filepath.Join(s.specDir, "pipeline.yaml"), "--id", id, "--detach")
	require.Equal(t, 0, code, out)
	require.Eventually(t, func() bool {
		st, err := pipelineStatus(context.Background(), s.srv.Client, id)
		return err == nil && len(st.Stages) > 0 && (st.Stages[0].State == workflows.StateSucceeded || terminal(st.State))
	}, 2*time.Minute, 200*time.Millisecond)
	st, err := pipelineStatus(context.Background(), s.srv.Client, id)
	require.NoError(t, err)
	require.Equal(t, workflows.StateSucceeded, st.Stages[0].State, "stages: %+v", st.Stages)
	assert.Equal(t, int32(2), st.Stages[0].Attempts, "the torn first read was retried")
	assert.Contains(t, st.Stages[0].Message, "3500 rows", "all rows, the late ones too")

	fi, err := os.Stat(csv)
	require.NoError(t, err)
	ds := s.dataIngestFromHistory(id).Result.Dataset
	require.NotNil(t, ds.Source, "the lineage records the source")
	assert.Equal(t, fi.Size(), ds.Source.Size)
	assert.True(t, fi.ModTime().Equal(ds.Source.ModTime), "%s vs %s", fi.ModTime(), ds.Source.ModTime)
	assert.Equal(t, 3500, ds.Rows)
}

// A source that keeps changing fails the pipeline once its retries are
// spent, saying it changed while being read.
func TestDataSourceThatKeepsChangingFails(t *testing.T) {
	s := startStackWithout(t, "cpu")
	csv := filepath.Join(s.specDir, "data/churn.csv")
	s.dataStartCPUWorker(func(string) { s.dataAppendRows(csv, 10) })
	spec := filepath.Join(s.specDir, "pipeline.yaml")
	b, err := os.ReadFile(spec)
	require.NoError(t, err)
	b = bytes.Replace(b, []byte("    inputs: [raw_data_source]\n"), []byte("    inputs: [raw_data_source]\n    retries: 2\n"), 1)
	require.NoError(t, os.WriteFile(spec, b, 0o644))

	msg := s.dataRunFailed("churn-data-changing", spec)
	assert.Contains(t, msg, csv+": the file changed while being read: its size went from")
	assert.Contains(t, msg, "wait until it is completely written")
	ing := s.dataIngestFromHistory("churn-data-changing")
	assert.Equal(t, int32(2), ing.Attempt, "retried as the stage allows")
	assert.Equal(t, enumspb.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED, ing.RetryState)
}

// With data.test_source the model is evaluated on that file, so the
// feature stage holds nothing out: every source row trains.
func TestDataTestSourceTrainsOnEveryRow(t *testing.T) {
	s := startStack(t)
	test := filepath.Join(s.specDir, "data/test.csv")
	out, code := s.mlpipe("gen", "churn", "--rows", "800", "--seed", "12", "-o", test)
	require.Equal(t, 0, code, out)
	spec := filepath.Join(s.specDir, "pipeline.yaml")
	b, err := os.ReadFile(spec)
	require.NoError(t, err)
	b = bytes.Replace(b, []byte("  source: data/churn.csv"), []byte("  test_source: data/test.csv\n  source: data/churn.csv"), 1)
	require.NoError(t, os.WriteFile(spec, b, 0o644))

	id := "churn-data-test-source"
	out, code = s.mlpipe("run", "-f", spec, "--id", id, "--detach")
	require.Equal(t, 0, code, out)
	var st workflows.PipelineStatus
	require.Eventually(t, func() bool {
		st, err = pipelineStatus(context.Background(), s.srv.Client, id)
		return err == nil && len(st.Stages) > 4 && (st.Stages[4].State == workflows.StateSucceeded || terminal(st.State))
	}, 2*time.Minute, 200*time.Millisecond)
	require.Equal(t, "feature_engineering", st.Stages[2].Name)
	require.Equal(t, workflows.StateSucceeded, st.Stages[2].State, "stages: %+v", st.Stages)
	assert.Contains(t, st.Stages[2].Message, "3000 train / 0 test rows")

	manifest := filepath.Join(filepath.Dir(strings.TrimPrefix(st.Stages[2].Artifacts[0].URI, "file://")), "manifest.json")
	mb, err := os.ReadFile(manifest)
	require.NoError(t, err)
	var fs activities.FeatureSet
	require.NoError(t, json.Unmarshal(mb, &fs))
	assert.Equal(t, 3000, fs.TrainRows, "the manifest's train rows are the source's rows")
	assert.Zero(t, fs.TestRows)

	require.Equal(t, "model_evaluation", st.Stages[4].Name)
	require.Equal(t, workflows.StateSucceeded, st.Stages[4].State, "stages: %+v", st.Stages)
	assert.Contains(t, st.Stages[4].Message, "on 800 rows", "evaluated on the test source")
}
