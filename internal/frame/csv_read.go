package frame

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// ReadOptions tunes ReadCSV.
type ReadOptions struct {
	// Source names the input in error messages, e.g. "churn.csv".
	Source string
	// Types forces the kind of the named columns instead of inferring it.
	Types map[string]Kind
}

// ReadCSV reads a CSV file with a header row. Each column's kind is forced by
// opts.Types or inferred: Float if every non-null cell parses as a number,
// else Time if every one parses with ParseTime, else String. A column with no
// non-null cells is Float. Cells matching IsNullToken are null.
//
// Errors name the source, the data row (1-based, header excluded) and the
// file line, e.g. `churn.csv: row 17 (line 18): has 7 fields, header has 8`.
func ReadCSV(r io.Reader, opts ReadOptions) (*Frame, error) {
	src := opts.Source
	if src == "" {
		src = "csv"
	}
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1 // ragged rows are reported by us, with a row number

	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: empty file: the first line must be a header naming the columns", src)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: header: %w", src, err)
	}
	names := make([]string, len(header))
	seen := make(map[string]int, len(header))
	for i, h := range header {
		h = strings.TrimSpace(h)
		if i == 0 {
			h = strings.TrimPrefix(h, "\ufeff") // Excel writes a byte-order mark
		}
		if h == "" {
			return nil, fmt.Errorf("%s: header: column %d has no name", src, i+1)
		}
		if j, dup := seen[h]; dup {
			return nil, fmt.Errorf("%s: header: column %q appears twice (columns %d and %d)", src, h, j+1, i+1)
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
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, fmt.Errorf("%s: row %d (line %d): %w", src, row, pe.StartLine, pe.Err)
			}
			return nil, fmt.Errorf("%s: row %d: %w", src, row, err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != len(names) {
			return nil, fmt.Errorf("%s: row %d (line %d): has %d fields, header has %d", src, row, line, len(rec), len(names))
		}
		for i, v := range rec {
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
			c = inferColumn(name, raw[i])
		}
		if err != nil {
			var ce *cellError
			if errors.As(err, &ce) {
				return nil, fmt.Errorf("%s: row %d (line %d), column %q: %s (forced to %s by types)", src, ce.row+1, lines[ce.row], name, ce.msg, kind)
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

// cellError carries the 0-based data row of a value that did not parse.
type cellError struct {
	row int
	msg string
}

func (e *cellError) Error() string { return fmt.Sprintf("row %d: %s", e.row+1, e.msg) }

// inferColumn picks the narrowest kind every non-null cell fits. Parsing
// doubles as the test, so the winning kind's values are parsed only once; a
// wrong guess usually fails on the first cell.
func inferColumn(name string, cells []string) *Column {
	if c, err := parseColumn(name, Float, cells); err == nil {
		return c
	}
	if c, err := parseColumn(name, Time, cells); err == nil {
		return c
	}
	c, _ := parseColumn(name, String, cells) // strings always parse
	return c
}

func parseColumn(name string, kind Kind, cells []string) (*Column, error) {
	n := len(cells)
	c := &Column{Name: name, Kind: kind, Null: make([]bool, n)}
	switch kind {
	case Float:
		c.Floats = make([]float64, n)
		for i, s := range cells {
			if IsNullToken(s) {
				c.Null[i] = true
				continue
			}
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return nil, &cellError{row: i, msg: fmt.Sprintf("%q is not a number", s)}
			}
			c.Floats[i] = v
		}
	case String:
		c.Strings = make([]string, n)
		for i, s := range cells {
			if IsNullToken(s) {
				c.Null[i] = true
				continue
			}
			c.Strings[i] = s
		}
	case Time:
		c.Times = make([]time.Time, n)
		for i, s := range cells {
			if IsNullToken(s) {
				c.Null[i] = true
				continue
			}
			t, err := ParseTime(s)
			if err != nil {
				return nil, &cellError{row: i, msg: err.Error()}
			}
			c.Times[i] = t
		}
	default:
		return nil, fmt.Errorf("unknown kind %d", int(kind))
	}
	return c, nil
}
