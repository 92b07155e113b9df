package report

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestFormat(t *testing.T) {
	assert.Equal(t, "—", fmtFloat(math.NaN(), 3))
	assert.Equal(t, "—", fmtFloat(math.Inf(-1), 3))
	assert.Equal(t, "0.913", fmtFloat(0.91251, 3))
	assert.Equal(t, "27.4", fmtMeasured(27.4))
	assert.Equal(t, "0.8312", fmtMeasured(0.83124))
	assert.Equal(t, "—", fmtMeasured(math.NaN()))
	assert.Equal(t, "+0.0000", fmtDelta(0))
	assert.Equal(t, "-0.0126", fmtDelta(-0.0126))
	assert.Equal(t, "—", fmtInterval(0.1, math.NaN()))
	assert.Equal(t, "32.1%", fmtPercent(0.3213))

	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -1234: "-1,234"} {
		assert.Equal(t, want, fmtInt(n))
	}

	assert.Equal(t, "850 µs", fmtDuration(850*time.Microsecond))
	assert.Equal(t, "27.40 ms", fmtDuration(27400*time.Microsecond))
	assert.Equal(t, "1.50 s", fmtDuration(1500*time.Millisecond))
	assert.Equal(t, "—", fmtDuration(0))
	assert.Equal(t, "—", fmtTime(time.Time{}))
	assert.Equal(t, "2025-06-01 12:30 UTC", fmtTime(time.Date(2025, 6, 1, 14, 30, 0, 0, time.FixedZone("CEST", 2*3600))))
}
