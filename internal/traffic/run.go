package traffic

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/mlpipe/mlpipe/internal/routing"
)

// answer is the part of a predict answer the replay counts.
type answer struct {
	Version     int    `json:"version"`
	Variant     string `json:"variant"`
	RequestID   string `json:"request_id"`
	Predictions []struct {
		Label string `json:"label"`
	} `json:"predictions"`
}

// runner sends prepared requests and records their answers.
type runner struct {
	o          Options
	predictURL string
	rec        *recorder
	fb         *feedbackQueue
}

// Run replays o.Rows against the gateway until o.Requests have been sent or
// o.Duration has passed, then waits for the requests in flight and for the
// feedback still owed (including its delay), and returns the counts. When
// ctx ends first it returns the counts so far with ctx's error.
func Run(ctx context.Context, o Options) (Result, error) {
	o, err := o.withDefaults()
	if err != nil {
		return Result{}, err
	}
	shots, err := prepare(o)
	if err != nil {
		return Result{}, err
	}
	base := strings.TrimRight(o.Gateway, "/") + "/v1/models/" + url.PathEscape(o.Model)
	rec := newRecorder()
	r := &runner{o: o, predictURL: base + ":predict", rec: rec, fb: newFeedbackQueue(o, base+"/feedback", rec)}

	sending := ctx
	if o.Duration > 0 {
		var cancel context.CancelFunc
		sending, cancel = context.WithTimeout(ctx, o.Duration)
		defer cancel()
	}
	sent := make(chan struct{})
	var bg sync.WaitGroup
	bg.Go(func() { r.fb.run(ctx, sent) })
	if o.Progress != nil {
		bg.Go(func() { progress(ctx, sent, o.ProgressEvery, func() { o.Progress(rec.result()) }) })
	}

	jobs := make(chan int)
	var workers sync.WaitGroup
	for range o.Concurrency {
		// Requests use ctx, not sending: those in flight when Duration ends
		// are allowed to finish and count.
		workers.Go(func() {
			for k := range jobs {
				r.send(ctx, &shots[k%len(shots)])
			}
		})
	}
	dispatch(sending, jobs, o.Rate, o.Requests)
	close(jobs)
	workers.Wait()
	close(sent)
	bg.Wait()

	res := rec.result()
	if err := ctx.Err(); err != nil {
		return res, fmt.Errorf("traffic: stopped after %d requests: %w", res.Requests, err)
	}
	return res, nil
}

// dispatch hands out request numbers on an even schedule (k/rate after the
// start) until limit requests or ctx ends. When the workers fall behind it
// catches up as fast as they allow, so the average rate holds.
func dispatch(ctx context.Context, jobs chan<- int, rate float64, limit int) {
	var interval time.Duration
	if rate > 0 {
		interval = time.Duration(float64(time.Second) / rate)
	}
	start := time.Now()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for k := 0; limit == 0 || k < limit; k++ {
		if interval > 0 {
			if d := time.Until(start.Add(time.Duration(k) * interval)); d > 0 {
				timer.Reset(d)
				select {
				case <-ctx.Done():
					return
				case <-timer.C:
				}
			}
		}
		if ctx.Err() != nil {
			return
		}
		select {
		case <-ctx.Done():
			return
		case jobs <- k:
		}
	}
}

// progress calls report every period until done or ctx ends.
func progress(ctx context.Context, done <-chan struct{}, period time.Duration, report func()) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-done:
			return
		case <-t.C:
			report()
		}
	}
}

// send posts one row and records the answer; feedback for it is queued.
func (r *runner) send(ctx context.Context, s *shot) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.predictURL, bytes.NewReader(s.body))
	if err != nil {
		r.rec.fail(err)
		return
	}
	req.Header.Set("Content-Type", "application/json")
	if s.routeKey != "" {
		req.Header.Set(HeaderRouteKey, s.routeKey)
	}
	start := time.Now()
	resp, err := r.o.HTTP.Do(req)
	if err != nil {
		if ctx.Err() == nil { // a cancelled replay is not the gateway's error
			r.rec.fail(fmt.Errorf("POST %s: %w", r.predictURL, err))
		}
		return
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	resp.Body.Close()
	took := time.Since(start)
	if err != nil {
		if ctx.Err() == nil {
			r.rec.fail(fmt.Errorf("POST %s: read answer: %w", r.predictURL, err))
		}
		return
	}
	if resp.StatusCode != http.StatusOK {
		r.rec.fail(fmt.Errorf("POST %s: %s: %s", r.predictURL, resp.Status, bytes.TrimSpace(body)))
		return
	}
	var a answer
	if err := json.Unmarshal(body, &a); err != nil {
		r.rec.fail(fmt.Errorf("POST %s: answer is not a prediction: %w", r.predictURL, err))
		return
	}
	if len(a.Predictions) != 1 {
		r.rec.fail(fmt.Errorf("POST %s: %d predictions for 1 row", r.predictURL, len(a.Predictions)))
		return
	}
	if a.Variant == "" {
		a.Variant = routing.VariantProduction // a gateway without routing serves production
	}
	if a.RequestID == "" {
		a.RequestID = resp.Header.Get("X-Request-Id")
	}
	r.rec.ok(a.Variant, a.Version, took)
	if s.hasLabel && a.RequestID != "" {
		r.fb.add(routing.Feedback{RequestID: a.RequestID, Label: s.label, Value: s.value})
	}
}
