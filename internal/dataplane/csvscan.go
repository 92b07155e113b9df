package dataplane

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/mlpipe/mlpipe/internal/frame"
)

// csvScan is what one streaming pass over a CSV learned: the header, each
// column's kind by frame.ReadCSV's rules, and the row count. It keeps a few
// counters per column, never the cells, so any size of file scans in
// constant memory. A plain file is read by the fast tokenizer (csvfast.go),
// any other by the same parser as frame.ReadCSV, so rows, lines and
// messages are the ones frame.ReadCSV gives.
type csvScan struct {
	delim rune
	bom   bool
	// skip counts the blank lines before the header.
	skip int
	// dataOffset is the byte offset of the first data record.
	dataOffset int64
	// fast says the fast tokenizer read the file (csvfast.go).
	fast bool
	// plain says DuckDB's typed reader reads every cell as mlpipe's rules
	// do: read fast, and every time in a time column spelled as plainTime
	// says.
	plain bool
	names []string
	cols  []colScan
	rows  int64
}

// colScan types one column as frame.ReadCSV's inferColumn does: float if
// every non-null cell is a number (a non-finite one is then an error),
// else time if every one parses with frame.ParseTime, else string.
type colScan struct {
	forced    bool
	forceKind frame.Kind

	notFloat bool
	notTime  bool
	// firstBad is the first cell that broke the forced kind.
	firstBad *cellIssue
	// nonFinite is the first infinite or NaN number, counted in nonFiniteN.
	nonFinite  *cellIssue
	nonFiniteN int
	// exotic is the first number Go reads that DuckDB does not (a
	// hexadecimal float): it cannot be typed the same way twice.
	exotic *cellIssue
	// underscores marks a number column with digits grouped by "_".
	underscores bool
	// oddTime marks a time spelled otherwise than plainTime allows.
	oddTime bool

	// numbers and words count the non-null cells that are and are not
	// numbers; wordSample keeps the first few words, for NotNumbers.
	numbers, words int64
	wordSample     []string
}

type cellIssue struct {
	row, line int64
	msg       string
}

// kind is the column's kind once every row has been seen.
func (c *colScan) kind() frame.Kind {
	switch {
	case c.forced:
		return c.forceKind
	case !c.notFloat:
		return frame.Float
	case !c.notTime:
		return frame.Time
	}
	return frame.String
}

// notNumbers is frame.NotNumbers' explanation for a string column most
// of whose cells are numbers.
func (c *colScan) notNumbers() string {
	if c.kind() != frame.String || c.numbers == 0 || c.words == 0 {
		return ""
	}
	more := ""
	if c.words > int64(len(c.wordSample)) {
		more = ", ..."
	}
	return fmt.Sprintf("%d of its %d values are not numbers (%s%s); if they mean missing, write them as %s",
		c.words, c.words+c.numbers, strings.Join(c.wordSample, ", "), more, frame.NullTokensText)
}

var (
	bomUTF8    = []byte("\ufeff")
	bomUTF16LE = []byte{0xff, 0xfe}
	bomUTF16BE = []byte{0xfe, 0xff}
)

// scanCSV reads r once, checking it as frame.ReadCSV does and typing its
// columns. delim 0 sniffs the delimiter from the header line. A file that
// the fast tokenizer (csvfast.go) reads exactly as encoding/csv would is
// typed by it; any other is read again from the start by encoding/csv, so
// every error is the one frame.ReadCSV gives.
func scanCSV(r io.ReadSeeker, src string, delim rune, types map[string]frame.Kind) (*csvScan, error) {
	s, err := scanCSVFast(r, src, delim, types)
	if !errors.Is(err, errSlowPath) {
		return s, err
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("%s: rewind: %w", src, err)
	}
	return scanCSVExact(r, src, delim, types)
}

// scanCSVExact is scanCSV with Go's CSV reader, the reference every other
// reading of a CSV must agree with.
func scanCSVExact(r io.Reader, src string, delim rune, types map[string]frame.Kind) (*csvScan, error) {
	s, cr, err := scanHeader(r, src, delim, types)
	if err != nil {
		return nil, err
	}
	for row := int64(1); ; row++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, frame.ReadError(src, fmt.Sprintf("row %d", row), err)
		}
		l, _ := cr.FieldPos(0)
		line := int64(l)
		if len(rec) != len(s.names) {
			return nil, frame.DataErrorf("%s: row %d (line %d): has %d fields, header has %d (%s): check its commas and quotes",
				src, row, line, len(rec), len(s.names), strings.Join(s.names, ", "))
		}
		for i, v := range rec {
			if !utf8.ValidString(v) {
				return nil, frame.DataErrorf("%s: row %d (line %d), column %q: %s", src, row, line, s.names[i], frame.NotUTF8Text(v))
			}
			if strings.IndexByte(v, '\r') >= 0 {
				return nil, loneCR(src, fmt.Sprintf("row %d (line %d), column %q", row, line, s.names[i]))
			}
			if !frame.IsNullToken(v) {
				s.cols[i].see(v, row, line)
			}
		}
		s.rows = row
	}

	return s.finish(src)
}

// scanHeader reads the byte-order mark, sniffs the delimiter and reads and
// checks the header, leaving cr at the first data record.
func scanHeader(r io.Reader, src string, delim rune, types map[string]frame.Kind) (*csvScan, *csv.Reader, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	s := &csvScan{}
	head, err := br.Peek(3)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, nil, fmt.Errorf("%s: read: %w", src, err)
	}
	switch {
	case bytes.HasPrefix(head, bomUTF8):
		s.bom = true
		if _, err := br.Discard(len(bomUTF8)); err != nil {
			return nil, nil, fmt.Errorf("%s: read: %w", src, err)
		}
	case bytes.HasPrefix(head, bomUTF16LE), bytes.HasPrefix(head, bomUTF16BE):
		return nil, nil, frame.DataErrorf("%s: the file is UTF-16 (it starts with a UTF-16 byte-order mark); re-save it as UTF-8 (in Excel: CSV UTF-8)", src)
	}
	if delim == 0 {
		first, _ := br.Peek(br.Size())
		delim = sniffDelimiter(first)
	}
	s.delim = delim
	cr := csv.NewReader(br)
	cr.Comma = delim
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1

	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, nil, frame.DataErrorf("%s: empty file: the first line must be a header naming the columns", src)
	}
	if err != nil {
		return nil, nil, frame.ReadError(src, "header", err)
	}
	s.dataOffset = cr.InputOffset()
	if s.bom {
		s.dataOffset += int64(len(bomUTF8))
	}
	// Go's reader skips blank lines before the header; DuckDB must too.
	hl, _ := cr.FieldPos(0)
	s.skip = hl - 1
	s.names = make([]string, len(header))
	seen := make(map[string]int, len(header))
	for i, h := range header {
		h = strings.TrimSpace(h)
		if !utf8.ValidString(h) {
			return nil, nil, frame.DataErrorf("%s: header: column %d's name %s", src, i+1, frame.NotUTF8Text(h))
		}
		if h == "" {
			hint := ""
			if i == len(header)-1 {
				hint = " (a trailing comma on the header line?)"
			}
			return nil, nil, frame.DataErrorf("%s: header: column %d has no name%s: every column needs one", src, i+1, hint)
		}
		if j, dup := seen[h]; dup {
			return nil, nil, frame.DataErrorf("%s: header: column %q appears twice (columns %d and %d): rename one", src, h, j+1, i+1)
		}
		seen[h] = i
		s.names[i] = h
	}
	folded := make(map[string]int, len(s.names))
	for i, h := range s.names {
		// SQL names ignore case, so the engine cannot hold both.
		if j, dup := folded[strings.ToLower(h)]; dup {
			return nil, nil, frame.DataErrorf("%s: header: columns %q and %q (columns %d and %d) differ only in case: rename one", src, s.names[j], h, j+1, i+1)
		}
		folded[strings.ToLower(h)] = i
		if strings.IndexByte(h, '\r') >= 0 {
			return nil, nil, loneCR(src, fmt.Sprintf("header, column %d", i+1))
		}
		if strings.ContainsRune(h, 0) {
			// SQL identifiers end at a NUL byte.
			return nil, nil, frame.DataErrorf("%s: header: column %d's name %q has a NUL byte (\\x00) in it: remove it", src, i+1, h)
		}
	}
	s.cols = make([]colScan, len(s.names))
	for name, k := range types {
		i, ok := seen[name]
		if !ok {
			return nil, nil, fmt.Errorf("%s: types names column %q, which is not in the header (%s)", src, name, strings.Join(s.names, ", "))
		}
		s.cols[i].forced, s.cols[i].forceKind = true, k
	}

	return s, cr, nil
}

// finish turns the columns' issues into the first error, in column order,
// as frame.ReadCSV types one column after another.
func (s *csvScan) finish(src string) (*csvScan, error) {
	for i := range s.cols {
		c := &s.cols[i]
		var bad *cellIssue
		why := ""
		switch k := c.kind(); {
		case c.forced && c.firstBad != nil:
			bad, why = c.firstBad, fmt.Sprintf(" (forced to %s by types)", k)
		case k == frame.Float && c.nonFinite != nil:
			bad = c.nonFinite
			if c.nonFiniteN > 1 {
				bad.msg += fmt.Sprintf(" (%d cells like it in this column; the first is shown)", c.nonFiniteN)
			}
			if c.forced {
				why = fmt.Sprintf(" (forced to %s by types)", k)
			}
		case k == frame.Float && c.exotic != nil:
			bad = c.exotic
		}
		if bad != nil {
			return nil, frame.DataErrorf("%s: row %d (line %d), column %q: %s%s", src, bad.row, bad.line, s.names[i], bad.msg, why)
		}
	}
	return s, nil
}

// see takes one non-null cell into the column's typing.
func (c *colScan) see(v string, row, line int64) {
	isNum, finite, simple := classifyNumber(v)
	if isNum {
		c.numbers++
	} else {
		if c.words++; len(c.wordSample) < frame.MaxShown {
			c.wordSample = append(c.wordSample, fmt.Sprintf("row %d %q", row, v))
		}
	}
	checkFloat := !c.notFloat && (!c.forced || c.forceKind == frame.Float)
	if checkFloat {
		switch {
		case !isNum:
			c.notFloat = true
			if c.forced && c.firstBad == nil {
				c.firstBad = &cellIssue{row: row, line: line, msg: fmt.Sprintf("%q is not a number", v)}
			}
		case !finite:
			if c.nonFiniteN++; c.nonFinite == nil {
				f, _ := strconv.ParseFloat(v, 64)
				c.nonFinite = &cellIssue{row: row, line: line, msg: frame.NonFiniteText(v, f)}
			}
		case !simple && strings.ContainsAny(v, "xX"):
			if c.exotic == nil {
				c.exotic = &cellIssue{row: row, line: line, msg: fmt.Sprintf("%q is a hexadecimal number: write it in decimal", v)}
			}
		case !simple:
			// Go reads digits grouped by underscores (1_000); SQL does
			// once they are removed.
			c.underscores = true
		}
	}
	// A number never passes ParseTime's shape check, so a column with one
	// is not time; that saves parsing numbers twice.
	if !c.notTime && (!c.forced || c.forceKind == frame.Time) {
		if isNum && !c.forced {
			c.notTime = true
		} else if _, err := frame.ParseTime(v); err != nil {
			c.notTime = true
			if c.forced && c.firstBad == nil {
				c.firstBad = &cellIssue{row: row, line: line, msg: err.Error()}
			}
		}
	}
}
