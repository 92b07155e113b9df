package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/bundle"
	"github.com/mlpipe/mlpipe/internal/config"
	"github.com/mlpipe/mlpipe/internal/routing"
	"github.com/mlpipe/mlpipe/internal/serving"
)

// serveRow is one customer with every column the churn model takes.
const serveRow = `{"age": 67, "status": "inactive", "plan": "premium", "tenure_months": 1, "monthly_charges": 140, "support_calls": 9, "last_activity": "2026-10-01T00:00:00Z"}`

// serveColumns are the churn model's inputs in model order.
var serveColumns = []string{"age", "status", "plan", "tenure_months", "monthly_charges", "support_calls", "last_activity"}

// serveAnswer is one HTTP answer from the gateway.
type serveAnswer struct {
	code   int
	body   string
	header http.Header
}

// serveError is the JSON body of a refused request.
type serveError struct {
	Error      string            `json:"error"`
	Row        *int              `json:"row"`
	Column     string            `json:"column"`
	Missing    []string          `json:"missing"`
	Unknown    []string          `json:"unknown"`
	DidYouMean map[string]string `json:"did_you_mean"`
	Limit      int               `json:"limit"`
}

// serveDo sends method path with body (none when empty) and header pairs
// to the stack's gateway.
func (s *stack) serveDo(method, path, body string, header ...string) serveAnswer {
	return serveDoAt(s.t, s.gateway, method, path, body, header...)
}

// serveDoAt is serveDo against the gateway at base.
func serveDoAt(t *testing.T, base, method, path, body string, header ...string) serveAnswer {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, base+path, rd)
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return serveAnswer{code: resp.StatusCode, body: string(b), header: resp.Header}
}

// serveTunedGateway starts a second gateway over the stack's registry
// with row limits as mlpipe serve --max-rows and --max-rows-in-flight set
// them, waits until it serves the churn model, and returns its URL.
func (s *stack) serveTunedGateway(t *testing.T, maxRows, inFlight int) string {
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		err := runGateway(ctx, config.FromEnv(), "127.0.0.1:0", slog.New(slog.NewTextHandler(io.Discard, nil)), ready, func(o *serving.Options) {
			o.MaxRowsPerRequest, o.MaxRowsInFlight = maxRows, inFlight
		})
		if err != nil {
			t.Errorf("gateway: %v", err)
			ready <- ""
		}
	}()
	addr := <-ready
	require.NotEmpty(t, addr)
	t.Cleanup(func() { cancel(); <-done })
	url := "http://" + addr
	require.Eventually(t, func() bool {
		return serveDoAt(t, url, "POST", servePredict, `{"instances": [`+serveRow+`]}`).code == http.StatusOK
	}, 30*time.Second, 50*time.Millisecond)
	return url
}

// serveRefused decodes a refusal, requiring the status and a JSON body.
func serveRefused(t *testing.T, a serveAnswer, code int) serveError {
	t.Helper()
	require.Equal(t, code, a.code, a.body)
	assert.Equal(t, "application/json", a.header.Get("Content-Type"))
	var e serveError
	require.NoError(t, json.Unmarshal([]byte(a.body), &e), a.body)
	require.NotEmpty(t, e.Error)
	return e
}

const servePredict = "/v1/models/churn-classifier:predict"

// serveInfer is a v2 request for serveRow, with extra inputs appended.
func serveInfer(extra string, params string) string {
	in := `{"name": "age", "shape": [1], "datatype": "FP64", "data": [67]},
		{"name": "status", "shape": [1], "datatype": "BYTES", "data": ["inactive"]},
		{"name": "plan", "shape": [1], "datatype": "BYTES", "data": ["premium"]},
		{"name": "tenure_months", "shape": [1], "datatype": "INT64", "data": [1]},
		{"name": "monthly_charges", "shape": [1], "datatype": "FP64", "data": [140]},
		{"name": "support_calls", "shape": [1], "datatype": "FP64", "data": [null]},
		{"name": "last_activity", "shape": [1], "datatype": "BYTES", "data": ["2026-10-01T00:00:00Z"]}` + extra
	body := `{"inputs": [` + in + `]`
	if params != "" {
		body += `, "parameters": ` + params
	}
	return body + "}"
}

// The gateway serving a model the pipeline trained refuses requests it
// cannot answer honestly (missing or misspelt columns, unknown keys,
// numbers that are not finite, too many rows, the wrong method) with a
// JSON body that says what to fix, and the tools that replay CSVs still
// get answers.
func TestServeRefusesWhatItCannotAnswerHonestly(t *testing.T) {
	s := startStack(t)
	s.deployFirstVersion(t)
	require.Eventually(t, func() bool {
		return s.serveDo("POST", servePredict, `{"instances": [`+serveRow+`]}`).code == http.StatusOK
	}, 30*time.Second, 100*time.Millisecond)

	t.Run("an empty row names every missing column", func(t *testing.T) {
		e := serveRefused(t, s.serveDo("POST", servePredict, `{"instances": [{}]}`), http.StatusBadRequest)
		assert.Equal(t, serveColumns, e.Missing)
		for _, c := range serveColumns {
			assert.Contains(t, e.Error, c)
		}
		assert.Contains(t, e.Error, "null", "the message says how to send an unknown value")
	})

	t.Run("wrong-case keys get a did-you-mean", func(t *testing.T) {
		e := serveRefused(t, s.serveDo("POST", servePredict, `{"Age": 41, "Status": "active"}`), http.StatusBadRequest)
		assert.Contains(t, e.Error, `"instances"`, "a row sent without the instances wrapper is refused, not read as no columns")

		e = serveRefused(t, s.serveDo("POST", servePredict, `{"instances": [{"Age": 41, "Status": "active"}]}`), http.StatusBadRequest)
		assert.Equal(t, serveColumns, e.Missing)
		assert.Equal(t, []string{"Age", "Status"}, e.Unknown)
		assert.Equal(t, map[string]string{"Age": "age", "Status": "status"}, e.DidYouMean)
		assert.Contains(t, e.Error, `did you mean "age" for "Age"`)
	})

	t.Run("explicit nulls are imputed as in training", func(t *testing.T) {
		nulls := `{"age": null, "status": null, "plan": null, "tenure_months": null, "monthly_charges": null, "support_calls": null, "last_activity": null}`
		a := s.serveDo("POST", servePredict, `{"instances": [`+nulls+`]}`)
		require.Equal(t, http.StatusOK, a.code, a.body)
		assert.Contains(t, a.body, `"probability"`)
	})

	t.Run("unknown keys are refused unless strict is false", func(t *testing.T) {
		row := strings.Replace(serveRow, "{", `{"shoe": 44, `, 1)
		e := serveRefused(t, s.serveDo("POST", servePredict, `{"instances": [`+row+`]}`), http.StatusBadRequest)
		assert.Equal(t, []string{"shoe"}, e.Unknown)
		assert.Empty(t, e.Missing)
		assert.Contains(t, e.Error, `"strict": false`)

		a := s.serveDo("POST", servePredict, `{"strict": false, "instances": [`+row+`]}`)
		require.Equal(t, http.StatusOK, a.code, a.body)
		assert.Contains(t, a.body, `"ignored_keys":["shoe"]`)
	})

	t.Run("the v2 protocol refuses a stray input and missing ones", func(t *testing.T) {
		e := serveRefused(t, s.serveDo("POST", "/v2/models/churn-classifier/infer",
			`{"inputs": [{"name": "shoe", "shape": [1], "datatype": "FP64", "data": [44]}]}`), http.StatusBadRequest)
		assert.Equal(t, serveColumns, e.Missing)
		assert.Equal(t, []string{"shoe"}, e.Unknown)

		shoe := `, {"name": "shoe", "shape": [1], "datatype": "FP64", "data": [44]}`
		e = serveRefused(t, s.serveDo("POST", "/v2/models/churn-classifier/infer", serveInfer(shoe, "")), http.StatusBadRequest)
		assert.Equal(t, []string{"shoe"}, e.Unknown)
		assert.Contains(t, e.Error, `"parameters": {"strict": false}`)

		a := s.serveDo("POST", "/v2/models/churn-classifier/infer", serveInfer(shoe, `{"strict": false}`))
		require.Equal(t, http.StatusOK, a.code, a.body)
		assert.Contains(t, a.body, `"ignored_inputs":["shoe"]`)

		a = s.serveDo("POST", "/v2/models/churn-classifier/infer", serveInfer("", ""))
		require.Equal(t, http.StatusOK, a.code, "a null element is an explicit unknown: %s", a.body)

		meta := s.serveDo("GET", "/v2/models/churn-classifier", "")
		require.Equal(t, http.StatusOK, meta.code, meta.body)
		assert.Contains(t, meta.body, `{"datatype":"FP64","name":"age","shape":[-1]}`, "the metadata lists the inputs")
	})

	t.Run("numbers that are not finite name the row and column", func(t *testing.T) {
		for _, c := range []struct{ from, to, column string }{
			{`"age": 67`, `"age": "Inf"`, "age"},
			{`"monthly_charges": 140`, `"monthly_charges": "NaN"`, "monthly_charges"},
			{`"tenure_months": 1`, `"tenure_months": 1e999`, "tenure_months"},
		} {
			second := strings.Replace(serveRow, c.from, c.to, 1)
			require.NotEqual(t, serveRow, second)
			e := serveRefused(t, s.serveDo("POST", servePredict, `{"instances": [`+serveRow+`, `+second+`]}`), http.StatusBadRequest)
			require.NotNil(t, e.Row, e.Error)
			assert.Equal(t, 1, *e.Row, e.Error)
			assert.Equal(t, c.column, e.Column, e.Error)
			assert.Contains(t, e.Error, "instances[1]", e.Error)
			assert.Contains(t, e.Error, c.column)
		}
		v2 := strings.Replace(serveInfer("", ""), `"data": [140]`, `"data": [1e999]`, 1)
		e := serveRefused(t, s.serveDo("POST", "/v2/models/churn-classifier/infer", v2), http.StatusBadRequest)
		assert.Equal(t, "monthly_charges", e.Column, e.Error)
		v2 = strings.Replace(serveInfer("", ""), `"datatype": "FP64", "data": [67]`, `"datatype": "BYTES", "data": ["-Inf"]`, 1)
		e = serveRefused(t, s.serveDo("POST", "/v2/models/churn-classifier/infer", v2), http.StatusBadRequest)
		assert.Equal(t, "age", e.Column, e.Error)
	})

	t.Run("too many rows are a 413 with the limit", func(t *testing.T) {
		rows := strings.Repeat(serveRow+",", 10_000) + serveRow
		e := serveRefused(t, s.serveDo("POST", servePredict, `{"instances": [`+rows+`]}`), http.StatusRequestEntityTooLarge)
		assert.Equal(t, 10_000, e.Limit)
		assert.Contains(t, e.Error, "10000 rows")
	})

	t.Run("a wrong method is a 405 with Allow", func(t *testing.T) {
		for _, c := range []struct{ method, path, allow string }{
			{"GET", servePredict, "POST"},
			{"PUT", servePredict, "POST"},
			{"POST", "/v1/models/churn-classifier", "GET, HEAD"},
			{"GET", "/v1/models/churn-classifier/feedback", "POST"},
			{"DELETE", "/v1/models", "GET, HEAD"},
			{"GET", "/v2/models/churn-classifier/infer", "POST"},
			{"POST", "/v2/models/churn-classifier", "GET, HEAD"},
			{"POST", "/healthz", "GET, HEAD"},
			{"POST", "/metrics", "GET, HEAD"},
			{"DELETE", "/admin/models/churn-classifier/routing", "GET, HEAD, PUT"},
			{"GET", "/admin/reload", "POST"},
		} {
			a := s.serveDo(c.method, c.path, "", "Authorization", "Bearer test-admin-token")
			e := serveRefused(t, a, http.StatusMethodNotAllowed)
			assert.Equal(t, c.allow, a.header.Get("Allow"), "%s %s", c.method, c.path)
			assert.Contains(t, e.Error, c.method, "%s %s", c.method, c.path)
		}
		serveRefused(t, s.serveDo("GET", "/v1/nothing", ""), http.StatusNotFound)
	})

	t.Run("the admin API takes the bearer scheme in any case", func(t *testing.T) {
		for _, scheme := range []string{"Bearer", "bearer", "BEARER"} {
			a := s.serveDo("GET", "/admin/models/churn-classifier/routing", "", "Authorization", scheme+" test-admin-token")
			assert.Equal(t, http.StatusOK, a.code, "%s: %s", scheme, a.body)
		}
		a := s.serveDo("GET", "/admin/models/churn-classifier/routing", "", "Authorization", "bearer wrong")
		serveRefused(t, a, http.StatusUnauthorized)
	})

	t.Run("mlpipe predict and mlpipe traffic send complete rows", func(t *testing.T) {
		csv := filepath.Join(s.specDir, "data/churn.csv")
		out, code := s.mlpipe("predict", "churn-classifier", "--gateway", s.gateway, "--csv", csv, "--limit", "3")
		require.Equal(t, 0, code, out)
		assert.Contains(t, out, `"predictions"`)
		assert.Contains(t, out, "ignored columns the model does not take: churned, customer_id")

		out, code = s.mlpipe("predict", "churn-classifier", "--gateway", s.gateway, "--rows", `[{"Age": 41}]`)
		assert.Equal(t, exitFailure, code, out)
		assert.Contains(t, out, `did you mean "age" for "Age"`)

		out, code = s.mlpipe("traffic", "churn-classifier", "--gateway", s.gateway, "--csv", csv, "--label", "churned", "--sticky", "customer_id",
			"--requests", "40", "--rate", "0", "--progress", "1h")
		require.Equal(t, 0, code, out)
		assert.Contains(t, out, "40 requests")
		assert.Contains(t, out, ", 0 errors")
	})

	t.Run("a gateway holding its limit of rows answers 503 with Retry-After", func(t *testing.T) {
		gw := s.serveTunedGateway(t, 2000, 2000)
		// A slow client: 2000 rows sent, the list not yet closed, so the
		// gateway holds them all while it waits for the rest.
		pr, pw := io.Pipe()
		slow := make(chan serveAnswer, 1)
		go func() {
			resp, err := http.Post(gw+servePredict, "application/json", pr)
			if err != nil {
				slow <- serveAnswer{body: err.Error()}
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			slow <- serveAnswer{code: resp.StatusCode, body: string(b)}
		}()
		_, err := io.WriteString(pw, `{"instances": [`+strings.Repeat(serveRow+",", 1999)+serveRow)
		require.NoError(t, err)

		var a serveAnswer
		require.Eventually(t, func() bool {
			a = serveDoAt(t, gw, "POST", servePredict, `{"instances": [`+serveRow+`]}`)
			return a.code == http.StatusServiceUnavailable
		}, 30*time.Second, 50*time.Millisecond, "the second request is shed while the first holds every row")
		e := serveRefused(t, a, http.StatusServiceUnavailable)
		assert.Equal(t, "1", a.header.Get("Retry-After"))
		assert.Equal(t, 2000, e.Limit)
		assert.Contains(t, e.Error, "limit of 2000 rows in flight: retry after 1 second")

		_, err = io.WriteString(pw, `]}`)
		require.NoError(t, err)
		require.NoError(t, pw.Close())
		got := <-slow
		require.Equal(t, http.StatusOK, got.code, got.body)
		a = serveDoAt(t, gw, "POST", servePredict, `{"instances": [`+serveRow+`]}`)
		assert.Equal(t, http.StatusOK, a.code, "the rows are given back once answered: %s", a.body)
		metrics := serveDoAt(t, gw, "GET", "/metrics", "")
		assert.Regexp(t, `mlpipe_predict_shed_total [1-9]`, metrics.body)
	})

	t.Run("a scaled value that overflows names its column", func(t *testing.T) {
		// A candidate whose monthly_charges divisor is below 1, as a
		// minmax-scaled narrow column's is: 1e308 overflows once scaled.
		_, _, v := s.registerCandidate(t, func(b *bundle.Bundle) {
			for i := range b.Transform.Columns {
				if b.Transform.Columns[i].Column == "monthly_charges" {
					b.Transform.Columns[i].Divisor = 0.5
				}
			}
		})
		_, err := routing.Client{BaseURL: s.gateway, Token: "test-admin-token"}.SetRouting(t.Context(),
			routing.Routing{Model: "churn-classifier", Candidate: v.Version, Mode: routing.ModeCanary, Weight: 100, Reason: t.Name()})
		require.NoError(t, err)
		row := strings.Replace(serveRow, `"monthly_charges": 140`, `"monthly_charges": 1e308`, 1)
		a := s.serveDo("POST", servePredict, `{"instances": [`+row+`]}`)
		e := serveRefused(t, a, http.StatusBadRequest)
		assert.Equal(t, "monthly_charges", e.Column)
		require.NotNil(t, e.Row)
		assert.Equal(t, 0, *e.Row)
		assert.Contains(t, e.Error, fmt.Sprintf("version %d", v.Version))
		assert.Contains(t, e.Error, "not finite")
	})
}

// mlpipe serve refuses row limits that cannot work, saying which.
func TestServeRefusesRowLimitsThatCannotWork(t *testing.T) {
	var out strings.Builder
	m := &Main{Stdout: &out, Stderr: &out, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	code := m.Run(context.Background(), []string{"serve", "--addr", "127.0.0.1:0", "--max-rows", "5000", "--max-rows-in-flight", "1000"})
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, out.String(), "--max-rows-in-flight at least --max-rows (got 5000 and 1000)")
}
