package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// result is one case's measurement.
type result struct {
	target   string
	rows     int
	requests int64
	errors   int64
	elapsed  time.Duration
	p50, p99 time.Duration
	firstErr string
	hist     *histogram
}

// add folds another round of the same case into r.
func (r *result) add(o result) {
	if r.hist == nil {
		r.hist = &histogram{}
	}
	r.requests += o.requests
	r.errors += o.errors
	r.elapsed += o.elapsed
	r.hist.merge(o.hist)
	r.p50, r.p99 = r.hist.quantile(0.50), r.hist.quantile(0.99)
	if r.firstErr == "" {
		r.firstErr = o.firstErr
	}
}

func (r result) reqPerSec() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.requests) / r.elapsed.Seconds()
}

// newClient is a keep-alive client whose pool holds every connection, so
// the run measures requests, not TCP handshakes.
func newClient() (*http.Client, *http.Transport) {
	t := &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 64, IdleConnTimeout: time.Minute, DisableCompression: true}
	return &http.Client{Transport: t, Timeout: 30 * time.Second}, t
}

// load is a closed loop: conns goroutines each send a request, read the
// whole answer, and send the next, for warmup (not counted) and then d.
// probe, if set, is called halfway through the measured part and again at
// its end, while the load is still running.
func load(ctx context.Context, url string, bodies [][]byte, conns int, warmup, d time.Duration, probe func(label string)) (result, error) {
	client, transport := newClient()
	defer transport.CloseIdleConnections()

	var measuring atomic.Bool
	stop := make(chan struct{})
	hists := make([]*histogram, conns)
	var errs atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	for g := range conns {
		hists[g] = &histogram{}
		wg.Go(func() {
			h := hists[g]
			for i := g; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				start := time.Now()
				err := post(ctx, client, url, bodies[i%len(bodies)])
				took := time.Since(start)
				if !measuring.Load() {
					continue
				}
				if err != nil {
					if ctx.Err() != nil {
						return
					}
					errs.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				h.add(took)
			}
		})
	}
	wait := func(d time.Duration) bool {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(d):
			return true
		}
	}
	ok := wait(warmup)
	measuring.Store(true)
	start := time.Now()
	if ok && probe != nil {
		ok = wait(d / 2)
		if ok {
			probe("midway")
			ok = wait(d - time.Since(start))
		}
	} else if ok {
		ok = wait(d)
	}
	measuring.Store(false)
	elapsed := time.Since(start)
	if ok && probe != nil {
		probe("end")
	}
	close(stop)
	wg.Wait()
	if !ok {
		return result{}, ctx.Err()
	}

	all := &histogram{}
	for _, h := range hists {
		all.merge(h)
	}
	r := result{requests: all.n + errs.Load(), errors: errs.Load(), elapsed: elapsed, p50: all.quantile(0.50), p99: all.quantile(0.99), hist: all}
	if s, ok := firstErr.Load().(string); ok {
		r.firstErr = s
	}
	if r.errors > 0 {
		return r, fmt.Errorf("%d of %d requests failed; the first: %s", r.errors, r.requests, r.firstErr)
	}
	return r, nil
}

// post sends one body and drains the answer so the connection is reused.
func post(ctx context.Context, c *http.Client, url string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s", resp.Status)
	}
	return nil
}
