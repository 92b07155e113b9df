package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/dataplane"
)

// slcFeedbackAnswer is the gateway's answer to feedback.
type slcFeedbackAnswer struct {
	Joined, Unknown, Duplicate, Invalid int
	Logged                              *int
}

func slcFeedback(t *testing.T, g *ilGateway, body string) slcFeedbackAnswer {
	t.Helper()
	out, code := ilDo(http.MethodPost, g.url+"/v1/models/churn/feedback", body, "")
	require.Equal(t, http.StatusOK, code, out)
	var a slcFeedbackAnswer
	require.NoError(t, json.Unmarshal([]byte(out), &a), out)
	return a
}

// slcBatch is a 32-row predict body whose rows hold what clients send:
// plain values, an escaped quote, a non-ASCII category, an explicit null,
// and blanks between the rows; rows is the rows' JSON as sent.
func slcBatch() (body string, rows []string) {
	for i := range 32 {
		plan := []string{"pro", "basic", `say \"hi\"`, "café", "caf\\u00e9"}[i%5]
		x := fmt.Sprintf("%.2f", float64(i)/8-2)
		if i == 7 {
			x = "null"
		}
		rows = append(rows, fmt.Sprintf(`{"x1": %s, "plan": "%s"}`, x, plan))
	}
	return `{"instances": [` + strings.Join(rows, ",\n  ") + `], "strict": true}`, rows
}

// A 32-row batch through `mlpipe serve` with the inference log on: each
// row's feedback joins once (the last row too), a row the request did not
// have is unknown, and the log holds the rows exactly as the client sent
// them.
func TestSlcBatchFeedbackJoinsEveryRowAndTheLogKeepsTheRowsAsSent(t *testing.T) {
	dir := ilDeploy(t)
	bin := buildMlpipe(t)
	g := ilServe(t, bin, dir, "gw-slc", "--log-flush-interval", "100ms")

	body, rows := slcBatch()
	out, code := ilDo(http.MethodPost, g.url+"/v1/models/churn:predict", body, "slc-batch")
	require.Equal(t, http.StatusOK, code, out)
	var answer struct {
		Predictions []struct{ Label string } `json:"predictions"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &answer), out)
	require.Len(t, answer.Predictions, 32)

	a := slcFeedback(t, g, `[{"request_id": "slc-batch", "row": 31, "label": "yes"}, {"request_id": "slc-batch", "row": 0, "label": "no"}]`)
	assert.Equal(t, slcFeedbackAnswer{Joined: 2, Logged: a.Logged}, a, "the first and the last row join")
	a = slcFeedback(t, g, `{"request_id": "slc-batch", "row": 31, "label": "yes"}`)
	assert.Equal(t, 1, a.Duplicate, "a label sent again counts once")
	a = slcFeedback(t, g, `{"request_id": "slc-batch", "row": 32, "label": "yes"}`)
	assert.Equal(t, 1, a.Unknown, "the request had 32 rows: 0 to 31")
	a = slcFeedback(t, g, `{"request_id": "slc-batch", "row": 5, "label": "maybe"}`)
	assert.Equal(t, 1, a.Invalid, "a label that is no class is refused")
	a = slcFeedback(t, g, `{"request_id": "slc-batch", "row": 5, "label": "no"}`)
	assert.Equal(t, 1, a.Joined, "the refused label did not use the row up")
	g.stop(t)

	eng, err := dataplane.Open(dataplane.Options{Threads: 1, TempDir: t.TempDir()})
	require.NoError(t, err)
	t.Cleanup(func() { _ = eng.Close() })
	var inputs sql.NullString
	var n int
	require.NoError(t, eng.DB().QueryRowContext(context.Background(), `SELECT inputs, len(predictions) FROM read_parquet(`+
		dataplane.Quote(filepath.Join(dir, "inference", "churn", "**", "*.parquet"))+`) WHERE request_id = 'slc-batch'`).Scan(&inputs, &n))
	assert.Equal(t, 32, n)
	assert.Equal(t, "["+strings.Join(rows, ",")+"]", inputs.String, "the log keeps the rows' bytes as sent")
}

// Bodies the quick decoding path does not take get the streaming
// decoder's answers, word for word.
func TestSlcBadBodiesKeepTheirAnswers(t *testing.T) {
	dir := ilDeploy(t)
	bin := buildMlpipe(t)
	g := ilServe(t, bin, dir, "gw-slc-bad", "--max-rows", "3")
	for _, c := range []struct {
		body string
		code int
		msg  string
	}{
		{`{"instances": [{"x1": 1e400, "plan": "pro"}]}`, http.StatusBadRequest,
			"instances[0].x1: 1e400 is not a finite number (it is beyond ±1.8e308); send a finite number, or null for a value you do not know"},
		{`{"instances": [{"x1": 1, "plan": "pro"},]}`, http.StatusBadRequest, "invalid JSON body: invalid character ']' looking for beginning of value"},
		{`{"instances": [{"x1": 1, "plan": "pro"}, null]}`, http.StatusBadRequest, "instances[1] is null: send each row as an object of column values"},
		{`{"instances": [[1, "pro"]]}`, http.StatusBadRequest, "instances[0] is a JSON array: send each row as an object of column values"},
		{`{"instances": [{"x1": 1, "plan": "pro"}], "rows": [{"x1": 1, "plan": "pro"}]}`, http.StatusBadRequest, `the body has both "instances" and "rows"`},
		{`{"instances": [{"x1": 1, "plan": "pro"}], "strict": "yes"}`, http.StatusBadRequest, `"strict" must be true or false`},
		{`{"instances": [{"x1": 1, "plan": "pro"}], "limit": 3}`, http.StatusBadRequest, `unknown field "limit" in the request body`},
		{`{"instances": []}`, http.StatusBadRequest, "no rows to score"},
		{`{"instances": [{"x1": 1, "plan": "pro"}`, http.StatusBadRequest, "invalid JSON body: it ends early"},
		{ilRows(4), http.StatusRequestEntityTooLarge, "the request has more than 3 rows, the gateway's limit per request: send at most 3 rows per request"},
	} {
		out, code := ilDo(http.MethodPost, g.url+"/v1/models/churn:predict", c.body, "")
		assert.Equal(t, c.code, code, "%s: %s", c.body, out)
		var e struct{ Error string }
		require.NoError(t, json.Unmarshal([]byte(out), &e), out)
		assert.Contains(t, e.Error, c.msg, c.body)
	}
	out, code := ilDo(http.MethodPost, g.url+"/v1/models/churn:predict", ilRows(3)+" trailing words", "")
	assert.Equal(t, http.StatusOK, code, "what follows the body's object is not read, as before: %s", out)
}
