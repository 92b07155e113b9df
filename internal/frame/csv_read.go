package frame

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// ReadOptions tunes ReadCSV.
type ReadOptions struct {
	// Source names the input in error messages, e.g. "churn.csv".
	Source string
	// Types forces the kind of the named columns instead of inferring it.
	Types map[string]Kind
}

// DataError is a problem with what a CSV says (its header, a row, a cell)
// rather than with reading it: fixing the file is the only cure, so callers
// treat it as bad input, not as a failure worth retrying.
type DataError struct {
	msg string
}

func (e *DataError) Error() string { return e.msg }

func dataErrorf(format string, args ...any) error {
	return &DataError{msg: fmt.Sprintf(format, args...)}
}

var (
	bomUTF8    = []byte("\ufeff")
	bomUTF16LE = []byte{0xff, 0xfe}
	bomUTF16BE = []byte{0xfe, 0xff}
)

// ReadCSV reads a CSV file with a header row. Each column's kind is forced by
// opts.Types or inferred: Float if every non-null cell parses as a number,
// else Time if every one parses with ParseTime, else String. A column with no
// non-null cells is Float. Cells matching IsNullToken are null. A leading
// UTF-8 byte-order mark (Excel, R's write.csv) is skipped, and lines may end
// in CRLF.
//
// The text must be UTF-8, and a float column's values finite numbers:
// anything else is a *DataError. Errors name the source, the data row
// (1-based, header excluded), the file line and the column, e.g.
// `churn.csv: row 17 (line 18): has 7 fields, header has 8`.
func ReadCSV(r io.Reader, opts ReadOptions) (*Frame, error) {
	src := opts.Source
	if src == "" {
		src = "csv"
	}
	br := bufio.NewReaderSize(r, 1<<16)
	// The mark must go before the CSV parser sees it: a quoted first header
	// (`\ufeff"id"`) would otherwise be a bare quote in an unquoted field.
	head, err := br.Peek(3)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("%s: read: %w", src, err)
	}
	switch {
	case bytes.HasPrefix(head, bomUTF8):
		if _, err := br.Discard(len(bomUTF8)); err != nil {
			return nil, fmt.Errorf("%s: read: %w", src, err)
		}
	case bytes.HasPrefix(head, bomUTF16LE), bytes.HasPrefix(head, bomUTF16BE):
		return nil, dataErrorf("%s: the file is UTF-16 (it starts with a UTF-16 byte-order mark); re-save it as UTF-8 (in Excel: CSV UTF-8)", src)
	}
	cr := csv.NewReader(br)
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1 // ragged rows are reported by us, with a row number

	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, dataErrorf("%s: empty file: the first line must be a header naming the columns", src)
	}
	if err != nil {
		return nil, ReadError(src, "header", err)
	}
	names := make([]string, len(header))
	seen := make(map[string]int, len(header))
	for i, h := range header {
		h = strings.TrimSpace(h)
		if !utf8.ValidString(h) {
			return nil, dataErrorf("%s: header: column %d's name %s", src, i+1, notUTF8(h))
		}
		if h == "" {
			hint := ""
			if i == len(header)-1 {
				hint = " (a trailing comma on the header line?)"
			}
			return nil, dataErrorf("%s: header: column %d has no name%s: every column needs one", src, i+1, hint)
		}
		if j, dup := seen[h]; dup {
			return nil, dataErrorf("%s: header: column %q appears twice (columns %d and %d): rename one", src, h, j+1, i+1)
		}
		seen[h] = i
		names[i] = h
	}
	for name := range opts.Types {
		if _, ok := seen[name]; !ok {
			return nil, fmt.Errorf("%s: types names column %q, which is not in the header (%s)", src, name, strings.Join(names, ", "))
		}
	}

	// Keep raw cells per column, then type each column in a second pass:
	// inference needs to see a whole column before committing to a kind.
	raw := make([][]string, len(names))
	var lines []int // file line of each data row, for error messages
	for row := 1; ; row++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, ReadError(src, fmt.Sprintf("row %d", row), err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != len(names) {
			return nil, dataErrorf("%s: row %d (line %d): has %d fields, header has %d (%s): check its commas and quotes",
				src, row, line, len(rec), len(names), strings.Join(names, ", "))
		}
		for i, v := range rec {
			if !utf8.ValidString(v) {
				return nil, dataErrorf("%s: row %d (line %d), column %q: %s", src, row, line, names[i], notUTF8(v))
			}
			raw[i] = append(raw[i], v)
		}
		lines = append(lines, line)
	}

	cols := make([]*Column, len(names))
	for i, name := range names {
		kind, forced := opts.Types[name]
		var c *Column
		if forced {
			c, err = parseColumn(name, kind, raw[i])
		} else {
			c, err = inferColumn(name, raw[i])
		}
		if err != nil {
			var ce *cellError
			if errors.As(err, &ce) {
				why := ""
				if forced {
					why = fmt.Sprintf(" (forced to %s by types)", kind)
				}
				return nil, dataErrorf("%s: row %d (line %d), column %q: %s%s", src, ce.row+1, lines[ce.row], name, ce.msg, why)
			}
			return nil, fmt.Errorf("%s: column %q: %w", src, name, err)
		}
		cols[i] = c
	}
	f, err := New(cols...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", src, err)
	}
	return f, nil
}

// ReadError tells a malformed CSV (bad input, a DataError with the line
// and a hint) from a failing reader (an I/O error the caller may retry,
// kept wrapped so errors.Is still sees it). Every CSV reader of the
// project words its errors through it.
func ReadError(src, where string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		hint := ""
		switch {
		case errors.Is(pe.Err, csv.ErrBareQuote):
			hint = `: a field with a " in it must be quoted, the quote doubled ("say ""hi""")`
		case errors.Is(pe.Err, csv.ErrQuote):
			hint = ": a quoted field must end with a quote right before the comma or the line end"
		}
		return dataErrorf("%s: %s (line %d): %v%s", src, where, pe.StartLine, pe.Err, hint)
	}
	return fmt.Errorf("%s: %s: %w", src, where, err)
}

// cellError carries the 0-based data row of a value that did not parse.
// nonFinite marks a column of numbers some of which are infinite, NaN
// (spelled other than as a null token) or beyond float64's range: the
// column is numeric, but those values cannot be learned from.
type cellError struct {
	row       int
	msg       string
	nonFinite bool
}

func (e *cellError) Error() string { return fmt.Sprintf("row %d: %s", e.row+1, e.msg) }

// inferColumn picks the narrowest kind every non-null cell fits. Parsing
// doubles as the test, so the winning kind's values are parsed only once; a
// wrong guess usually fails on the first cell. A column of numbers with a
// non-finite value among them is an error, not a string column.
func inferColumn(name string, cells []string) (*Column, error) {
	c, err := parseColumn(name, Float, cells)
	var ce *cellError
	switch {
	case err == nil:
		return c, nil
	case errors.As(err, &ce) && ce.nonFinite:
		return nil, err
	}
	if c, err := parseColumn(name, Time, cells); err == nil {
		return c, nil
	}
	return parseColumn(name, String, cells) // strings always parse
}
