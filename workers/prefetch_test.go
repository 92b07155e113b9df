package workers

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/activities"
)

// reserve asks for a permit and reports whether it came within wait.
func reserve(p *prefetchSupplier, wait time.Duration) bool {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	permit, err := p.ReserveSlot(ctx, nil)
	return err == nil && permit != nil
}

// A 1-slot worker with prefetch 1 takes a second activity only once a fit
// has completed quickly, and not while a fit runs past the limit, after a
// long one, or once it has been idle for the limit: a worker whose fits
// are long, or that is idle, opens no more polls than slots.
func TestTheGPUWorkerPrefetchesOnlyWhileFitsAreShort(t *testing.T) {
	slots := activities.NewSlots(1)
	const under = 500 * time.Millisecond
	p := newPrefetchSupplier(slots, 1, under)
	assert.Equal(t, 2, p.MaxSlots())

	require.True(t, reserve(p, time.Second), "one permit per slot, always")
	assert.False(t, reserve(p, 50*time.Millisecond), "no prefetch before any fit has ended")
	assert.Nil(t, p.TryReserveSlot(nil))

	// A waiting reservation gets its permit as soon as a short fit ends.
	got := make(chan bool, 1)
	go func() { got <- reserve(p, time.Minute) }()
	_, release, err := slots.Acquire(context.Background())
	require.NoError(t, err)
	release(true)
	require.True(t, <-got, "a short fit completed: the second permit is handed out")
	assert.False(t, reserve(p, 50*time.Millisecond), "slots + prefetch is the most")

	// Both permits back; idle for longer than the limit, no prefetch.
	p.ReleaseSlot(nil)
	p.ReleaseSlot(nil)
	time.Sleep(2 * under)
	require.True(t, reserve(p, time.Second), "the slot's own permit")
	assert.False(t, reserve(p, 50*time.Millisecond), "nothing fitted for longer than the limit")

	// A fit that runs past the limit: none while it runs, none after it.
	_, release, err = slots.Acquire(context.Background())
	require.NoError(t, err)
	time.Sleep(2 * under)
	assert.False(t, reserve(p, 50*time.Millisecond), "a fit has run past the limit")
	release(true)
	assert.False(t, reserve(p, 50*time.Millisecond), "the last fit was long")

	// A permit given back is handed to a waiting reservation.
	go func() { got <- reserve(p, time.Minute) }()
	p.ReleaseSlot(nil)
	require.True(t, <-got)
}

func TestNewGPURefusesANegativePrefetch(t *testing.T) {
	_, err := NewGPU(nil, &activities.Activities{}, GPUOptions{Slots: 1, Prefetch: -2})
	require.ErrorContains(t, err, "prefetch -2: want 0 or more")
}
