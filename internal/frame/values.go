package frame

import (
	"fmt"
	"time"
)

// IsNullToken reports whether a raw cell means "missing". The list follows
// what pandas treats as NA by default, minus the rarer spellings.
func IsNullToken(s string) bool {
	switch s {
	case "", "NA", "N/A", "null", "NULL", "NaN", "nan":
		return true
	}
	return false
}

// timeLayouts are tried in order; RFC3339 also accepts fractional seconds.
var timeLayouts = []string{time.RFC3339, "2006-01-02 15:04:05", "2006-01-02"}

// ParseTime reads a timestamp in any layout ReadCSV accepts: RFC3339,
// "2006-01-02 15:04:05" (UTC) or "2006-01-02" (UTC midnight).
func ParseTime(s string) (time.Time, error) {
	// Cheap shape check first: inference calls this on every cell of every
	// non-numeric column, and most of those are plainly not dates.
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return time.Time{}, fmt.Errorf("%q is not a time (want RFC3339, 2006-01-02 15:04:05 or 2006-01-02)", s)
	}
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time (want RFC3339, 2006-01-02 15:04:05 or 2006-01-02)", s)
}
