package monitor

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/dataplane"
	"github.com/mlpipe/mlpipe/internal/drift"
	"github.com/mlpipe/mlpipe/internal/inferlog"
)

func columnQuality(t *testing.T, s *Snapshot, name string) ColumnQuality {
	t.Helper()
	for _, c := range s.Quality.Columns {
		if c.Column == name {
			return c
		}
	}
	t.Fatalf("no quality row for %q in %+v", name, s.Quality.Columns)
	return ColumnQuality{}
}

// A key that differs from a feature only in case is another key: the
// feature keeps its values, and the key is reported.
func TestAnalyzeKeyDifferingInCaseIsAnUnknownFeature(t *testing.T) {
	s := analyse(t, churnCSV(t, 500, 4), 0, "Plan")
	assert.Contains(t, s.Quality.Violations, `feature "Plan" is not in the reference profile (sent in 500 rows): the model was not trained on it`)
	plan := columnQuality(t, s, "plan")
	assert.Zero(t, plan.Nulls)
	assert.Zero(t, plan.WrongType)
	assert.Zero(t, plan.Unseen)
	for _, r := range s.Drift.Features {
		if r.Column == "plan" {
			assert.EqualValues(t, 500, r.Count)
			assert.False(t, r.Drifted)
		}
	}
}

// Rows as clients send them: a repeated key counts once per row and its
// last value is the one the model read (encoding/json's rule, the
// gateway's decoder); a nested value is the wrong type; an escaped
// lone surrogate is a replacement character, not an unreadable row.
func TestAnalyzeRowsAsClientsSendThem(t *testing.T) {
	eng, err := dataplane.Open(dataplane.Options{})
	require.NoError(t, err)
	defer eng.Close()
	ctx := context.Background()
	ref := reference(t, eng)
	db := eng.DB()
	for _, q := range []string{
		`CREATE OR REPLACE TABLE predictions (request_id VARCHAR, "row" INTEGER, "time" TIMESTAMPTZ, model VARCHAR, version INTEGER, variant VARCHAR, input VARCHAR, prediction VARCHAR, probability DOUBLE, latency_ms DOUBLE)`,
		`CREATE OR REPLACE TABLE feedback (request_id VARCHAR, "row" INTEGER, "time" TIMESTAMPTZ, model VARCHAR, label VARCHAR, value DOUBLE)`,
		`CREATE OR REPLACE VIEW joined AS SELECT p.*, f.label, f.value FROM predictions p LEFT JOIN feedback f USING (request_id, "row")`,
		`CREATE OR REPLACE VIEW labelled AS SELECT p.*, f.label, f.value FROM predictions p JOIN feedback f USING (request_id, "row")`,
	} {
		_, err := db.ExecContext(ctx, q)
		require.NoError(t, err)
	}
	rows := []string{
		`{"coupon": "a", "coupon": "b", "plan": "basic", "age": 30}`,
		`{"coupon": "c", "plan": {"tier": "basic"}, "age": [30]}`,
		`{"plan": "bas\ud800ic", "age": 1e1, "age": 40}`,
		`[1, 2]`,
	}
	for i, r := range rows {
		_, err := db.ExecContext(ctx, `INSERT INTO predictions VALUES (?, 0, TIMESTAMPTZ '2026-12-05 09:50:00+00', 'churn', 1, 'production', ?, 'no', 0.2, 3)`, strconv.Itoa(i), r)
		require.NoError(t, err)
	}
	s := &Snapshot{Traffic: Traffic{Predictions: int64(len(rows))}}
	in := Input{Model: "churn", ModelVersion: 1, From: testNow.Add(-15 * time.Minute), To: testNow, Reference: ref,
		Target: "churned", Positive: "yes", Drift: drift.DefaultConfig()}
	require.NoError(t, Analyze(ctx, db, in, s))
	assert.Contains(t, s.Quality.Violations, `feature "coupon" is not in the reference profile (sent in 2 rows): the model was not trained on it`)
	plan := columnQuality(t, s, "plan")
	assert.EqualValues(t, 1, plan.WrongType, "the nested plan")
	assert.EqualValues(t, 1, plan.Unseen)
	assert.Equal(t, []string{"bas\uFFFDic"}, plan.UnseenExamples)
	assert.EqualValues(t, 1, plan.Nulls, "the row that is no object")
	age := columnQuality(t, s, "age")
	assert.EqualValues(t, 1, age.WrongType, "[30]")
	unreadable := columnQuality(t, s, unreadableRow)
	assert.EqualValues(t, 1, unreadable.WrongType)
	assert.Contains(t, s.Quality.Violations, "1 of 4 rows have an input that is not a JSON object: each of their features counts as a null")
	for _, v := range s.Quality.Violations {
		assert.NotContains(t, v, `feature "(unreadable`, "the unreadable rows are no feature")
	}
	for _, r := range s.Drift.Features {
		if r.Column == "age" {
			// 30 and 40 (the repeated key's last value), not 10.
			require.NotNil(t, r.Numeric)
			assert.EqualValues(t, 2, r.Count)
		}
	}
}

// The window parsed as the log is read gives the snapshot the
// predictions table's input column gives: drifted, null and unseen
// values, an unknown key, the expectation suite.
func TestAnalyzeParsedLogMatchesTheTable(t *testing.T) {
	ctx := context.Background()
	store, err := artifact.NewFileStore(t.TempDir())
	require.NoError(t, err)
	w, err := inferlog.NewWriter(inferlog.WriterOptions{Store: store, Replica: "gw", FlushInterval: time.Hour, Retention: -1,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	recs, err := csv.NewReader(bytes.NewReader(churnCSV(t, 1500, 5, "mean_shift:0.5:monthly_charges", "new_category:0.2:plan", "nulls:0.3:age"))).ReadAll()
	require.NoError(t, err)
	header, body := recs[0], recs[1:]
	at := testNow.Add(-10 * time.Minute)
	for start := 0; start < len(body); start += 50 {
		var rows []map[string]any
		var labels []string
		for _, r := range body[start:min(len(body), start+50)] {
			row := map[string]any{"coupon": "x"}
			for j, c := range header {
				switch v, err := strconv.ParseFloat(r[j], 64); {
				case c == "churned":
				case r[j] == "":
					row[c] = nil
				case err == nil:
					row[c] = v
				default:
					row[c] = r[j]
				}
			}
			if start == 100 {
				row["age"] = "forty" // the wrong type
			}
			rows = append(rows, row)
			labels = append(labels, "no")
		}
		require.True(t, w.LogPredictions(&inferlog.Predictions{RequestID: "r" + strconv.Itoa(start), Time: at, Model: "churn", Version: 1,
			Variant: "production", Rows: rows, Answers: labelAnswers(labels), Latency: time.Millisecond}))
	}
	require.NoError(t, w.Close(ctx))

	snap := func(parse bool) []byte {
		eng, err := dataplane.Open(dataplane.Options{})
		require.NoError(t, err)
		defer eng.Close()
		win, err := inferlog.Read(ctx, store, eng, inferlog.Query{Model: "churn", From: testNow.Add(-time.Hour), To: testNow, ParseInputs: parse})
		require.NoError(t, err)
		s := &Snapshot{Traffic: Traffic{Predictions: win.Predictions, Feedback: win.Feedback, Joined: win.Joined}}
		in := Input{Model: "churn", ModelVersion: 1, From: testNow.Add(-time.Hour), To: testNow, Reference: reference(t, eng),
			Target: "churned", Positive: "yes", Drift: drift.DefaultConfig(), Suite: exampleSuite(), Inputs: win.Inputs}
		require.NoError(t, Analyze(ctx, eng.DB(), in, s))
		b, err := json.MarshalIndent(s, "", " ")
		require.NoError(t, err)
		return b
	}
	parsed, table := snap(true), snap(false)
	assert.JSONEq(t, string(table), string(parsed))
	assert.Contains(t, string(parsed), `feature \"coupon\" is not in the reference profile (sent in 1500 rows)`)
	assert.Contains(t, string(parsed), `column \"age\": 50 values of the wrong type`)
}

type labelAnswers []string

func (a labelAnswers) Len() int { return len(a) }
func (a labelAnswers) At(i int) (string, float64, map[string]float64) {
	return a[i], 0.25, nil
}
