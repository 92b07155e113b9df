package traffic

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/mlpipe/mlpipe/internal/routing"
)

// feedbackAnswer is the gateway's reply to a feedback post.
type feedbackAnswer struct {
	Joined  int64 `json:"joined"`
	Unknown int64 `json:"unknown"`
}

// due is feedback that may be sent from at on.
type due struct {
	at time.Time
	fb routing.Feedback
}

// feedbackQueue holds feedback until its delay has passed and posts it in
// batches, the way late ground truth trickles back in production.
type feedbackQueue struct {
	o    Options
	url  string
	rec  *recorder
	full chan struct{} // poked when a batch may be ready

	mu      sync.Mutex
	pending []due // in due order: the delay is constant and at is taken under mu
}

func newFeedbackQueue(o Options, url string, rec *recorder) *feedbackQueue {
	return &feedbackQueue{o: o, url: url, rec: rec, full: make(chan struct{}, 1)}
}

func (q *feedbackQueue) add(fb routing.Feedback) {
	q.mu.Lock()
	q.pending = append(q.pending, due{at: time.Now().Add(q.o.FeedbackDelay), fb: fb})
	n := len(q.pending)
	q.mu.Unlock()
	if n >= q.o.FeedbackBatch {
		select {
		case q.full <- struct{}{}:
		default:
		}
	}
}

// run posts due feedback until done is closed and everything is sent, or
// ctx ends (what is still pending is then counted, not sent).
func (q *feedbackQueue) run(ctx context.Context, done <-chan struct{}) {
	tick := time.NewTicker(q.o.FeedbackEvery)
	defer tick.Stop()
	draining := false
	var drain <-chan time.Time
	for {
		force := true
		select {
		case <-ctx.Done():
			q.mu.Lock()
			n := len(q.pending)
			q.pending = nil
			q.mu.Unlock()
			q.rec.pending(int64(n))
			return
		case <-tick.C:
		case <-q.full:
			force = false
		case <-done:
			draining, done = true, nil
		case <-drain:
		}
		q.flush(ctx, force)
		if draining {
			q.mu.Lock()
			left := len(q.pending)
			var next time.Time
			if left > 0 {
				next = q.pending[0].at
			}
			q.mu.Unlock()
			if left == 0 {
				return
			}
			drain = time.After(max(time.Until(next), time.Millisecond))
		}
	}
}

// flush posts due feedback in batches; a partial batch only when forced.
func (q *feedbackQueue) flush(ctx context.Context, force bool) {
	for {
		q.mu.Lock()
		now := time.Now()
		n := 0
		for n < len(q.pending) && n < q.o.FeedbackBatch && !q.pending[n].at.After(now) {
			n++
		}
		if n == 0 || (n < q.o.FeedbackBatch && !force) {
			q.mu.Unlock()
			return
		}
		batch := make([]routing.Feedback, n)
		for i := range batch {
			batch[i] = q.pending[i].fb
		}
		q.pending = q.pending[n:]
		q.mu.Unlock()
		a, err := q.post(ctx, batch)
		q.rec.feedback(int64(n), a.Joined, a.Unknown, err)
	}
}

func (q *feedbackQueue) post(ctx context.Context, batch []routing.Feedback) (feedbackAnswer, error) {
	var a feedbackAnswer
	body, err := json.Marshal(batch)
	if err != nil {
		return a, fmt.Errorf("feedback: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, q.url, bytes.NewReader(body))
	if err != nil {
		return a, fmt.Errorf("feedback: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := q.o.HTTP.Do(req)
	if err != nil {
		return a, fmt.Errorf("POST %s: %w", q.url, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return a, fmt.Errorf("POST %s: %w", q.url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return a, fmt.Errorf("POST %s: %s: %s", q.url, resp.Status, bytes.TrimSpace(out))
	}
	if err := json.Unmarshal(out, &a); err != nil {
		return a, fmt.Errorf("POST %s: answer is not {\"joined\": n, \"unknown\": m}: %w", q.url, err)
	}
	return a, nil
}
