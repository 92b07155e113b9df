package activities

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Slots is a training worker's accelerator slots: one per CUDA device, or
// one per CPU core on the CPU engine. A training activity reads its data
// and cuts its fold first, then holds a slot only while it fits, and
// scores, uploads and reports after giving the slot back. A worker that
// accepts a few more activities than it has slots (its prefetch) then
// always has the next fit ready: a slot passes from one fit to the next in
// microseconds instead of waiting a poll round trip for the next task.
// Slots also keeps how long fits take, so that the worker prefetches only
// while that pays (ShortFits).
type Slots struct {
	free chan int

	mu      sync.Mutex
	started map[int]time.Time // a held slot's fit start
	lastFit time.Duration     // the last completed fit's length; -1 before the first
	lastEnd time.Time         // when it ended
	changed chan struct{}     // closed, and replaced, when a slot is taken or given back
}

// NewSlots returns n slots, numbered 0 to n-1. n below 1 is one slot.
func NewSlots(n int) *Slots {
	if n < 1 {
		n = 1
	}
	s := &Slots{free: make(chan int, n), started: map[int]time.Time{}, lastFit: -1, changed: make(chan struct{})}
	for i := range n {
		s.free <- i
	}
	return s
}

// Len is the number of slots.
func (s *Slots) Len() int { return cap(s.free) }

// Acquire waits for a free slot and returns its number and the function
// that gives it back: release(true) after a fit that completed, whose
// length then counts for ShortFits, release(false) after one that failed,
// diverged or was cancelled. Only the first call does anything. It returns
// ctx's error if ctx ends first (the activity was cancelled or timed out
// while it waited).
func (s *Slots) Acquire(ctx context.Context) (int, func(fitted bool), error) {
	select {
	case i := <-s.free:
		s.mu.Lock()
		s.started[i] = time.Now()
		s.changedLocked()
		s.mu.Unlock()
		var once sync.Once
		return i, func(fitted bool) {
			once.Do(func() {
				s.mu.Lock()
				if fitted {
					s.lastEnd = time.Now()
					s.lastFit = s.lastEnd.Sub(s.started[i])
				}
				delete(s.started, i)
				s.changedLocked()
				s.mu.Unlock()
				s.free <- i
			})
		}, nil
	case <-ctx.Done():
		return 0, nil, fmt.Errorf("waiting for a training slot: %w", ctx.Err())
	}
}

// ShortFits reports whether fits here are short, so that a prefetched
// activity would soon get a slot: the last completed fit took less than
// limit and ended less than limit before now, and none running at now has
// run that long. It is false before the first fit has completed, and once
// the worker has fitted nothing for limit.
func (s *Slots) ShortFits(limit time.Duration, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lastFit < 0 || s.lastFit >= limit || now.Sub(s.lastEnd) >= limit {
		return false
	}
	for _, t := range s.started {
		if now.Sub(t) >= limit {
			return false
		}
	}
	return true
}

// Changed returns a channel that is closed the next time a slot is taken
// or given back.
func (s *Slots) Changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed
}

func (s *Slots) changedLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

type slotsKey struct{}

// WithSlots returns a context that carries slots. A training worker puts
// its slots into the context its activities run under
// (worker.Options.BackgroundActivityContext).
func WithSlots(ctx context.Context, s *Slots) context.Context {
	return context.WithValue(ctx, slotsKey{}, s)
}

// acquireSlot takes one of the worker's slots, if it has any; a worker
// without slots (a test's, say) fits at once. See Acquire for release.
func acquireSlot(ctx context.Context) (func(fitted bool), error) {
	s, _ := ctx.Value(slotsKey{}).(*Slots)
	if s == nil {
		return func(bool) {}, nil
	}
	_, release, err := s.Acquire(ctx)
	return release, err
}
