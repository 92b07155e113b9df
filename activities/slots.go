package activities

import (
	"context"
	"fmt"
)

// Slots is a training worker's accelerator slots: one per CUDA device, or
// one per CPU core on the CPU engine. A training activity reads its data
// and cuts its fold first, then holds a slot only while it fits, and
// scores, uploads and reports after giving the slot back. A worker that
// accepts a few more activities than it has slots (its prefetch) then
// always has the next fit ready: a slot passes from one fit to the next in
// microseconds instead of waiting a poll round trip for the next task.
type Slots struct {
	free chan int
}

// NewSlots returns n slots, numbered 0 to n-1 (the device index on a CUDA
// build). n below 1 is one slot.
func NewSlots(n int) *Slots {
	if n < 1 {
		n = 1
	}
	s := &Slots{free: make(chan int, n)}
	for i := range n {
		s.free <- i
	}
	return s
}

// Len is the number of slots.
func (s *Slots) Len() int { return cap(s.free) }

// Acquire waits for a free slot and returns its number and the function
// that gives it back. It returns ctx's error if ctx ends first (the
// activity was cancelled or timed out while it waited).
func (s *Slots) Acquire(ctx context.Context) (int, func(), error) {
	select {
	case i := <-s.free:
		var done bool
		return i, func() {
			if !done {
				done = true
				s.free <- i
			}
		}, nil
	case <-ctx.Done():
		return 0, nil, fmt.Errorf("waiting for a training slot: %w", ctx.Err())
	}
}

type slotsKey struct{}

// WithSlots returns a context that carries slots. A training worker puts
// its slots into the context its activities run under
// (worker.Options.BackgroundActivityContext).
func WithSlots(ctx context.Context, s *Slots) context.Context {
	return context.WithValue(ctx, slotsKey{}, s)
}

// acquireSlot takes one of the worker's slots, if it has any; a worker
// without slots (a test's, say) fits at once.
func acquireSlot(ctx context.Context) (func(), error) {
	s, _ := ctx.Value(slotsKey{}).(*Slots)
	if s == nil {
		return func() {}, nil
	}
	_, release, err := s.Acquire(ctx)
	return release, err
}
