package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"time"
)

// heapSample is the process's heap in use right after a forced GC: what
// live objects hold, so growth between samples is retained memory, not
// garbage waiting for collection.
type heapSample struct {
	label      string
	at         time.Duration
	heapInuse  uint64
	goroutines int
}

type soakResult struct {
	samples []heapSample
	load    result
}

func sampleHeap(label string, start time.Time) heapSample {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return heapSample{label: label, at: time.Since(start), heapInuse: ms.HeapInuse, goroutines: runtime.NumGoroutine()}
}

// soak runs 1-row gateway load for d, sampling the heap before the load,
// halfway and at the end (both under load, so alike), and once more after
// the connections have closed (idle, like the start).
func soak(ctx context.Context, url string, bodies [][]byte, conns int, d time.Duration) (soakResult, error) {
	start := time.Now()
	s := soakResult{samples: []heapSample{sampleHeap("start (idle)", start)}}
	r, err := load(ctx, url, bodies, conns, 0, d, func(label string) {
		s.samples = append(s.samples, sampleHeap(label+" (under load)", start))
	})
	s.samples = append(s.samples, sampleHeap("after (idle)", start))
	s.load = r
	return s, err
}

func printSoak(out io.Writer, s soakResult) {
	fmt.Fprintf(out, "\n%d requests (%.0f/s), p50 %s, p99 %s, %d errors\n\n",
		s.load.requests, s.load.reqPerSec(), fmtDur(s.load.p50), fmtDur(s.load.p99), s.load.errors)
	fmt.Fprintln(out, "| sample | time | HeapInuse after GC | goroutines |")
	fmt.Fprintln(out, "| --- | ---: | ---: | ---: |")
	for _, h := range s.samples {
		fmt.Fprintf(out, "| %s | %s | %.1f MiB | %d |\n", h.label, h.at.Round(time.Second), mib(h.heapInuse), h.goroutines)
	}
	if len(s.samples) == 4 {
		start, mid, end, after := s.samples[0], s.samples[1], s.samples[2], s.samples[3]
		fmt.Fprintf(out, "\nheap growth under load, midway→end: %+.1f MiB; idle, start→after: %+.1f MiB\n",
			mib(end.heapInuse)-mib(mid.heapInuse), mib(after.heapInuse)-mib(start.heapInuse))
	}
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }
