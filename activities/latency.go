package activities

import (
	"slices"
	"time"

	"github.com/mlpipe/mlpipe/internal/bundle"
	"github.com/mlpipe/mlpipe/internal/frame"
)

// measureLatency times the serving path on raw rows: single-row
// predictions (p50, p99 over up to 500 calls) and batch throughput.
func measureLatency(b *bundle.Bundle, raw *frame.Frame) *Latency {
	rows := raw.Records(2000)
	if len(rows) == 0 {
		return nil
	}
	n := min(500, len(rows))
	single := make([]time.Duration, 0, n)
	for i := range n {
		start := time.Now()
		if _, err := b.Predict(rows[i : i+1]); err != nil {
			return nil
		}
		single = append(single, time.Since(start))
	}
	slices.Sort(single)
	const batch = 256
	scored, start := 0, time.Now()
	for scored < len(rows) {
		end := min(scored+batch, len(rows))
		if _, err := b.Predict(rows[scored:end]); err != nil {
			return nil
		}
		scored = end
	}
	return &Latency{
		P50Single: single[len(single)/2], P99Single: single[len(single)*99/100],
		BatchSize: batch, BatchRowsPerSecond: float64(scored) / time.Since(start).Seconds(),
	}
}
