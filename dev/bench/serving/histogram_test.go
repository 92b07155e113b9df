package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestBucketsRoundTripAndStayOrdered(t *testing.T) {
	for i := 1; i < 1024+20*512; i++ {
		assert.Equal(t, i, bucketOf(lowerBound(i)), "bucket %d", i)
		assert.Greater(t, lowerBound(i), lowerBound(i-1), "bucket %d", i)
	}
}

func TestHistogramQuantiles(t *testing.T) {
	var h histogram
	for i := 1; i <= 100; i++ {
		h.add(time.Duration(i) * 100 * time.Microsecond) // 0.1ms … 10ms
	}
	// 5000µs lies in [4096, 8192)µs, 8µs-wide buckets, and is a bucket edge.
	assert.Equal(t, 5*time.Millisecond, h.quantile(0.50))
	// 9900µs lies in the doubling [8192, 16384)µs, 16µs-wide buckets: 9900 → 9888.
	assert.Equal(t, 9888*time.Microsecond, h.quantile(0.99))
	assert.Equal(t, 700*time.Microsecond, (&histogram{}).withAll(700*time.Microsecond).quantile(0.99))
}

func (h *histogram) withAll(ds ...time.Duration) *histogram {
	for _, d := range ds {
		h.add(d)
	}
	return h
}
