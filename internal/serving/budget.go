package serving

import "sync/atomic"

// rowBudget bounds rows held at once across requests. Decoded rows are
// the gateway's memory (about a kilobyte each as maps), so holding them to
// a number bounds the heap whatever the callers send at once. Taking never
// waits: a request that finds the budget spent is refused at once, which
// cannot deadlock requests that each hold part of it.
type rowBudget struct {
	used  atomic.Int64
	limit int64
}

func newRowBudget(limit int) *rowBudget { return &rowBudget{limit: int64(limit)} }

// take reserves n rows, or reserves nothing and reports false.
func (b *rowBudget) take(n int) bool {
	for {
		u := b.used.Load()
		if u+int64(n) > b.limit {
			return false
		}
		if b.used.CompareAndSwap(u, u+int64(n)) {
			return true
		}
	}
}

func (b *rowBudget) give(n int) {
	if n > 0 {
		b.used.Add(-int64(n))
	}
}

// rowHold is one request's share of a budget. It grows in doubling steps
// as rows are decoded, so a one-row request costs one atomic operation and
// a large one a few dozen.
type rowHold struct {
	b    *rowBudget
	held int
}

// cover makes sure rows rows are held; false means the budget is spent
// (what is held stays held until release).
func (h *rowHold) cover(rows int) bool {
	if rows <= h.held {
		return true
	}
	step := max(rows-h.held, min(h.held, 4096))
	if h.b.take(step) {
		h.held += step
		return true
	}
	if step > rows-h.held && h.b.take(rows-h.held) {
		h.held = rows
		return true
	}
	return false
}

// trim gives back what is held beyond rows.
func (h *rowHold) trim(rows int) {
	if h.held > rows {
		h.b.give(h.held - rows)
		h.held = rows
	}
}

// release gives back everything held.
func (h *rowHold) release() {
	h.b.give(h.held)
	h.held = 0
}
