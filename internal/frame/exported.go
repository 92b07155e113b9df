package frame

import "fmt"

// DataErrorf makes a *DataError: a problem with what the data says, which
// only fixing the data cures. Other readers of mlpipe's data (the data
// plane) use it so callers tell bad input from I/O failures the same way.
func DataErrorf(format string, args ...any) error {
	return &DataError{msg: fmt.Sprintf(format, args...)}
}

// NotUTF8Text describes a value that is not valid UTF-8 as ReadCSV does:
// its bad bytes and how it reads as Windows-1252.
func NotUTF8Text(s string) string { return notUTF8(s) }

// NonFiniteText explains, as ReadCSV does, why the cell s (read as v) cannot
// be used: an infinity, NaN or a number beyond float64's range.
func NonFiniteText(s string, v float64) string { return nonFiniteText(s, v) }

// MaxShown bounds the sample of offending cells a message quotes.
const MaxShown = maxShown
