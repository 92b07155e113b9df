package stack

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// Two slots, three trials, no prefetch: the slots' time splits into fit
// and the rest; the third trial starts 20 ms after the first one freed its
// slot.
func TestStatsSplitsTheWorkersTime(t *testing.T) {
	r := Run{
		Wall:    400 * time.Millisecond,
		Started: at(0), Closed: at(400),
		Trials: []Trial{
			{Started: at(10), Closed: at(210), Fit: 0.180},
			{Started: at(10), Closed: at(310), Fit: 0.280},
			{Started: at(230), Closed: at(390), Fit: 0.140},
		},
	}
	s := r.Stats(2, 2)
	assert.Equal(t, 3, s.Trials)
	assert.InDelta(t, 0.600, s.SumFit, 1e-9)
	assert.InDelta(t, 0.660, s.SumSpan, 1e-9)
	assert.InDelta(t, 0.600/0.800, s.Efficiency, 1e-9)
	assert.InDelta(t, 200.0/3, milli(s.Overhead), 1e-3, "(800 − 600) ms over 3 trials")
	assert.InDelta(t, 20.0, milli(s.Held), 1e-3, "(660 − 600) ms over 3 trials")
	assert.Equal(t, 20*time.Millisecond, s.Refill)
	assert.Equal(t, 10*time.Millisecond, s.Lead)
	assert.Equal(t, 10*time.Millisecond, s.Trail)
}

// at is ms milliseconds into a run.
func at(ms int) time.Time {
	return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(ms) * time.Millisecond)
}

func milli(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// With prefetch the worker holds a third activity while two fit: the
// refill pairs each completion with the start after the first three.
func TestStatsPairsRefillsWithTheActivitiesTheWorkerHolds(t *testing.T) {
	r := Run{
		Wall:    300 * time.Millisecond,
		Started: at(0), Closed: at(300),
		Trials: []Trial{
			{Started: at(10), Closed: at(110), Fit: 0.100},
			{Started: at(10), Closed: at(120), Fit: 0.110},
			{Started: at(12), Closed: at(220), Fit: 0.100}, // waited for a slot until 110
			{Started: at(114), Closed: at(290), Fit: 0.100},
		},
	}
	s := r.Stats(2, 3)
	assert.Equal(t, 4*time.Millisecond, s.Refill, "the fourth starts 4 ms after the first ends")
	assert.InDelta(t, (0.594-0.410)/4*1000, milli(s.Held), 1e-3)
	assert.InDelta(t, 0.410/0.600, s.Efficiency, 1e-9)
}
