package dataplane

import (
	"errors"
	"math"
	"strconv"
	"strings"

	"github.com/mlpipe/mlpipe/internal/frame"
)

// classifyNumber says whether strconv.ParseFloat reads s as a number
// (infinities, NaN and overflow included, as frame does), whether that
// number is finite, and whether s is plain decimal, which every SQL engine
// reads to the same float64. Plain decimals are checked by hand: most cells
// of a numeric column are, and ParseFloat is then only needed for huge
// exponents.
func classifyNumber(s string) (isNum, finite, simple bool) {
	i, n := 0, len(s)
	if i < n && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for i < n && s[i] >= '0' && s[i] <= '9' {
		i, digits = i+1, digits+1
	}
	if i < n && s[i] == '.' {
		i++
		for i < n && s[i] >= '0' && s[i] <= '9' {
			i, digits = i+1, digits+1
		}
	}
	exp := false
	if digits > 0 && i < n && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < n && (s[j] == '+' || s[j] == '-') {
			j++
		}
		k := j
		for k < n && s[k] >= '0' && s[k] <= '9' {
			k++
		}
		if k > j {
			i, exp = k, true
		}
	}
	if digits > 0 && i == n {
		if !exp && n < 300 {
			return true, true, true
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return false, false, false
		}
		return true, !math.IsInf(v, 0), true
	}
	// Beyond plain decimals ParseFloat reads only infinities, NaN, hex
	// and digits grouped by underscores: skip it for the words that are
	// none of those, the bulk of a text column.
	k := 0
	if n > 0 && (s[0] == '+' || s[0] == '-') {
		k = 1
	}
	if k >= n {
		return false, false, false
	}
	// Only ASCII folds to these letters, so the lengths must match.
	if w := s[k:]; (len(w) == 3 || len(w) == 8) && (strings.EqualFold(w, "inf") || strings.EqualFold(w, "infinity") || strings.EqualFold(w, "nan")) {
		return true, false, false
	}
	// ParseFloat reads an x only in a 0x prefix, after the sign.
	hex := n-k >= 2 && s[k] == '0' && (s[k+1] == 'x' || s[k+1] == 'X')
	if !hex && strings.IndexByte(s, '_') < 0 {
		return false, false, false
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return false, false, false
	}
	return true, !math.IsInf(v, 0) && !math.IsNaN(v), false
}

// sniffDelimiter picks the separator the header line uses most, outside
// quotes: comma, semicolon, tab or pipe; comma when none appears.
func sniffDelimiter(b []byte) rune {
	counts := map[byte]int{}
	inQuote := false
	for _, c := range b {
		if c == '"' {
			inQuote = !inQuote
			continue
		}
		if !inQuote && (c == '\n' || c == '\r') {
			break
		}
		if !inQuote {
			counts[c]++
		}
	}
	best, bestN := byte(','), counts[',']
	for _, c := range []byte{';', '\t', '|'} {
		if counts[c] > bestN {
			best, bestN = c, counts[c]
		}
	}
	return rune(best)
}

// loneCR refuses a carriage return that does not end a line (Go's reader
// keeps CRLF inside quotes as LF, so any left is alone): classic Mac line
// ends, which readers split differently.
func loneCR(src, where string) error {
	return frame.DataErrorf("%s: %s: has a carriage return (\\r) that does not end a line (CRLF) (old Mac line ends?): re-save the file with LF or CRLF line ends", src, where)
}
