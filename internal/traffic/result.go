package traffic

import (
	"maps"
	"math"
	"slices"
	"sync"
	"time"
)

// Result counts what a replay did.
type Result struct {
	// Requests counts predict requests answered or failed; Errors is the
	// failed part (transport errors, non-200 answers, unreadable bodies).
	Requests, Errors int64
	// ByVariant and ByVersion count successful answers by who gave them.
	// An answer without a variant counts as "production".
	ByVariant map[string]int64
	ByVersion map[int]int64
	// FeedbackSent counts feedback items posted; the gateway matched
	// FeedbackJoined of them to logged predictions and did not know
	// FeedbackUnknown. FeedbackErrors counts items in failed posts, and
	// FeedbackPending items still waiting for their delay when the replay
	// was cancelled (they are not sent).
	FeedbackSent, FeedbackJoined, FeedbackUnknown int64
	FeedbackErrors, FeedbackPending               int64
	// P50 and P99 are latencies of successful requests, client side.
	P50, P99 time.Duration
	// Elapsed is the time since the replay started.
	Elapsed time.Duration
	// FirstError describes the first failure, to say what went wrong.
	FirstError string
}

// recorder collects counts from concurrent workers.
type recorder struct {
	mu    sync.Mutex
	start time.Time
	res   Result
	lat   []time.Duration
}

func newRecorder() *recorder {
	return &recorder{start: time.Now(), res: Result{ByVariant: map[string]int64{}, ByVersion: map[int]int64{}}}
}

func (r *recorder) ok(variant string, version int, d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.res.Requests++
	r.res.ByVariant[variant]++
	r.res.ByVersion[version]++
	r.lat = append(r.lat, d)
}

func (r *recorder) fail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.res.Requests++
	r.res.Errors++
	r.firstError(err)
}

func (r *recorder) firstError(err error) {
	if r.res.FirstError == "" {
		r.res.FirstError = err.Error()
	}
}

// feedback records one feedback post: n items, and the gateway's answer
// or the error.
func (r *recorder) feedback(n, joined, unknown int64, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.res.FeedbackErrors += n
		r.firstError(err)
		return
	}
	r.res.FeedbackSent += n
	r.res.FeedbackJoined += joined
	r.res.FeedbackUnknown += unknown
}

func (r *recorder) pending(n int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.res.FeedbackPending += n
}

// result is a copy of the counts so far.
func (r *recorder) result() Result {
	r.mu.Lock()
	res := r.res
	res.ByVariant = maps.Clone(r.res.ByVariant)
	res.ByVersion = maps.Clone(r.res.ByVersion)
	lat := slices.Clone(r.lat)
	r.mu.Unlock()
	slices.Sort(lat)
	res.P50, res.P99 = quantile(lat, 0.50), quantile(lat, 0.99)
	res.Elapsed = time.Since(r.start)
	return res
}

// quantile is the nearest-rank quantile of sorted durations (0 if none).
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}
