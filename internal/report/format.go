package report

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// missing stands in for every unknown value, so a reader never sees "NaN".
const missing = "—"

// fmtFloat writes f with the given decimals, or "—" when f is NaN or infinite.
func fmtFloat(f float64, decimals int) string {
	if !finite(f) {
		return missing
	}
	return strconv.FormatFloat(f, 'f', decimals, 64)
}

// fmtMeasured writes a gate measurement, whose unit varies by rule (a score,
// milliseconds), with up to four decimals and no trailing zeros.
func fmtMeasured(f float64) string {
	if !finite(f) {
		return missing
	}
	return strconv.FormatFloat(math.Round(f*1e4)/1e4, 'f', -1, 64)
}

// fmtDelta writes a signed difference so improvements and regressions
// are told apart at a glance.
func fmtDelta(f float64) string {
	if !finite(f) {
		return missing
	}
	s := strconv.FormatFloat(f, 'f', 4, 64)
	if f >= 0 {
		s = "+" + s
	}
	return s
}

// fmtInterval writes a confidence interval as "[low, high]".
func fmtInterval(low, high float64) string {
	if !finite(low) || !finite(high) {
		return missing
	}
	return "[" + fmtFloat(low, 4) + ", " + fmtFloat(high, 4) + "]"
}

// fmtPercent writes a fraction in [0, 1] as a percentage.
func fmtPercent(f float64) string {
	if !finite(f) {
		return missing
	}
	return strconv.FormatFloat(100*f, 'f', 1, 64) + "%"
}

// fmtInt writes n with thousands separators: 12345 → "12,345".
func fmtInt(n int) string {
	s := strconv.Itoa(n)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// fmtRate writes a throughput rounded to whole units with separators.
func fmtRate(f float64) string {
	if !finite(f) {
		return missing
	}
	return fmtInt(int(math.Round(f)))
}

// fmtDuration writes a latency in the unit a reader expects for it.
func fmtDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return missing
	case d < time.Millisecond:
		return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
	case d < time.Second:
		return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.2f s", d.Seconds())
	}
}

// fmtTime writes a timestamp in UTC, or "—" when it is unset.
func fmtTime(t time.Time) string {
	if t.IsZero() {
		return missing
	}
	return t.UTC().Format("2006-01-02 15:04 MST")
}
