package traffic_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/routing"
	"github.com/mlpipe/mlpipe/internal/traffic"
)

// predictCall is what the fake gateway saw of one predict request.
type predictCall struct {
	ID       string
	Row      map[string]any
	RouteKey string
	Answered time.Time
	// Strict is the body's "strict", nil when left out.
	Strict *bool
}

// fakeGateway mimics the predict and feedback endpoints and records what
// it got. Customers with an odd number (C1, C3) are answered by canary
// version 2, the others by production version 1. IDs listed in forget are
// reported as unknown feedback; customers in fail get a 500.
type fakeGateway struct {
	t      *testing.T
	srv    *httptest.Server
	forget map[string]bool // customer IDs whose predictions the gateway "lost"
	fail   map[string]bool
	got    chan string // customer IDs, as predict requests arrive

	mu       sync.Mutex
	calls    map[string]predictCall // by request ID
	feedback []routing.Feedback
	received map[string]time.Time // feedback arrival by request ID
	posts    []int                // items per feedback post
}

func newFakeGateway(t *testing.T) *fakeGateway {
	g := &fakeGateway{t: t, forget: map[string]bool{}, fail: map[string]bool{}, got: make(chan string, 1000),
		calls: map[string]predictCall{}, received: map[string]time.Time{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/models/churn:predict", g.predict)
	mux.HandleFunc("POST /v1/models/churn/feedback", g.takeFeedback)
	g.srv = httptest.NewServer(mux)
	t.Cleanup(g.srv.Close)
	return g
}

func (g *fakeGateway) predict(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Instances []map[string]any `json:"instances"`
		Strict    *bool            `json:"strict"`
	}
	if !assert.NoError(g.t, json.NewDecoder(r.Body).Decode(&req)) || !assert.Len(g.t, req.Instances, 1) {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	row := req.Instances[0]
	cust, _ := row["customer_id"].(string)
	g.got <- cust
	if g.fail[cust] {
		http.Error(w, "model exploded", http.StatusInternalServerError)
		return
	}
	version, variant := 1, "production"
	if n := cust[len(cust)-1]; (n-'0')%2 == 1 {
		version, variant = 2, "canary"
	}
	g.mu.Lock()
	id := fmt.Sprintf("req-%d", len(g.calls)+1)
	g.calls[id] = predictCall{ID: id, Row: row, RouteKey: r.Header.Get("X-Route-Key"), Answered: time.Now(), Strict: req.Strict}
	g.mu.Unlock()
	w.Header().Set("X-Request-Id", id)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"model": "churn", "version": version, "variant": variant, "request_id": id,
		"predictions": []map[string]any{{"label": "no", "probability": 0.2}},
	})
}

func (g *fakeGateway) takeFeedback(w http.ResponseWriter, r *http.Request) {
	var items []routing.Feedback
	if !assert.NoError(g.t, json.NewDecoder(r.Body).Decode(&items)) {
		http.Error(w, "bad feedback", http.StatusBadRequest)
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	joined, unknown := 0, 0
	for _, fb := range items {
		g.received[fb.RequestID] = time.Now()
		c, ok := g.calls[fb.RequestID]
		if ok && !g.forget[c.Row["customer_id"].(string)] {
			joined++
		} else {
			unknown++
		}
	}
	g.feedback = append(g.feedback, items...)
	g.posts = append(g.posts, len(items))
	_ = json.NewEncoder(w).Encode(map[string]int{"joined": joined, "unknown": unknown})
}

// churnRows are four customers; the label and value are what the replay
// must send back as feedback.
func churnRows() []map[string]any {
	return []map[string]any{
		{"customer_id": "C1", "plan": "basic", "monthly_charges": 30.5, "churned": "yes"},
		{"customer_id": "C2", "plan": "premium", "monthly_charges": 99.0, "churned": "no"},
		{"customer_id": "C3", "plan": "basic", "monthly_charges": 25.0, "churned": "no"},
		{"customer_id": "C4", "plan": "standard", "monthly_charges": 60.25, "churned": "yes"},
	}
}

func byCustomer() map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, r := range churnRows() {
		out[r["customer_id"].(string)] = r
	}
	return out
}

func (g *fakeGateway) options() traffic.Options {
	return traffic.Options{
		Gateway: g.srv.URL, Model: "churn", Rows: churnRows(),
		LabelColumn: "churned", ValueColumn: "monthly_charges", StickyKey: "customer_id",
		Concurrency: 3,
	}
}

func TestLabelsAreStrippedAndComeBackAsFeedback(t *testing.T) {
	g := newFakeGateway(t)
	g.forget["C4"] = true
	o := g.options()
	o.Requests = 10
	o.FeedbackBatch = 4

	res, err := traffic.Run(context.Background(), o)
	require.NoError(t, err)

	// Requests k = 0..9 take rows k mod 4: C1 C2 C3 C4 C1 C2 C3 C4 C1 C2.
	assert.Equal(t, int64(10), res.Requests)
	assert.Equal(t, int64(0), res.Errors)
	assert.Equal(t, map[string]int64{"canary": 5, "production": 5}, res.ByVariant) // C1 ×3 + C3 ×2
	assert.Equal(t, map[int]int64{2: 5, 1: 5}, res.ByVersion)
	assert.Equal(t, int64(10), res.FeedbackSent)
	assert.Equal(t, int64(8), res.FeedbackJoined) // all but C4's two
	assert.Equal(t, int64(2), res.FeedbackUnknown)
	assert.Positive(t, res.P50)
	assert.GreaterOrEqual(t, res.P99, res.P50)

	g.mu.Lock()
	defer g.mu.Unlock()
	require.Len(t, g.calls, 10)
	rows := byCustomer()
	for _, c := range g.calls {
		assert.NotContains(t, c.Row, "churned", "the label must not reach the model")
		assert.Contains(t, c.Row, "monthly_charges", "the value column is a feature and stays")
		assert.Equal(t, c.Row["customer_id"], c.RouteKey)
	}
	require.Len(t, g.feedback, 10)
	seen := map[string]bool{}
	for _, fb := range g.feedback {
		c, ok := g.calls[fb.RequestID]
		require.True(t, ok, "feedback for request %q the gateway never answered", fb.RequestID)
		assert.False(t, seen[fb.RequestID], "feedback for %s sent twice", fb.RequestID)
		seen[fb.RequestID] = true
		want := rows[c.Row["customer_id"].(string)]
		assert.Equal(t, want["churned"], fb.Label, "request %s", fb.RequestID)
		assert.Equal(t, want["monthly_charges"], fb.Value, "request %s", fb.RequestID)
		assert.Equal(t, 0, fb.Row)
	}
	for _, n := range g.posts {
		assert.LessOrEqual(t, n, 4, "feedback is batched by FeedbackBatch")
	}
}

// A cell the data leaves empty goes out as null (the gateway refuses a
// missing key but imputes an explicit null), and requests are not strict,
// since a replayed file holds columns the model does not take.
func TestEveryRowCarriesEveryColumnAndIsNotStrict(t *testing.T) {
	g := newFakeGateway(t)
	o := g.options()
	o.Rows = churnRows()
	delete(o.Rows[1], "plan") // C2's plan is an empty cell
	o.Requests = 4

	res, err := traffic.Run(context.Background(), o)
	require.NoError(t, err)
	require.Equal(t, int64(0), res.Errors, res.FirstError)

	g.mu.Lock()
	defer g.mu.Unlock()
	require.Len(t, g.calls, 4)
	for _, c := range g.calls {
		assert.Len(t, c.Row, 3, "customer_id, plan and monthly_charges, never the label: %v", c.Row)
		require.NotNil(t, c.Strict, "strict is sent")
		assert.False(t, *c.Strict)
		if c.Row["customer_id"] == "C2" {
			v, ok := c.Row["plan"]
			assert.True(t, ok, "the empty cell is sent")
			assert.Nil(t, v, "as null")
		}
	}
}

func TestFeedbackWaitsForItsDelay(t *testing.T) {
	g := newFakeGateway(t)
	o := g.options()
	o.Requests = 5
	o.FeedbackDelay = 200 * time.Millisecond

	res, err := traffic.Run(context.Background(), o)
	require.NoError(t, err)
	assert.Equal(t, int64(5), res.FeedbackJoined, "Run waits for feedback still owed")

	g.mu.Lock()
	defer g.mu.Unlock()
	require.Len(t, g.received, 5)
	for id, at := range g.received {
		assert.GreaterOrEqual(t, at.Sub(g.calls[id].Answered), 200*time.Millisecond, "feedback for %s came early", id)
	}
}

func TestFailedRequestsCountAsErrorsAndGetNoFeedback(t *testing.T) {
	g := newFakeGateway(t)
	g.fail["C2"] = true
	o := g.options()
	o.Requests = 8

	res, err := traffic.Run(context.Background(), o)
	require.NoError(t, err)
	assert.Equal(t, int64(8), res.Requests)
	assert.Equal(t, int64(2), res.Errors)
	assert.Contains(t, res.FirstError, "500")
	assert.Contains(t, res.FirstError, "model exploded")
	assert.Equal(t, map[string]int64{"canary": 4, "production": 2}, res.ByVariant) // C1 C3 C4, twice each
	assert.Equal(t, int64(6), res.FeedbackJoined)
}

func TestFastRateFinishes(t *testing.T) {
	g := newFakeGateway(t)
	o := g.options()
	o.Requests, o.Rate = 20, 1000
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	res, err := traffic.Run(ctx, o)
	require.NoError(t, err)
	assert.Equal(t, int64(20), res.Requests)
	assert.Equal(t, int64(20), res.FeedbackJoined)
}

func TestLowRateAndShortDurationSendFew(t *testing.T) {
	g := newFakeGateway(t)
	o := g.options()
	// At 2/s the requests are due at 0s, 0.5s, 1s, ...: only the first
	// falls inside 300ms, whatever the machine's speed.
	o.Rate, o.Duration = 2, 300*time.Millisecond

	res, err := traffic.Run(context.Background(), o)
	require.NoError(t, err)
	assert.Equal(t, int64(1), res.Requests)
	assert.Len(t, g.got, 1)
}

func TestCancelStopsTheReplayAndDropsDelayedFeedback(t *testing.T) {
	g := newFakeGateway(t)
	o := g.options()
	o.Duration, o.Rate = time.Hour, 200
	o.FeedbackDelay = time.Hour
	o.Concurrency = 1 // so when the 3rd request arrives, the first two were answered
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for range 3 {
			<-g.got
		}
		cancel()
	}()

	type outcome struct {
		res traffic.Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := traffic.Run(ctx, o)
		done <- outcome{res, err}
	}()
	var out outcome
	select {
	case out = <-done:
	case <-time.After(20 * time.Second): // a liveness bound, not a timing check
		t.Fatal("Run did not return after its context was cancelled")
	}
	require.ErrorIs(t, out.err, context.Canceled)
	assert.GreaterOrEqual(t, out.res.Requests, int64(2))
	assert.Equal(t, int64(0), out.res.Errors, "cancelled requests are not the gateway's errors")
	// The request in flight at the cancel may or may not have queued its
	// feedback; the two answered before it certainly did.
	assert.GreaterOrEqual(t, out.res.FeedbackPending, int64(2), "answered rows' feedback was still waiting")
	assert.LessOrEqual(t, out.res.FeedbackPending, out.res.Requests)
	g.mu.Lock()
	defer g.mu.Unlock()
	assert.Empty(t, g.feedback)
}

func TestOptionsSayWhatToFix(t *testing.T) {
	rows := churnRows()
	cases := map[string]struct {
		o    traffic.Options
		want string
	}{
		"unbounded":      {traffic.Options{Gateway: "http://127.0.0.1:1", Model: "churn", Rows: rows}, "set a duration or a number of requests"},
		"bad gateway":    {traffic.Options{Gateway: "127.0.0.1:8080", Model: "churn", Rows: rows, Requests: 1}, `gateway URL "127.0.0.1:8080": want http://host:port`},
		"no rows":        {traffic.Options{Gateway: "http://127.0.0.1:1", Model: "churn", Requests: 1}, "no rows to replay"},
		"missing label":  {traffic.Options{Gateway: "http://127.0.0.1:1", Model: "churn", Rows: rows, Requests: 1, LabelColumn: "churn"}, `label column "churn" is in none of the rows`},
		"negative rate":  {traffic.Options{Gateway: "http://127.0.0.1:1", Model: "churn", Rows: rows, Requests: 1, Rate: -1}, "rate -1 is negative"},
		"missing sticky": {traffic.Options{Gateway: "http://127.0.0.1:1", Model: "churn", Rows: rows, Requests: 1, StickyKey: "id"}, `sticky key "id" is in none of the rows`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := traffic.Run(context.Background(), c.o)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
		})
	}
}

func TestNonNumericValueNamesTheRow(t *testing.T) {
	rows := churnRows()
	rows[2]["monthly_charges"] = "n/a"
	_, err := traffic.Run(context.Background(), traffic.Options{
		Gateway: "http://127.0.0.1:1", Model: "churn", Rows: rows, Requests: 1,
		LabelColumn: "churned", ValueColumn: "monthly_charges",
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `row 3: value column "monthly_charges": "n/a" is not a number`)
}

func TestUnreachableGatewayIsAnErrorNotAFailure(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there now
	res, err := traffic.Run(context.Background(), traffic.Options{Gateway: url, Model: "churn", Rows: churnRows(), Requests: 3})
	require.NoError(t, err)
	assert.Equal(t, int64(3), res.Errors)
	assert.True(t, strings.HasPrefix(res.FirstError, "POST "+url+"/v1/models/churn:predict"), res.FirstError)
	assert.False(t, errors.Is(err, context.Canceled))
}
