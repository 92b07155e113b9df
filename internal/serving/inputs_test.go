package serving_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/registry"
	"github.com/mlpipe/mlpipe/internal/routing"
	"github.com/mlpipe/mlpipe/internal/serving"
)

// columnsPredictor names its inputs, as a real bundle does. Version 2 also
// reads region. A tenure above 1e300 is refused as a value that overflows
// once scaled. Rows of blockRows rows wait for release.
type columnsPredictor struct {
	inputs    []serving.Input
	mu        *sync.Mutex
	seen      *[]map[string]any
	blockRows int
	entered   chan struct{}
	release   chan struct{}
}

func (p columnsPredictor) InputColumns() []serving.Input { return p.inputs }

func (p columnsPredictor) Predict(rows []map[string]any) ([]serving.Prediction, error) {
	p.mu.Lock()
	*p.seen = append(*p.seen, rows...)
	p.mu.Unlock()
	if p.blockRows > 0 && len(rows) == p.blockRows {
		p.entered <- struct{}{}
		<-p.release
	}
	out := make([]serving.Prediction, len(rows))
	for i, row := range rows {
		if f, ok := row["tenure"].(float64); ok && f > 1e300 {
			return nil, &serving.RowError{Row: i, Column: "tenure", Reason: "1e+308 is not finite once scaled"}
		}
		out[i] = serving.Prediction{Label: "no", Probability: 0.2}
	}
	return out, nil
}

var churnInputs = []serving.Input{{Name: "tenure", Type: serving.InputNumber}, {Name: "plan", Type: serving.InputString}, {Name: "since", Type: serving.InputTime}}

// columnsFixture serves churn v1 (and v2, which also reads region) with
// columnsPredictor.
type columnsFixture struct {
	*fixture
	mu   sync.Mutex
	seen []map[string]any
	p    columnsPredictor
}

func newColumnsFixture(t *testing.T, opts serving.Options) *columnsFixture {
	t.Helper()
	cf := &columnsFixture{}
	cf.p = columnsPredictor{mu: &cf.mu, seen: &cf.seen, entered: make(chan struct{}), release: make(chan struct{})}
	if opts.AdminToken == "" {
		opts.AdminToken = adminToken
	}
	cf.fixture = newFixtureWith(t, opts, func(ctx context.Context, v registry.Version) (serving.Predictor, error) {
		p := cf.p
		p.inputs = churnInputs
		if v.Version == 2 {
			p.inputs = append(p.inputs[:3:3], serving.Input{Name: "region", Type: serving.InputString})
		}
		return p, nil
	})
	require.NoError(t, cf.gw.Reload(context.Background()))
	return cf
}

// rowsSeen is what the model was asked to score so far.
func (cf *columnsFixture) rowsSeen() []map[string]any {
	cf.mu.Lock()
	defer cf.mu.Unlock()
	return append([]map[string]any(nil), cf.seen...)
}

// refusal is the JSON body of a refused request.
type refusal struct {
	Error      string            `json:"error"`
	RequestID  string            `json:"request_id"`
	Row        *int              `json:"row"`
	Column     string            `json:"column"`
	Missing    []string          `json:"missing"`
	Unknown    []string          `json:"unknown"`
	DidYouMean map[string]string `json:"did_you_mean"`
	Inputs     []serving.Input   `json:"inputs"`
	Limit      int               `json:"limit"`
}

func refused(t *testing.T, r result, code int) refusal {
	t.Helper()
	require.Equal(t, code, r.code, r.body)
	assert.Equal(t, "application/json", r.header.Get("Content-Type"))
	var e refusal
	require.NoError(t, json.Unmarshal([]byte(r.body), &e), r.body)
	require.NotEmpty(t, e.Error)
	require.NotEmpty(t, e.RequestID)
	return e
}

const fullRow = `{"tenure": 3, "plan": "basic", "since": "2026-01-02T00:00:00Z"}`

func TestMissingColumnsAreRefusedByName(t *testing.T) {
	f := newColumnsFixture(t, serving.Options{})

	e := refused(t, f.do(t, "POST", "/v1/models/churn:predict", `{"instances": [{}]}`), http.StatusBadRequest)
	assert.Equal(t, []string{"tenure", "plan", "since"}, e.Missing)
	assert.Equal(t, churnInputs, e.Inputs)
	require.NotNil(t, e.Row)
	assert.Equal(t, 0, *e.Row)
	assert.Contains(t, e.Error, "instances[0] misses columns the model takes: tenure, plan, since")
	assert.Contains(t, e.Error, "tenure (number), plan (string), since (time)")
	assert.Contains(t, e.Error, "send null for a value you do not know")

	e = refused(t, f.do(t, "POST", "/v1/models/churn:predict", `{"instances": [{"Tenure": 3, "pln": "basic", "since": null}]}`), http.StatusBadRequest)
	assert.Equal(t, []string{"tenure", "plan"}, e.Missing)
	assert.Equal(t, []string{"Tenure", "pln"}, e.Unknown)
	assert.Equal(t, map[string]string{"Tenure": "tenure", "pln": "plan"}, e.DidYouMean)
	assert.Contains(t, e.Error, `did you mean "tenure" for "Tenure", "plan" for "pln"?`)

	e = refused(t, f.do(t, "POST", "/v1/models/churn:predict", `{"instances": [`+fullRow+`, {"tenure": 3, "since": null}, {}]}`), http.StatusBadRequest)
	assert.Equal(t, []string{"tenure", "plan", "since"}, e.Missing, "every column some row misses")
	assert.Equal(t, 1, *e.Row)
	assert.Contains(t, e.Error, "2 of 3 rows miss columns the model takes (the first is instances[1])")

	assert.Empty(t, f.rowsSeen(), "nothing refused reached the model")

	// An explicit null is an unknown value the model imputes.
	r := f.do(t, "POST", "/v1/models/churn:predict", `{"instances": [{"tenure": null, "plan": null, "since": null}]}`)
	require.Equal(t, http.StatusOK, r.code, r.body)
	seen := f.rowsSeen()
	require.Len(t, seen, 1)
	assert.Equal(t, map[string]any{"tenure": nil, "plan": nil, "since": nil}, seen[0])
}

func TestUnknownKeysAreRefusedUnlessNotStrict(t *testing.T) {
	f := newColumnsFixture(t, serving.Options{})
	withShoe := strings.Replace(fullRow, "{", `{"shoe": 44, "id": "C1", `, 1)

	e := refused(t, f.do(t, "POST", "/v1/models/churn:predict", `{"instances": [`+withShoe+`]}`), http.StatusBadRequest)
	assert.Equal(t, []string{"id", "shoe"}, e.Unknown)
	assert.Empty(t, e.Missing)
	assert.Nil(t, e.Row)
	assert.Contains(t, e.Error, `keys the model does not take: "id", "shoe"`)
	assert.Contains(t, e.Error, `"strict": false`)

	r := f.do(t, "POST", "/v1/models/churn:predict", `{"strict": false, "instances": [`+withShoe+`]}`)
	require.Equal(t, http.StatusOK, r.code, r.body)
	assert.Contains(t, r.body, `"ignored_keys":["id","shoe"]`)
	r = f.do(t, "POST", "/v1/models/churn:predict", `{"instances": [`+fullRow+`]}`)
	require.Equal(t, http.StatusOK, r.code, r.body)
	assert.NotContains(t, r.body, "ignored_keys")

	// Not strict still refuses what is missing.
	e = refused(t, f.do(t, "POST", "/v1/models/churn:predict", `{"strict": false, "instances": [{"shoe": 1}]}`), http.StatusBadRequest)
	assert.Equal(t, []string{"tenure", "plan", "since"}, e.Missing)
	assert.Empty(t, e.Unknown)

	e = refused(t, f.do(t, "POST", "/v1/models/churn:predict", `{"strict": "no", "instances": [`+fullRow+`]}`), http.StatusBadRequest)
	assert.Contains(t, e.Error, `"strict" must be true or false`)

	// The routing's sticky field and what the candidate reads are known.
	f.route(t, routing.Routing{Candidate: 2, Mode: routing.ModeCanary, Weight: 0, StickyKey: "id"})
	withID := strings.Replace(fullRow, "{", `{"id": "C1", "region": "north", `, 1)
	r = f.do(t, "POST", "/v1/models/churn:predict", `{"instances": [`+withID+`]}`)
	require.Equal(t, http.StatusOK, r.code, r.body)
	assert.Equal(t, "production", r.decoded.Variant)
	// The candidate answers only with its own columns all there.
	f.route(t, routing.Routing{Candidate: 2, Mode: routing.ModeCanary, Weight: 100})
	e = refused(t, f.do(t, "POST", "/v1/models/churn:predict", `{"instances": [`+fullRow+`]}`), http.StatusBadRequest)
	assert.Equal(t, []string{"region"}, e.Missing)
}

func TestNumbersThatAreNotFiniteNameRowAndColumn(t *testing.T) {
	f := newColumnsFixture(t, serving.Options{})
	for _, c := range []struct{ value, literal string }{
		{`"Inf"`, `"Inf"`}, {`"-infinity"`, `"-infinity"`}, {`"NaN"`, `"NaN"`}, {`"1e999"`, `"1e999"`}, {`1e999`, `1e999`}, {`-1E400`, `-1E400`},
	} {
		bad := strings.Replace(fullRow, `"tenure": 3`, `"tenure": `+c.value, 1)
		e := refused(t, f.do(t, "POST", "/v1/models/churn:predict", `{"instances": [`+fullRow+`, `+bad+`]}`), http.StatusBadRequest)
		require.NotNil(t, e.Row, c.value)
		assert.Equal(t, 1, *e.Row, c.value)
		assert.Equal(t, "tenure", e.Column, c.value)
		assert.Contains(t, e.Error, "instances[1].tenure: "+c.literal+" is not a finite number", c.value)
		assert.Contains(t, e.Error, "send a finite number, or null", c.value)
	}
	assert.Empty(t, f.rowsSeen(), "nothing refused reached the model")
	// A string column may hold any text.
	r := f.do(t, "POST", "/v1/models/churn:predict", `{"instances": [{"tenure": 3, "plan": "Inf", "since": null}]}`)
	assert.Equal(t, http.StatusOK, r.code, r.body)

	// A value the model finds not finite once scaled is named by the model.
	e := refused(t, f.do(t, "POST", "/v1/models/churn:predict", `{"instances": [{"tenure": 1e308, "plan": "basic", "since": null}]}`), http.StatusBadRequest)
	assert.Equal(t, "tenure", e.Column)
	assert.Equal(t, 0, *e.Row)
	assert.Contains(t, e.Error, "model churn version 1: instances[0].tenure: 1e+308 is not finite once scaled")

	// Rows that are not objects are named too.
	e = refused(t, f.do(t, "POST", "/v1/models/churn:predict", `{"instances": [`+fullRow+`, [1, 2]]}`), http.StatusBadRequest)
	assert.Contains(t, e.Error, "instances[1] is a JSON array")
	e = refused(t, f.do(t, "POST", "/v1/models/churn:predict", `{"instances": [null]}`), http.StatusBadRequest)
	assert.Contains(t, e.Error, "instances[0] is null")
}

func TestInferChecksInputsLikePredict(t *testing.T) {
	f := newColumnsFixture(t, serving.Options{})
	const tenure = `{"name": "tenure", "shape": [2], "datatype": "FP64", "data": [3, null]}`
	const rest = `{"name": "plan", "shape": [2], "datatype": "BYTES", "data": ["basic", "pro"]},
		{"name": "since", "shape": [2], "datatype": "BYTES", "data": [null, "2026-01-02T00:00:00Z"]}`
	const shoe = `{"name": "shoe", "shape": [2], "datatype": "FP64", "data": [44, 45]}`

	e := refused(t, f.do(t, "POST", "/v2/models/churn/infer", `{"inputs": [`+shoe+`]}`), http.StatusBadRequest)
	assert.Equal(t, []string{"tenure", "plan", "since"}, e.Missing)
	assert.Equal(t, []string{"shoe"}, e.Unknown)
	assert.Contains(t, e.Error, "missing inputs the model takes: tenure, plan, since")
	assert.Contains(t, e.Error, `"parameters": {"strict": false}`)

	e = refused(t, f.do(t, "POST", "/v2/models/churn/infer", `{"inputs": [`+tenure+`, `+rest+`, `+shoe+`]}`), http.StatusBadRequest)
	assert.Equal(t, []string{"shoe"}, e.Unknown)
	assert.Contains(t, e.Error, `inputs the model does not take: "shoe"`)

	r := f.do(t, "POST", "/v2/models/churn/infer", `{"parameters": {"strict": false}, "inputs": [`+tenure+`, `+rest+`, `+shoe+`]}`)
	require.Equal(t, http.StatusOK, r.code, r.body)
	assert.Contains(t, r.body, `"ignored_inputs":["shoe"]`)
	seen := f.rowsSeen()
	require.Len(t, seen, 2)
	v, ok := seen[1]["tenure"]
	assert.True(t, ok, "a null element reaches the model as an explicit null")
	assert.Nil(t, v)

	e = refused(t, f.do(t, "POST", "/v2/models/churn/infer", `{"parameters": {"strict": 0}, "inputs": [`+tenure+`, `+rest+`]}`), http.StatusBadRequest)
	assert.Contains(t, e.Error, `"strict": ...} must be true or false`)

	huge := strings.Replace(tenure, "[3, null]", "[3, 1e999]", 1)
	e = refused(t, f.do(t, "POST", "/v2/models/churn/infer", `{"inputs": [`+huge+`, `+rest+`]}`), http.StatusBadRequest)
	assert.Equal(t, "tenure", e.Column)
	assert.Equal(t, 1, *e.Row)
	assert.Contains(t, e.Error, `input "tenure", element 1: 1e999 is not a finite number`)

	inf := strings.Replace(strings.Replace(tenure, `"FP64"`, `"BYTES"`, 1), "[3, null]", `["3", "-Inf"]`, 1)
	e = refused(t, f.do(t, "POST", "/v2/models/churn/infer", `{"inputs": [`+inf+`, `+rest+`]}`), http.StatusBadRequest)
	assert.Equal(t, "tenure", e.Column)
	assert.Contains(t, e.Error, `input "tenure", element 1: "-Inf" is not a finite number`)

	meta := f.do(t, "GET", "/v2/models/churn", "")
	require.Equal(t, http.StatusOK, meta.code, meta.body)
	assert.Contains(t, meta.body, `"inputs":[{"datatype":"FP64","name":"tenure","shape":[-1]},{"datatype":"BYTES","name":"plan","shape":[-1]},{"datatype":"BYTES","name":"since","shape":[-1]}]`)
}

func TestRowsPerRequestAndInFlightAreBounded(t *testing.T) {
	f := newColumnsFixture(t, serving.Options{MaxRowsPerRequest: 3, MaxRowsInFlight: 4})
	rows := func(n int) string {
		return `{"instances": [` + strings.TrimSuffix(strings.Repeat(fullRow+",", n), ",") + `]}`
	}
	e := refused(t, f.do(t, "POST", "/v1/models/churn:predict", rows(4)), http.StatusRequestEntityTooLarge)
	assert.Equal(t, 3, e.Limit)
	assert.Contains(t, e.Error, "more than 3 rows, the gateway's limit per request: send at most 3 rows per request")
	column := `{"name": "tenure", "shape": [4], "datatype": "FP64", "data": [1, 2, 3, 4]}`
	e = refused(t, f.do(t, "POST", "/v2/models/churn/infer", `{"inputs": [`+column+`]}`), http.StatusRequestEntityTooLarge)
	assert.Equal(t, 3, e.Limit)

	// A 3-row request holds 3 of the 4 rows while the model scores it.
	f = newColumnsFixtureBlocking(t)
	done := make(chan result, 1)
	go func() {
		r, err := f.try("POST", "/v1/models/churn:predict", rows(3))
		assert.NoError(t, err)
		done <- r
	}()
	<-f.p.entered
	before := f.stats(t).Variant(routing.VariantProduction).Requests

	r := f.do(t, "POST", "/v1/models/churn:predict", rows(2))
	e = refused(t, r, http.StatusServiceUnavailable)
	assert.Equal(t, "1", r.header.Get("Retry-After"))
	assert.Equal(t, 4, e.Limit)
	assert.Contains(t, e.Error, "limit of 4 rows in flight: retry after 1 second")
	e = refused(t, f.do(t, "POST", "/v2/models/churn/infer", `{"inputs": [{"name": "tenure", "shape": [2], "datatype": "FP64", "data": [1, 2]}]}`), http.StatusServiceUnavailable)
	assert.Equal(t, 4, e.Limit)
	// One row still fits.
	r = f.do(t, "POST", "/v1/models/churn:predict", rows(1))
	require.Equal(t, http.StatusOK, r.code, r.body)

	close(f.p.release)
	require.Equal(t, http.StatusOK, (<-done).code)
	r = f.do(t, "POST", "/v1/models/churn:predict", rows(2))
	require.Equal(t, http.StatusOK, r.code, "rows are given back once answered: %s", r.body)

	assert.Equal(t, before+3, f.stats(t).Variant(routing.VariantProduction).Requests,
		"shed requests are not a version's requests (the blocked one, the 1-row and the 2-row count)")
	m := f.do(t, "GET", "/metrics", "")
	assert.Contains(t, m.body, "mlpipe_predict_shed_total 2\n")
}

// newColumnsFixtureBlocking is a columns fixture whose model blocks on
// 3-row requests, with a 4-row budget.
func newColumnsFixtureBlocking(t *testing.T) *columnsFixture {
	t.Helper()
	cf := &columnsFixture{}
	cf.p = columnsPredictor{mu: &cf.mu, seen: &cf.seen, blockRows: 3, entered: make(chan struct{}), release: make(chan struct{}), inputs: churnInputs}
	cf.fixture = newFixtureWith(t, serving.Options{AdminToken: adminToken, MaxRowsPerRequest: 3, MaxRowsInFlight: 4},
		func(context.Context, registry.Version) (serving.Predictor, error) { return cf.p, nil })
	require.NoError(t, cf.gw.Reload(context.Background()))
	return cf
}

// A shadow that reads a column the request lacks does not make up an
// answer from imputed values: the mirror is a shadow error, and the
// caller still gets production's answer.
func TestShadowMissingAColumnIsAShadowError(t *testing.T) {
	f := newColumnsFixture(t, serving.Options{})
	f.route(t, routing.Routing{Candidate: 2, Mode: routing.ModeShadow, Mirror: 100})

	r := f.do(t, "POST", "/v1/models/churn:predict", `{"instances": [`+fullRow+`]}`)
	require.Equal(t, http.StatusOK, r.code, r.body)
	assert.Equal(t, "production", r.decoded.Variant)
	require.Eventually(t, func() bool {
		return strings.Contains(f.do(t, "GET", "/metrics", "").body, `mlpipe_shadow_errors_total{model="churn",variant="shadow",version="2"} 1`)
	}, 10*time.Second, 5*time.Millisecond)
	assert.Len(t, f.rowsSeen(), 1, "only production scored the row")

	// With the column, the shadow scores it.
	withRegion := strings.Replace(fullRow, "{", `{"region": "north", `, 1)
	r = f.do(t, "POST", "/v1/models/churn:predict", `{"instances": [`+withRegion+`]}`)
	require.Equal(t, http.StatusOK, r.code, r.body)
	require.Eventually(t, func() bool { return f.stats(t).Variant("shadow").Compared == 1 }, 10*time.Second, 5*time.Millisecond)
}
