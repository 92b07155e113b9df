package main

import (
	"math/bits"
	"time"
)

// histogram counts latencies in fixed buckets: exact microseconds below
// 1024µs, then 512 buckets per doubling (under 0.2% error). Its size is
// fixed, so a long soak measures the gateway's heap, not the client's.
type histogram struct {
	counts [1024 + 40*512]int64
	n      int64
}

func bucketOf(d time.Duration) int {
	us := uint64(max(d, 0) / time.Microsecond)
	if us < 1024 {
		return int(us)
	}
	e := bits.Len64(us) - 10 // us>>e is in [512, 1023]
	i := 1024 + (e-1)*512 + int(us>>e) - 512
	return min(i, len(histogram{}.counts)-1)
}

// lowerBound is the smallest latency in bucket i.
func lowerBound(i int) time.Duration {
	if i < 1024 {
		return time.Duration(i) * time.Microsecond
	}
	e := (i-1024)/512 + 1
	m := (i-1024)%512 + 512
	return time.Duration(uint64(m)<<e) * time.Microsecond
}

func (h *histogram) add(d time.Duration) {
	h.counts[bucketOf(d)]++
	h.n++
}

func (h *histogram) merge(o *histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
}

// quantile is the nearest-rank quantile, as its bucket's lower bound.
func (h *histogram) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := int64(q*float64(h.n) + 0.999999)
	var seen int64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return lowerBound(i)
		}
	}
	return lowerBound(len(h.counts) - 1)
}
