package serving

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestLatencyQuantilesInterpolateInsideTheBucket(t *testing.T) {
	c := newVariantCounters()
	// Bounds run 100µs, 120µs, 144µs, 172.8µs, ...: 150µs falls in
	// (144µs, 172.8µs], where p50 is half way and p99 99% of the way.
	for range 10 {
		c.request(200, 150*time.Microsecond)
	}
	s := c.snapshot("production", 1)
	assert.InDelta(t, 144e-6+28.8e-6*0.5, s.P50, 1e-12)
	assert.InDelta(t, 144e-6+28.8e-6*0.99, s.P99, 1e-12)

	// One slow request in a hundred moves p99 but not p50.
	c = newVariantCounters()
	for range 99 {
		c.request(200, 50*time.Microsecond) // first bucket (0, 100µs]
	}
	c.request(503, 2*time.Minute) // beyond the last bound
	s = c.snapshot("canary", 2)
	assert.InDelta(t, 100e-6*50/99, s.P50, 1e-12)
	assert.InDelta(t, 100e-6*99/99, s.P99, 1e-12)
	assert.Equal(t, int64(100), s.Requests)
	assert.Equal(t, int64(1), s.Errors)

	assert.Zero(t, newVariantCounters().snapshot("x", 1).P99, "no requests, no latency")
}

func TestProbabilityBins(t *testing.T) {
	for p, bin := range map[float64]int{0: 0, 0.05: 0, 0.1: 1, 0.4: 4, 0.83: 8, 0.99: 9, 1: 9, -0.1: 0, 1.5: 9} {
		assert.Equal(t, bin, probabilityBin(p), "p=%v", p)
	}
}
