package serving

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// A hold grows in doubling steps, falls back to the exact rows when a step
// would not fit, and gives back everything on release.
func TestRowHoldGrowsWithinTheBudget(t *testing.T) {
	b := newRowBudget(10)
	h := rowHold{b: b}
	for rows := 1; rows <= 8; rows++ {
		assert.True(t, h.cover(rows), "rows %d", rows)
	}
	assert.Equal(t, 8, h.held)
	assert.True(t, h.cover(9), "a doubling step of 8 does not fit, the one row that is needed does")
	assert.Equal(t, int64(9), b.used.Load())

	other := rowHold{b: b}
	assert.True(t, other.cover(1))
	assert.False(t, other.cover(2), "the budget is spent")
	assert.False(t, h.cover(10))

	h.trim(4)
	assert.Equal(t, int64(5), b.used.Load(), "trim gives back what the request does not need")
	h.release()
	other.release()
	assert.Zero(t, b.used.Load())
}
