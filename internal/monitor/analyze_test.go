package monitor

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/dataplane"
	"github.com/mlpipe/mlpipe/internal/drift"
	"github.com/mlpipe/mlpipe/internal/gen"
	"github.com/mlpipe/mlpipe/internal/profile"
)

var testNow = time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)

// churnCSV writes n generated customers, drifted as asked.
func churnCSV(t *testing.T, n int, seed int64, drifts ...string) []byte {
	t.Helper()
	var clean, out bytes.Buffer
	require.NoError(t, gen.Churn(&clean, n, seed, testNow))
	var ds []gen.Drift
	for _, s := range drifts {
		d, err := gen.ParseDrift(s)
		require.NoError(t, err)
		ds = append(ds, d)
	}
	require.NoError(t, gen.DriftCSV(&clean, &out, ds, gen.ChurnDriftOptions(seed)))
	return out.Bytes()
}

// reference profiles a training set as ingestion does.
func reference(t *testing.T, eng *dataplane.Engine) *profile.Profile {
	t.Helper()
	p := filepath.Join(t.TempDir(), "train.csv")
	require.NoError(t, os.WriteFile(p, churnCSV(t, 5000, 1), 0o644))
	tab, err := eng.Load(context.Background(), p, dataplane.LoadOptions{})
	require.NoError(t, err)
	prof, err := eng.Profile(context.Background(), tab)
	require.NoError(t, err)
	return prof
}

// window loads data as the inference log's tables: every row predicted
// (probability from a crude score), every row's label fed back, plus
// unknown feedback rows for request IDs never logged; extra adds a key to
// every input.
func window(t *testing.T, db *sql.DB, data []byte, unknown int, extra string) Traffic {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	require.NoError(t, err)
	header, rows := recs[0], recs[1:]
	ctx := context.Background()
	for _, q := range []string{
		`CREATE OR REPLACE TABLE predictions (request_id VARCHAR, "row" INTEGER, "time" TIMESTAMPTZ, model VARCHAR, version INTEGER, variant VARCHAR, input VARCHAR, prediction VARCHAR, probability DOUBLE, latency_ms DOUBLE)`,
		`CREATE OR REPLACE TABLE feedback (request_id VARCHAR, "row" INTEGER, "time" TIMESTAMPTZ, model VARCHAR, label VARCHAR, value DOUBLE)`,
	} {
		_, err := db.ExecContext(ctx, q)
		require.NoError(t, err)
	}
	var pv, fv []string
	for i, r := range rows {
		in := map[string]any{}
		label := ""
		for j, c := range header {
			switch {
			case c == "churned":
				label = r[j]
			case r[j] == "":
				in[c] = nil
			default:
				if v, err := strconv.ParseFloat(r[j], 64); err == nil {
					in[c] = v
				} else {
					in[c] = r[j]
				}
			}
		}
		if extra != "" {
			in[extra] = "x"
		}
		b, err := json.Marshal(in)
		require.NoError(t, err)
		p := 0.2
		if in["status"] == "inactive" {
			p = 0.8
		}
		pred := "no"
		if p >= 0.5 {
			pred = "yes"
		}
		id := fmt.Sprintf("r%d", i)
		pv = append(pv, fmt.Sprintf("('%s', 0, TIMESTAMPTZ '2026-12-05 09:50:00+00', 'churn', 1, 'production', '%s', '%s', %g, %d)", id, strings.ReplaceAll(string(b), "'", "''"), pred, p, 2+i%5))
		fv = append(fv, fmt.Sprintf("('%s', 0, TIMESTAMPTZ '2026-12-05 09:55:00+00', 'churn', '%s', 10)", id, label))
	}
	for i := range unknown {
		fv = append(fv, fmt.Sprintf("('nobody%d', 0, TIMESTAMPTZ '2026-12-05 09:55:00+00', 'churn', 'yes', 1)", i))
	}
	if len(pv) > 0 {
		_, err = db.ExecContext(ctx, "INSERT INTO predictions VALUES "+strings.Join(pv, ","))
		require.NoError(t, err)
	}
	if len(fv) > 0 {
		_, err = db.ExecContext(ctx, "INSERT INTO feedback VALUES "+strings.Join(fv, ","))
		require.NoError(t, err)
	}
	for _, q := range []string{
		`CREATE OR REPLACE VIEW joined AS SELECT p.*, f.label, f.value FROM predictions p LEFT JOIN feedback f USING (request_id, "row")`,
		`CREATE OR REPLACE VIEW labelled AS SELECT p.*, f.label, f.value FROM predictions p JOIN feedback f USING (request_id, "row")`,
	} {
		_, err := db.ExecContext(ctx, q)
		require.NoError(t, err)
	}
	return Traffic{Predictions: int64(len(rows)), Feedback: int64(len(fv)), Joined: int64(len(rows)), UnknownFeedback: int64(unknown)}
}

func analyse(t *testing.T, data []byte, unknown int, extra string) *Snapshot {
	t.Helper()
	return analyseWith(t, data, unknown, extra, nil)
}

// analyseWith is analyse with the Input adjusted by with (when not nil).
func analyseWith(t *testing.T, data []byte, unknown int, extra string, with func(*Input)) *Snapshot {
	t.Helper()
	eng, err := dataplane.Open(dataplane.Options{})
	require.NoError(t, err)
	defer eng.Close()
	ref := reference(t, eng)
	s := &Snapshot{}
	if data != nil {
		s.Traffic = window(t, eng.DB(), data, unknown, extra)
	}
	in := Input{Model: "churn", ModelVersion: 1, From: testNow.Add(-15 * time.Minute), To: testNow, Reference: ref,
		Target: "churned", Positive: "yes", Drift: drift.DefaultConfig()}
	if with != nil {
		with(&in)
	}
	require.NoError(t, Analyze(context.Background(), eng.DB(), in, s))
	var page bytes.Buffer
	require.NoError(t, WritePage(&page, s))
	assert.Contains(t, page.String(), s.Summary)
	_, err = json.Marshal(s)
	require.NoError(t, err, "the snapshot is valid JSON")
	return s
}

func drifted(s *Snapshot) map[string]bool {
	out := map[string]bool{}
	for _, r := range s.Drift.Features {
		out[r.Column] = r.Drifted
	}
	return out
}

func TestEmptyWindowSaysNoTraffic(t *testing.T) {
	s := analyse(t, nil, 0, "")
	assert.Equal(t, VerdictNoTraffic, s.Verdict)
	assert.Contains(t, s.Summary, "no traffic: no prediction was logged between 2026-12-05T09:45:00Z and 2026-12-05T10:00:00Z")
}

func TestCleanWindowIsNotFlagged(t *testing.T) {
	s := analyse(t, churnCSV(t, 2000, 2), 0, "")
	assert.Equal(t, VerdictOK, s.Verdict, s.Summary)
	d := drifted(s)
	assert.Contains(t, d, "monthly_charges")
	assert.Contains(t, d, "plan")
	assert.NotContains(t, d, "customer_id", "identifiers are not measured")
	assert.NotContains(t, d, "last_activity", "times are not measured")
	for col, v := range d {
		assert.False(t, v, col)
	}
	require.Len(t, s.Performance.Realised, 3)
	require.Len(t, s.Performance.Estimated, 2)
	for _, m := range append(s.Performance.Realised, s.Performance.Estimated...) {
		assert.LessOrEqual(t, m.Low, m.Value, m.Name)
		assert.GreaterOrEqual(t, m.High, m.Value, m.Name)
	}
	require.Len(t, s.Business, 1)
	assert.InDelta(t, 10, s.Business[0].ValuePerPrediction, 1e-9)
	require.Len(t, s.Performance.Serving, 1)
	assert.EqualValues(t, 2000, s.Performance.Serving[0].Predictions)
}

func TestDriftedWindowNamesTheFeatures(t *testing.T) {
	s := analyse(t, churnCSV(t, 2000, 3, "mean_shift:0.5:monthly_charges", "new_category:0.2:plan", "nulls:0.3:age"), 0, "")
	assert.Contains(t, []string{VerdictDrift, VerdictDatasetDrift}, s.Verdict, s.Summary)
	d := drifted(s)
	assert.True(t, d["monthly_charges"])
	assert.True(t, d["plan"])
	assert.Contains(t, s.Summary, "monthly_charges")
	for _, c := range s.Quality.Columns {
		switch c.Column {
		case "plan":
			assert.InDelta(t, 400, c.Unseen, 80)
			assert.Equal(t, []string{gen.DriftUnseenValue}, c.UnseenExamples)
		case "age":
			assert.InDelta(t, 0.32, c.NullRate, 0.05)
		case "monthly_charges":
			assert.Positive(t, c.OutOfRange)
		}
	}
	var page bytes.Buffer
	require.NoError(t, WritePage(&page, s))
	assert.Contains(t, page.String(), `alt="reference and window histograms of monthly_charges" src="data:image/png;base64,`)
}

func TestUnknownFeaturesAndFeedbackAreReported(t *testing.T) {
	s := analyse(t, churnCSV(t, 500, 4), 7, "coupon")
	assert.Equal(t, VerdictQuality, s.Verdict, s.Summary)
	assert.Contains(t, s.Quality.Violations, `feature "coupon" is not in the reference profile (sent in 500 rows): the model was not trained on it`)
	assert.Contains(t, s.Summary, "7 feedback for unknown request IDs")
}
