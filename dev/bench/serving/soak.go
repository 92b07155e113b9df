package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"time"
)

// heapSample is the process's live heap right after a forced GC: what
// live objects hold, so growth between samples is retained memory, not
// garbage waiting for collection (HeapInuse is shown too; it also counts
// free space in spans).
type heapSample struct {
	label      string
	at         time.Duration
	heapAlloc  uint64
	heapInuse  uint64
	goroutines int
}

type soakResult struct {
	samples []heapSample
	load    result
}

func sampleHeap(label string, start time.Time) heapSample {
	// Twice: sync.Pool keeps its contents through one collection.
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return heapSample{label: label, at: time.Since(start), heapAlloc: ms.HeapAlloc, heapInuse: ms.HeapInuse, goroutines: runtime.NumGoroutine()}
}

// soak runs 1-row gateway load for d, sampling the heap before the load,
// every tenth of the run under load, and once more after the connections
// have closed (idle, like the start).
func soak(ctx context.Context, url string, bodies [][]byte, conns int, d time.Duration) (soakResult, error) {
	start := time.Now()
	s := soakResult{samples: []heapSample{sampleHeap("start (idle)", start)}}
	done := make(chan struct{})
	var under []heapSample
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		t := time.NewTicker(d / 10)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				under = append(under, sampleHeap("under load", start))
			}
		}
	}()
	r, err := load(ctx, url, bodies, conns, 0, d, func(string) {})
	close(done)
	<-sampled
	s.samples = append(s.samples, under...)
	s.samples = append(s.samples, sampleHeap("after (idle)", start))
	s.load = r
	return s, err
}

func printSoak(out io.Writer, s soakResult) {
	fmt.Fprintf(out, "\n%d requests (%.0f/s), p50 %s, p99 %s, %d errors\n\n",
		s.load.requests, s.load.reqPerSec(), fmtDur(s.load.p50), fmtDur(s.load.p99), s.load.errors)
	fmt.Fprintln(out, "| sample | time | live heap after GC | HeapInuse | goroutines |")
	fmt.Fprintln(out, "| --- | ---: | ---: | ---: | ---: |")
	for _, h := range s.samples {
		fmt.Fprintf(out, "| %s | %s | %.1f MiB | %.1f MiB | %d |\n", h.label, h.at.Round(time.Second), mib(h.heapAlloc), mib(h.heapInuse), h.goroutines)
	}
	if n := len(s.samples); n >= 4 {
		// The first samples under load include the prediction log filling
		// up to its bound; growth is judged over the second half.
		mid, end := s.samples[n/2], s.samples[n-2]
		fmt.Fprintf(out, "\nlive heap under load, %s→%s: %+.1f MiB; idle, start→after: %+.1f MiB\n",
			mid.at.Round(time.Second), end.at.Round(time.Second), mib(end.heapAlloc)-mib(mid.heapAlloc), mib(s.samples[n-1].heapAlloc)-mib(s.samples[0].heapAlloc))
	}
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }
