package traffic

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// Options say what to replay, where, and how fast.
type Options struct {
	// Gateway is the gateway's base URL, e.g. http://127.0.0.1:8080.
	Gateway string
	// Model is the served model's name.
	Model string
	// Rows are replayed in order, one per request, cycling when exhausted.
	// A key that some rows have and others lack is sent as null where it
	// is lacking, and every request says "strict": false, so the gateway
	// ignores columns the model does not take.
	Rows []map[string]any
	// LabelColumn, when set, is removed from the rows sent for prediction
	// and sent back as feedback for the answering request. Rows without it
	// get no feedback.
	LabelColumn string
	// ValueColumn optionally names a numeric field sent as the feedback's
	// business value. The field stays in the request row.
	ValueColumn string
	// Rate is requests per second, spread evenly; 0 sends as fast as
	// Concurrency allows.
	Rate float64
	// Duration and Requests bound the replay; it stops at whichever comes
	// first. At least one must be set.
	Duration time.Duration
	Requests int
	// Concurrency bounds requests in flight (default 4).
	Concurrency int
	// FeedbackDelay is how long after an answer its feedback becomes due
	// (0: at once). Due feedback is posted in batches of FeedbackBatch or
	// every FeedbackEvery, whichever comes first.
	FeedbackDelay time.Duration
	FeedbackBatch int           // default 100
	FeedbackEvery time.Duration // default 1s
	// StickyKey, when set, sends the row's value of that field as the
	// X-Route-Key header, so the gateway pins the caller to one variant.
	StickyKey string
	// HTTP is the client used (default: 30s timeout, keep-alive pool sized
	// to Concurrency).
	HTTP *http.Client
	// Progress, when set, is called every ProgressEvery (default 5s) with
	// the counts so far, from another goroutine.
	Progress      func(Result)
	ProgressEvery time.Duration
}

// HeaderRouteKey pins a caller to one variant at the gateway.
const HeaderRouteKey = "X-Route-Key"

// withDefaults checks the options and fills in defaults.
func (o Options) withDefaults() (Options, error) {
	var errs []error
	u, err := url.Parse(o.Gateway)
	switch {
	case o.Gateway == "":
		errs = append(errs, errors.New("gateway URL is empty: set it, e.g. http://127.0.0.1:8080"))
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		errs = append(errs, fmt.Errorf("gateway URL %q: want http://host:port or https://host:port", o.Gateway))
	}
	if o.Model == "" {
		errs = append(errs, errors.New("model name is empty"))
	}
	if len(o.Rows) == 0 {
		errs = append(errs, errors.New("no rows to replay"))
	}
	if o.Rate < 0 {
		errs = append(errs, fmt.Errorf("rate %v is negative: use requests per second, or 0 for as fast as possible", o.Rate))
	}
	if o.Duration < 0 || o.Requests < 0 {
		errs = append(errs, errors.New("duration and requests must not be negative"))
	}
	if o.Duration == 0 && o.Requests == 0 {
		errs = append(errs, errors.New("set a duration or a number of requests, so the replay ends"))
	}
	if o.LabelColumn != "" && !anyHas(o.Rows, o.LabelColumn) {
		errs = append(errs, fmt.Errorf("label column %q is in none of the rows", o.LabelColumn))
	}
	if o.ValueColumn != "" && !anyHas(o.Rows, o.ValueColumn) {
		errs = append(errs, fmt.Errorf("value column %q is in none of the rows", o.ValueColumn))
	}
	if o.StickyKey != "" && !anyHas(o.Rows, o.StickyKey) {
		errs = append(errs, fmt.Errorf("sticky key %q is in none of the rows", o.StickyKey))
	}
	if o.StickyKey != "" && o.StickyKey == o.LabelColumn {
		errs = append(errs, fmt.Errorf("sticky key %q is the label column, which is not sent", o.StickyKey))
	}
	if err := errors.Join(errs...); err != nil {
		return o, fmt.Errorf("traffic: %w", err)
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	if o.FeedbackBatch <= 0 {
		o.FeedbackBatch = 100
	}
	if o.FeedbackEvery <= 0 {
		o.FeedbackEvery = time.Second
	}
	if o.ProgressEvery <= 0 {
		o.ProgressEvery = 5 * time.Second
	}
	if o.HTTP == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = o.Concurrency + 1 // the +1 is the feedback poster
		o.HTTP = &http.Client{Timeout: 30 * time.Second, Transport: t}
	}
	return o, nil
}

func anyHas(rows []map[string]any, field string) bool {
	for _, r := range rows {
		if _, ok := r[field]; ok {
			return true
		}
	}
	return false
}
