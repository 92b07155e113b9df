package serving_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/registry"
	"github.com/mlpipe/mlpipe/internal/serving"
)

// bundle is the fake model format: every row gets the same answer.
type bundle struct {
	Label       string  `json:"label"`
	Probability float64 `json:"probability"`
	Broken      bool    `json:"broken"`
	// Short makes the predictor drop the last row's answer (a 500).
	Short bool `json:"short"`
	// Classes, when set, makes the predictor a serving.ClassLabeler.
	Classes [2]string `json:"classes"`
}

type constPredictor struct{ b bundle }

// classPredictor names its classes, as a real bundle does.
type classPredictor struct{ constPredictor }

func (p classPredictor) ClassLabels() [2]string { return p.b.Classes }

func (p constPredictor) Predict(rows []map[string]any) ([]serving.Prediction, error) {
	out := make([]serving.Prediction, len(rows))
	for i, row := range rows {
		if _, ok := row["tenure"]; !ok {
			return nil, fmt.Errorf("row %d: column \"tenure\" is missing", i)
		}
		out[i] = serving.Prediction{Label: p.b.Label, Probability: p.b.Probability}
	}
	if p.b.Short {
		out = out[:len(out)-1]
	}
	return out, nil
}

// loadBundle reads the model artifact for real, as mlpipe serve's loader does.
func loadBundle(ctx context.Context, v registry.Version) (serving.Predictor, error) {
	data, err := artifact.ReadAll(ctx, v.Model)
	if err != nil {
		return nil, err
	}
	var b bundle
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, err
	}
	if b.Broken {
		return nil, errors.New("bundle is broken")
	}
	if b.Classes[1] != "" {
		return classPredictor{constPredictor{b}}, nil
	}
	return constPredictor{b}, nil
}

type fixture struct {
	reg *registry.Registry
	gw  *serving.Gateway
	srv *httptest.Server
}

// newFixture registers churn v1 (yes, 0.83) and v2 (no, 0.4) in a file-backed
// registry, promotes v1, and starts a gateway that has not loaded yet.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	return newFixtureWith(t, serving.Options{AdminToken: adminToken}, nil)
}

// adminToken is the fixture gateways' admin token.
const adminToken = "s3cret"

// newFixtureWith is newFixture with options and a loader (nil: loadBundle).
func newFixtureWith(t *testing.T, opts serving.Options, load serving.Loader) *fixture {
	t.Helper()
	ctx := context.Background()
	reg, err := registry.Open(ctx, t.TempDir())
	require.NoError(t, err)
	f := &fixture{reg: reg}
	f.register(t, "churn", bundle{Label: "yes", Probability: 0.83})
	f.register(t, "churn", bundle{Label: "no", Probability: 0.4})
	require.NoError(t, reg.Promote(ctx, "churn", 1))
	if load == nil {
		load = loadBundle
	}
	f.gw = serving.New(reg, load, opts)
	f.srv = newServer(t, f.gw)
	return f
}

// newServer serves gw until the test ends.
func newServer(t *testing.T, gw *serving.Gateway) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(gw.Handler())
	t.Cleanup(srv.Close)
	t.Cleanup(gw.Close)
	return srv
}

func (f *fixture) register(t *testing.T, name string, b bundle) registry.Version {
	t.Helper()
	ctx := context.Background()
	data, err := json.Marshal(b)
	require.NoError(t, err)
	key := fmt.Sprintf("models/%s/%s-%v-%t-%t.json", name, b.Label, b.Probability, b.Broken, b.Short)
	ref, err := artifact.PutBytes(ctx, f.reg.Store(), key, data, "application/json")
	require.NoError(t, err)
	v, err := f.reg.Register(ctx, registry.Version{Name: name, Model: ref, Metrics: map[string]float64{"f1": 0.8}})
	require.NoError(t, err)
	return v
}

type result struct {
	code    int
	header  http.Header
	body    string
	decoded struct {
		Model       string               `json:"model"`
		Version     int                  `json:"version"`
		Variant     string               `json:"variant"`
		Predictions []serving.Prediction `json:"predictions"`
		Error       string               `json:"error"`
		RequestID   string               `json:"request_id"`
	}
}

func (f *fixture) do(t *testing.T, method, path, body string, header ...string) result {
	t.Helper()
	r, err := f.try(method, path, body, header...)
	require.NoError(t, err)
	return r
}

// admin is do with the admin token.
func (f *fixture) admin(t *testing.T, method, path, body string) result {
	t.Helper()
	return f.do(t, method, path, body, "Authorization", "Bearer "+adminToken)
}

// try is do for goroutines other than the test's own, where require must not be used.
func (f *fixture) try(method, path, body string, header ...string) (result, error) {
	req, err := http.NewRequest(method, f.srv.URL+path, strings.NewReader(body))
	if err != nil {
		return result{}, err
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return result{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return result{}, err
	}
	r := result{code: resp.StatusCode, header: resp.Header, body: string(data)}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(data, &r.decoded); err != nil {
			return result{}, fmt.Errorf("decode %q: %w", data, err)
		}
	}
	return r, nil
}

const twoRows = `{"instances": [{"tenure": 3, "plan": "basic"}, {"tenure": 40, "plan": "pro"}]}`

func TestPredictAnswersFromProductionVersion(t *testing.T) {
	f := newFixture(t)
	require.NoError(t, f.gw.Reload(context.Background()))

	r := f.do(t, "POST", "/v1/models/churn:predict", twoRows, "X-Request-Id", "req-42")
	require.Equal(t, http.StatusOK, r.code, r.body)
	assert.Equal(t, "churn", r.decoded.Model)
	assert.Equal(t, 1, r.decoded.Version)
	assert.Equal(t, "production", r.decoded.Variant)
	assert.Equal(t, "req-42", r.decoded.RequestID)
	assert.Equal(t, []serving.Prediction{{Label: "yes", Probability: 0.83}, {Label: "yes", Probability: 0.83}}, r.decoded.Predictions)
	assert.Equal(t, "1", r.header.Get("X-Model-Version"))
	assert.Equal(t, "production", r.header.Get("X-Model-Variant"))
	assert.Equal(t, "req-42", r.header.Get("X-Request-Id"))

	r = f.do(t, "POST", "/v1/models/churn:predict", `{"rows": [{"tenure": 1}]}`)
	require.Equal(t, http.StatusOK, r.code, r.body)
	assert.Len(t, r.decoded.Predictions, 1)
	assert.Len(t, r.header.Get("X-Request-Id"), 32, "a request id is generated when the caller sends none")
	assert.Equal(t, r.header.Get("X-Request-Id"), r.decoded.RequestID)
}

func TestPromoteAndReloadSwitchesVersion(t *testing.T) {
	f := newFixture(t)
	require.NoError(t, f.gw.Reload(context.Background()))
	require.NoError(t, f.reg.Promote(context.Background(), "churn", 2))

	r := f.do(t, "POST", "/v1/models/churn:predict", twoRows)
	assert.Equal(t, 1, r.decoded.Version, "nothing changes before the reload")

	r = f.admin(t, "POST", "/admin/reload", "")
	require.Equal(t, http.StatusOK, r.code, r.body)

	r = f.do(t, "POST", "/v1/models/churn:predict", twoRows)
	require.Equal(t, http.StatusOK, r.code, r.body)
	assert.Equal(t, 2, r.decoded.Version)
	assert.Equal(t, "2", r.header.Get("X-Model-Version"))
	assert.Equal(t, serving.Prediction{Label: "no", Probability: 0.4}, r.decoded.Predictions[0])
}

func TestFailedLoadKeepsServingThePreviousVersion(t *testing.T) {
	f := newFixture(t)
	require.NoError(t, f.gw.Reload(context.Background()))
	broken := f.register(t, "churn", bundle{Label: "x", Broken: true})
	require.NoError(t, f.reg.Promote(context.Background(), "churn", broken.Version))

	r := f.admin(t, "POST", "/admin/reload", "")
	assert.Equal(t, http.StatusInternalServerError, r.code)
	assert.Contains(t, r.decoded.Error, "load version 3: bundle is broken")

	r = f.do(t, "POST", "/v1/models/churn:predict", twoRows)
	require.Equal(t, http.StatusOK, r.code, r.body)
	assert.Equal(t, 1, r.decoded.Version)
}

func TestRunPollsTheRegistry(t *testing.T) {
	reg, err := registry.Open(context.Background(), t.TempDir())
	require.NoError(t, err)
	f := &fixture{reg: reg}
	f.register(t, "churn", bundle{Label: "yes", Probability: 0.83})
	f.register(t, "churn", bundle{Label: "no", Probability: 0.4})
	require.NoError(t, reg.Promote(context.Background(), "churn", 1))
	f.gw = serving.New(reg, loadBundle, serving.Options{RefreshInterval: 5 * time.Millisecond})
	f.srv = httptest.NewServer(f.gw.Handler())
	defer f.srv.Close()
	defer f.gw.Close()

	assert.Equal(t, http.StatusServiceUnavailable, f.do(t, "GET", "/readyz", "").code)
	assert.Equal(t, http.StatusOK, f.do(t, "GET", "/healthz", "").code)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.gw.Run(ctx) }()

	require.Eventually(t, f.gw.Ready, 10*time.Second, 5*time.Millisecond)
	assert.Equal(t, http.StatusOK, f.do(t, "GET", "/readyz", "").code)
	require.NoError(t, reg.Promote(context.Background(), "churn", 2))
	require.Eventually(t, func() bool {
		return f.do(t, "POST", "/v1/models/churn:predict", twoRows).decoded.Version == 2
	}, 10*time.Second, 5*time.Millisecond)

	cancel()
	assert.NoError(t, <-done)
}

func TestRequestsNeverFailDuringRepeatedSwitches(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	require.NoError(t, f.gw.Reload(ctx))
	want := map[int]string{1: "yes", 2: "no"}

	switched := make(chan struct{})
	switchErr := make(chan error, 1)
	go func() {
		defer close(switched)
		for i := range 50 {
			if err := f.reg.Promote(ctx, "churn", 2-i%2); err != nil {
				switchErr <- err
				return
			}
			if err := f.gw.Reload(ctx); err != nil {
				switchErr <- err
				return
			}
		}
	}()

	// Workers run at least 500 requests each and keep going until every
	// switch is done, so all 50 switches happen under load.
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			for n := 0; ; n++ {
				if n >= 500 {
					select {
					case <-switched:
						errs <- nil
						return
					default:
					}
				}
				r, err := f.try("POST", "/v1/models/churn:predict", twoRows)
				if err != nil {
					errs <- fmt.Errorf("request %d: %w", n, err)
					return
				}
				if r.code != http.StatusOK {
					errs <- fmt.Errorf("request %d: status %d: %s", n, r.code, r.body)
					return
				}
				if lbl := want[r.decoded.Version]; lbl == "" || r.decoded.Predictions[0].Label != lbl || r.header.Get("X-Model-Version") != fmt.Sprint(r.decoded.Version) {
					errs <- fmt.Errorf("request %d: version %d answered %+v with header %q", n, r.decoded.Version, r.decoded.Predictions, r.header.Get("X-Model-Version"))
					return
				}
			}
		}()
	}
	for range 8 {
		assert.NoError(t, <-errs)
	}
	<-switched
	select {
	case err := <-switchErr:
		t.Fatalf("switching versions: %v", err)
	default:
	}
}

func TestPredictErrors(t *testing.T) {
	f := newFixture(t)
	require.NoError(t, f.gw.Reload(context.Background()))
	f.register(t, "fraud", bundle{Label: "ok", Probability: 0.1}) // registered, never promoted

	cases := []struct {
		name, path, body string
		code             int
		msg              string
	}{
		{"unknown model", "/v1/models/nope:predict", twoRows, 404, `model "nope" is not served`},
		{"model without production version", "/v1/models/fraud:predict", twoRows, 404, `model "fraud" is not served`},
		{"missing :predict", "/v1/models/churn", twoRows, 405, "to predict, POST /v1/models/churn:predict"},
		{"bad JSON", "/v1/models/churn:predict", `{"instances": [`, 400, "invalid JSON body"},
		{"misspelt envelope", "/v1/models/churn:predict", `{"instance": [{"tenure": 1}]}`, 400, `unknown field "instance"`},
		{"no rows", "/v1/models/churn:predict", `{"instances": []}`, 400, "no rows to score"},
		{"predictor error", "/v1/models/churn:predict", `{"instances": [{"tenure": 1}, {"plan": "pro"}]}`, 400, `model churn version 1: row 1: column "tenure" is missing`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := f.do(t, "POST", c.path, c.body, "X-Request-Id", "abc")
			assert.Equal(t, c.code, r.code, r.body)
			assert.Contains(t, r.decoded.Error, c.msg)
			assert.Equal(t, "abc", r.decoded.RequestID)
		})
	}
}

func TestModelMetadata(t *testing.T) {
	f := newFixture(t)
	require.NoError(t, f.gw.Reload(context.Background()))

	r := f.do(t, "GET", "/v1/models/churn", "")
	require.Equal(t, http.StatusOK, r.code, r.body)
	var info struct {
		Model    string           `json:"model"`
		Version  int              `json:"version"`
		Alias    string           `json:"alias"`
		Metadata registry.Version `json:"metadata"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.body), &info))
	assert.Equal(t, "churn", info.Model)
	assert.Equal(t, 1, info.Version)
	assert.Equal(t, "production", info.Alias)
	assert.Equal(t, map[string]float64{"f1": 0.8}, info.Metadata.Metrics)

	assert.Equal(t, http.StatusNotFound, f.do(t, "GET", "/v1/models/nope", "").code)
	assert.Contains(t, f.do(t, "GET", "/v1/models", "").body, `"model":"churn"`)
}
