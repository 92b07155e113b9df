package inferlog_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/inferlog"
)

// Parsing the inputs in Go reads the same rows, in the same order, as the
// predictions table: two replicas, a legacy file without the status
// column, a record whose inputs were not logged, the client's raw JSON,
// another model and another hour left out, a corrupt file skipped.
func TestReadParsesInputsOfTheLoadedRows(t *testing.T) {
	ctx := context.Background()
	store, err := artifact.NewFileStore(t.TempDir())
	require.NoError(t, err)
	a, b := newWriter(t, store, "gw-a"), newWriter(t, store, "gw-b")
	require.True(t, a.LogPredictions(&inferlog.Predictions{RequestID: "r1", Time: t0, Model: "churn", Version: 1, Variant: "production",
		Rows: []map[string]any{{"age": 41.0, "plan": "gold"}, {"age": nil, "plan": "basic"}}, Answers: answers{"yes", "no"}}))
	// As the client sent it: white space, a duplicate key, an escape.
	require.True(t, b.LogPredictions(&inferlog.Predictions{RequestID: "r2", Time: t0, Model: "churn", Version: 1, Variant: "canary",
		Raw: []byte(` [ {"age": 1, "age": 2e1, "plan": "g\u006fld"} ] `), Rows: []map[string]any{{"age": 20.0, "plan": "gold"}}, Answers: answers{"no"}}))
	// Rows that do not match the answers are logged as null inputs.
	require.True(t, b.LogPredictions(&inferlog.Predictions{RequestID: "r3", Time: t0, Model: "churn", Version: 1, Variant: "production",
		Rows: []map[string]any{{"age": 5.0}}, Answers: answers{"yes", "yes"}}))
	require.True(t, a.LogPredictions(&inferlog.Predictions{RequestID: "x", Time: t0, Model: "other", Version: 1, Variant: "production",
		Rows: []map[string]any{{"other": 1.0}}, Answers: answers{"yes"}}))
	require.True(t, a.LogPredictions(&inferlog.Predictions{RequestID: "later", Time: t0.Add(2 * time.Hour), Model: "churn", Version: 1, Variant: "production",
		Rows: []map[string]any{{"later": 1.0}}, Answers: answers{"yes"}}))
	require.NoError(t, a.Close(ctx))
	require.NoError(t, b.Close(ctx))
	var old bytes.Buffer
	pw := parquet.NewGenericWriter[legacyRow](&old)
	_, err = pw.Write([]legacyRow{{RequestID: "o1", Time: t0.UnixMicro(), Model: "churn", Version: 1, Variant: "production", Inputs: `[{"age": 7, "region": "north"}]`,
		Predictions: []string{"no"}, Probability: []float64{0.2}, LatencyMs: 3, Replica: "gw-old"}})
	require.NoError(t, err)
	require.NoError(t, pw.Close())
	_, err = artifact.PutBytes(ctx, store, "inference/churn/dt=2026-12-05/hour=10/gw-old-1-000001.parquet", old.Bytes(), "")
	require.NoError(t, err)
	junk := "inference/churn/dt=2026-12-05/hour=10/x-1-000009.parquet"
	_, err = artifact.PutBytes(ctx, store, junk, bytes.Repeat([]byte("PAR1"), 10), "")
	require.NoError(t, err)

	q := inferlog.Query{Model: "churn", From: t0.Add(-time.Hour), To: t0.Add(time.Hour), Requests: true,
		KeysFrom: t0.Add(-48 * time.Hour), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	plainEng := engine(t)
	plain, err := inferlog.Read(ctx, store, plainEng, q)
	require.NoError(t, err)
	q.ParseInputs = true
	eng := engine(t)
	w, err := inferlog.Read(ctx, store, eng, q)
	require.NoError(t, err)

	assert.Equal(t, int64(6), w.Predictions)
	assert.Equal(t, plain.Predictions, w.Predictions)
	require.Len(t, w.Skipped, 1)
	assert.Contains(t, w.Skipped[0], junk)
	require.NotNil(t, w.Inputs)
	assert.Equal(t, w.Predictions, w.Inputs.Rows)
	assert.Equal(t, int64(2), w.Inputs.Unreadable, "r3's two rows")
	// The same rows as the table's input column, row by row.
	var inputs []string
	var ok []bool
	rows, err := plainEng.DB().Query(`SELECT input FROM predictions`)
	require.NoError(t, err)
	for rows.Next() {
		var s *string
		require.NoError(t, rows.Scan(&s))
		inputs, ok = append(inputs, deref(s)), append(ok, s != nil)
	}
	require.NoError(t, rows.Err())
	require.NoError(t, rows.Close())
	want := inferlog.ParseRows(inputs, ok)
	require.Equal(t, len(want.Columns), len(w.Inputs.Columns))
	for i, c := range want.Columns {
		got := w.Inputs.Columns[i]
		assert.Equal(t, c.Name, got.Name)
		assert.Equal(t, c.Tags, got.Tags, c.Name)
		assert.Equal(t, c.Seen, got.Seen, c.Name)
		for r := range c.Tags {
			wv, _ := c.Text(r)
			gv, _ := got.Text(r)
			assert.Equal(t, wv, gv, "%s row %d", c.Name, r)
		}
	}
	assert.Equal(t, []string{"age", "plan", "region"}, names(w.Inputs))
	age := w.Inputs.Column("age")
	assert.Equal(t, int64(4), age.Seen, "the duplicate key counts once")
	// The probabilities, in the table's order.
	var probs []float64
	prows, err := plainEng.DB().Query(`SELECT probability FROM predictions WHERE isfinite(probability)`)
	require.NoError(t, err)
	for prows.Next() {
		var p float64
		require.NoError(t, prows.Scan(&p))
		probs = append(probs, p)
	}
	require.NoError(t, prows.Close())
	assert.Equal(t, probs, w.Inputs.Probabilities)
	// The table has no input column: the rows are parsed once.
	_, err = eng.DB().Exec(`SELECT input FROM predictions`)
	assert.Error(t, err)
	// Every other view reads as without parsing.
	for _, v := range []string{"joined", "labelled", "requests", "feedback"} {
		var n, m int
		require.NoError(t, eng.DB().QueryRow(`SELECT count(*) FROM `+v).Scan(&n))
		require.NoError(t, plainEng.DB().QueryRow(`SELECT count(*) FROM `+v).Scan(&m))
		assert.Equal(t, m, n, v)
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func names(in *inferlog.Inputs) []string {
	var out []string
	for _, c := range in.Columns {
		out = append(out, c.Name)
	}
	return out
}
