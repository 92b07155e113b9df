package stack

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// Two slots, three trials: the workers' time splits exactly into fit, work
// in the activity around the fit, and idle slot time; the third trial
// starts 20 ms after the first one freed its slot.
func TestStatsSplitsTheWorkersTime(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	r := Run{
		Wall:    400 * time.Millisecond,
		Started: at(0), Closed: at(400),
		Trials: []Trial{
			{Started: at(10), Closed: at(210), Fit: 0.180},
			{Started: at(10), Closed: at(310), Fit: 0.280},
			{Started: at(230), Closed: at(390), Fit: 0.140},
		},
	}
	s := r.Stats(2)
	assert.Equal(t, 3, s.Trials)
	assert.InDelta(t, 0.600, s.SumFit, 1e-9)
	assert.InDelta(t, 0.660, s.SumSpan, 1e-9)
	assert.InDelta(t, 0.600/0.800, s.Efficiency, 1e-9)
	assert.InDelta(t, 200.0/3, milli(s.Overhead), 1e-3, "(800 − 600) ms over 3 trials")
	assert.InDelta(t, 20.0, milli(s.InActivity), 1e-3, "(660 − 600) ms over 3 trials")
	assert.InDelta(t, 140.0/3, milli(s.Idle), 1e-3, "(800 − 660) ms over 3 trials")
	assert.InDelta(t, milli(s.Overhead), milli(s.InActivity+s.Idle), 1e-3)
	assert.Equal(t, 20*time.Millisecond, s.Refill)
	assert.Equal(t, 10*time.Millisecond, s.Lead)
	assert.Equal(t, 10*time.Millisecond, s.Trail)
}

func milli(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
