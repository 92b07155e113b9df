package frame

import (
	"fmt"
	"strconv"
	"strings"
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

// NullTokensText lists the spellings IsNullToken accepts, for messages that
// tell a user how to mark a value missing.
const NullTokensText = `an empty cell, NA, N/A, null, NULL, NaN or nan`

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

// maxShown bounds the sample of offending cells a message quotes.
const maxShown = 3

// NotNumbers explains why a column meant to be numeric was read as string:
// which cells are not numbers (data rows, 1-based) and how to mark them
// missing. It returns "" when the column is not string, or when none of its
// cells is a number (then it is text, not numbers with a few odd cells).
func NotNumbers(c *Column) string {
	if c.Kind != String {
		return ""
	}
	var shown []string
	bad, numbers := 0, 0
	for i, s := range c.Strings {
		if c.Null[i] {
			continue
		}
		if _, err := strconv.ParseFloat(s, 64); err == nil {
			numbers++
			continue
		}
		if bad++; len(shown) < maxShown {
			shown = append(shown, fmt.Sprintf("row %d %q", i+1, s))
		}
	}
	if numbers == 0 || bad == 0 {
		return ""
	}
	more := ""
	if bad > len(shown) {
		more = ", ..."
	}
	return fmt.Sprintf("%d of its %d values are not numbers (%s%s); if they mean missing, write them as %s",
		bad, bad+numbers, strings.Join(shown, ", "), more, NullTokensText)
}
