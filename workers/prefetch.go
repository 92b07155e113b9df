package workers

import (
	"context"
	"sync"
	"time"

	"go.temporal.io/sdk/worker"

	"github.com/mlpipe/mlpipe/activities"
)

// PrefetchFitsUnder is how short a GPU worker's fits must be for it to
// prefetch. Prefetch saves a poll round trip per fit, tens of milliseconds:
// for fits of seconds that is nothing, while a prefetched activity waits a
// whole fit (its start-to-close timeout running) and on a fleet is held by
// one worker while another may be idle.
const PrefetchFitsUnder = 10 * time.Second

// prefetchSupplier hands out the GPU worker's activity permits (the SDK
// reserves one before each poll): one per slot always, and up to prefetch
// more while the fits are short (activities.Slots.ShortFits). The extra
// permits keep polls open while the slots fit, so that the next trials
// arrive from every task-queue partition. A permit is judged when it is
// handed out and cannot be taken back: a poll opened just before a fit
// passed the limit, or before the worker fell idle, may still bring one
// trial more than the slots, until it returns (about a minute at most).
type prefetchSupplier struct {
	slots    *activities.Slots
	prefetch int
	under    time.Duration

	mu      sync.Mutex
	held    int
	changed chan struct{} // closed, and replaced, when a permit is given back
}

func newPrefetchSupplier(slots *activities.Slots, prefetch int, under time.Duration) *prefetchSupplier {
	return &prefetchSupplier{slots: slots, prefetch: prefetch, under: under, changed: make(chan struct{})}
}

// take hands out a permit if one is free now; otherwise it returns the
// channels whose closing may free one.
func (p *prefetchSupplier) take() (ok bool, permitBack, slotsChanged <-chan struct{}) {
	slotsChanged = p.slots.Changed() // before the check, so no change is missed
	p.mu.Lock()
	defer p.mu.Unlock()
	n := p.slots.Len()
	if p.held < n || (p.held < n+p.prefetch && p.slots.ShortFits(p.under, time.Now())) {
		p.held++
		return true, nil, nil
	}
	if p.held >= n+p.prefetch {
		return false, p.changed, nil // only a permit given back can help
	}
	return false, p.changed, slotsChanged
}

func (p *prefetchSupplier) ReserveSlot(ctx context.Context, _ worker.SlotReservationInfo) (*worker.SlotPermit, error) {
	for {
		ok, permitBack, slotsChanged := p.take()
		if ok {
			return &worker.SlotPermit{}, nil
		}
		// A running fit that passes the limit, or idleness, only turns
		// prefetch off, so waking on the two changes is enough.
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-permitBack:
		case <-slotsChanged:
		}
	}
}

func (p *prefetchSupplier) TryReserveSlot(worker.SlotReservationInfo) *worker.SlotPermit {
	if ok, _, _ := p.take(); ok {
		return &worker.SlotPermit{}
	}
	return nil
}

func (p *prefetchSupplier) MarkSlotUsed(worker.SlotMarkUsedInfo) {}

func (p *prefetchSupplier) ReleaseSlot(worker.SlotReleaseInfo) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.held--
	close(p.changed)
	p.changed = make(chan struct{})
}

func (p *prefetchSupplier) MaxSlots() int { return p.slots.Len() + p.prefetch }
