package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"

	"github.com/mlpipe/mlpipe/internal/dataplane"
	"github.com/mlpipe/mlpipe/internal/frame"
	"github.com/mlpipe/mlpipe/internal/profile"
	"github.com/mlpipe/mlpipe/workflows"
)

// dpWaitStage polls the pipeline until the named stage has succeeded, and
// fails the test if the pipeline fails first.
func (s *stack) dpWaitStage(id, stage string) workflows.PipelineStatus {
	var st workflows.PipelineStatus
	require.Eventually(s.t, func() bool {
		var err error
		st, err = pipelineStatus(context.Background(), s.srv.Client, id)
		if err != nil {
			return false
		}
		for _, x := range st.Stages {
			if x.Name == stage && x.State == workflows.StateSucceeded {
				return true
			}
		}
		return terminal(st.State)
	}, 2*time.Minute, 200*time.Millisecond)
	for _, x := range st.Stages {
		if x.Name == stage {
			require.Equal(s.t, workflows.StateSucceeded, x.State, "stage %s: %s (stages: %+v)", stage, x.Message, st.Stages)
		}
	}
	return st
}

// dpStart starts the example pipeline on source with the stock CLI, past
// mlpipe's own checks of the spec.
func (s *stack) dpStart(id, source string) {
	s.temporal("workflow", "start", "--type", "TrainingPipeline", "--task-queue", "mlpipe-cpu", "-w", id, "--input-file", s.dataSpecJSON(source))
}

// dpDatasets lists the files stored under artifacts/datasets/.
func (s *stack) dpDatasets() []string {
	var out []string
	root := filepath.Join(s.tmp, "artifacts", "datasets")
	_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(root, p)
			out = append(out, rel)
		}
		return nil
	})
	return out
}

// The pipeline's ingestion stores the CSV as Parquet with its profile, and
// validation and features read the Parquet.
func TestDpIngestionStoresParquetAndProfile(t *testing.T) {
	s := startStack(t)
	id := "churn-dp-parquet"
	out, code := s.mlpipe("run", "-f", filepath.Join(s.specDir, "pipeline.yaml"), "--id", id, "--detach")
	require.Equal(t, 0, code, out)
	s.dpWaitStage(id, "feature_engineering")
	s.temporal("workflow", "terminate", "-w", id, "--reason", "the test needs no model")

	ds := s.dataIngestFromHistory(id).Result.Dataset
	assert.Equal(t, "parquet", ds.Format)
	assert.Equal(t, "csv", ds.SourceFormat)
	assert.Equal(t, 3000, ds.Rows)
	assert.True(t, strings.HasSuffix(ds.Ref.URI, "/data.parquet"), ds.Ref.URI)
	kinds := map[string]frame.Kind{}
	for _, c := range ds.Schema {
		kinds[c.Name] = c.Kind
	}
	assert.Equal(t, frame.Float, kinds["age"])
	assert.Equal(t, frame.String, kinds["plan"])
	assert.Equal(t, frame.Time, kinds["last_activity"])

	prefix := filepath.Join("churn", ds.SourceSHA256[:16])
	assert.ElementsMatch(t, []string{filepath.Join(prefix, "data.parquet"), filepath.Join(prefix, "profile.json")}, s.dpDatasets())
	b, err := os.ReadFile(filepath.Join(s.tmp, "artifacts", "datasets", prefix, "profile.json"))
	require.NoError(t, err)
	var p profile.Profile
	require.NoError(t, json.Unmarshal(b, &p))
	assert.EqualValues(t, 3000, p.Rows)
	plan, ok := p.Col("plan")
	require.True(t, ok)
	assert.NotEmpty(t, plan.Categories)
	assert.Equal(t, ds.Profile.URI, "file://"+filepath.Join(s.tmp, "artifacts", "datasets", prefix, "profile.json"))
}

// JSON lines and Parquet sources run through ingestion, validation and
// features like the CSV.
func TestDpJSONLinesAndParquetSourcesRunThroughIngestion(t *testing.T) {
	s := startStack(t)
	eng, err := dataplane.Open(dataplane.Options{})
	require.NoError(t, err)
	defer eng.Close()
	ctx := context.Background()
	tab, err := eng.Load(ctx, filepath.Join(s.specDir, "data/churn.csv"), dataplane.LoadOptions{})
	require.NoError(t, err)
	pq := filepath.Join(s.specDir, "data/churn.parquet")
	require.NoError(t, eng.WriteParquet(ctx, tab, pq))
	jl := filepath.Join(s.specDir, "data/churn.jsonl")
	_, err = eng.DB().ExecContext(ctx, "COPY (SELECT * FROM "+tab.Name+") TO "+dataplane.Quote(jl)+" (FORMAT json)")
	require.NoError(t, err)

	for _, tc := range []struct {
		id, source, format string
		cli                bool
	}{
		// mlpipe run checks a CSV source's header; a JSON-lines one it
		// leaves to ingestion.
		{"churn-dp-jsonl", "file://" + jl, "jsonl", true},
		{"churn-dp-pq", "file://" + pq, "parquet", false},
	} {
		if tc.cli {
			out, code := s.mlpipe("run", "-f", filepath.Join(s.specDir, "pipeline.yaml"), "--set", "data.source="+tc.source, "--id", tc.id, "--detach")
			require.Equal(t, 0, code, out)
			assert.NotContains(t, out, "warning", "a JSON-lines source has no CSV header to warn about")
		} else {
			s.dpStart(tc.id, tc.source)
		}
		s.dpWaitStage(tc.id, "feature_engineering")
		s.temporal("workflow", "terminate", "-w", tc.id, "--reason", "the test needs no model")
		ds := s.dataIngestFromHistory(tc.id).Result.Dataset
		assert.Equal(t, tc.format, ds.SourceFormat, tc.id)
		assert.Equal(t, "parquet", ds.Format, tc.id)
		assert.Equal(t, 3000, ds.Rows, tc.id)
		assert.Equal(t, tab.Columns[7].Name, ds.Schema[7].Name)
		assert.Equal(t, frame.Time, ds.Schema[7].Kind, "%s: last_activity stays a time", tc.id)
	}
}

// Bad input fails ingestion once, naming the file, row and column, and
// stores nothing under datasets/.
func TestDpBadInputFailsNamingRowAndColumnAndStoresNothing(t *testing.T) {
	s := startStack(t)
	header := "customer_id,age,status,plan,tenure_months,monthly_charges,support_calls,last_activity,churned\n"
	good := "C1,30,active,basic,12,35.5,0,2026-12-01T00:00:00Z,no\n"
	for _, tc := range []struct {
		id, file, body string
		want           []string
	}{
		{"churn-dp-ragged", "ragged.csv", header + good + "C2,41,active,basic,12\n",
			[]string{"ragged.csv: row 2 (line 3): has 5 fields, header has 9", "check its commas and quotes"}},
		{"churn-dp-utf16", "utf16.csv", "\xff\xfe" + header, []string{"utf16.csv: the file is UTF-16", "re-save it as UTF-8"}},
		{"churn-dp-dup", "dup.csv", strings.Replace(header, "plan", "age", 1) + good,
			[]string{`dup.csv: header: column "age" appears twice (columns 2 and 4): rename one`}},
		{"churn-dp-overflow", "overflow.csv", header + good + "C2,1e999,active,basic,12,35.5,0,2026-12-01T00:00:00Z,no\n",
			[]string{`overflow.csv: row 2 (line 3), column "age": "1e999" is too large for a 64-bit float`}},
		{"churn-dp-headeronly", "header.csv", header, []string{"header.csv: the file has a header but no rows"}},
	} {
		path := filepath.Join(s.specDir, "data", tc.file)
		require.NoError(t, os.WriteFile(path, []byte(tc.body), 0o644))
		s.dpStart(tc.id, "file://"+path)
		st := s.waitForState(tc.id, workflows.StateFailed)
		require.Equal(t, "data_ingestion", st.Stages[0].Name)
		for _, w := range tc.want {
			assert.Contains(t, st.Stages[0].Message, w, tc.id)
		}
		assert.Equal(t, enumspb.RETRY_STATE_NON_RETRYABLE_FAILURE, s.dataIngestFromHistory(tc.id).RetryState, tc.id)
		assert.Empty(t, s.dpDatasets(), "%s: nothing is stored", tc.id)
	}
}
