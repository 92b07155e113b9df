package dataplane

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
	"unsafe"

	"github.com/mlpipe/mlpipe/internal/frame"
)

// errSlowPath says the fast tokenizer met something it does not read the
// way encoding/csv does; the file is then read again by scanCSVExact.
var errSlowPath = errors.New("dataplane: the CSV needs Go's CSV reader")

// scanCSVFast types a CSV as scanCSVExact does, several times faster: a
// byte tokenizer that accepts only the plain subset of CSV on which it,
// encoding/csv and DuckDB split records alike (every record has the
// header's field count; a quote opens and closes a whole field and is
// doubled inside it; lines end in LF or CRLF outside quotes and no other
// carriage return appears; no blank line; valid UTF-8). Its cells go to the
// same colScan.see in the same order, so the kinds, counts and samples are
// scanCSVExact's by construction. Anything outside that subset, and any
// cell that would make an error (whose message needs the exact line),
// returns errSlowPath.
func scanCSVFast(r io.ReadSeeker, src string, delim rune, types map[string]frame.Kind) (*csvScan, error) {
	s, _, err := scanHeader(r, src, delim, types)
	if err != nil {
		return nil, err
	}
	if s.delim >= utf8.RuneSelf || s.delim == '"' || s.delim == '\r' || s.delim == '\n' {
		return nil, errSlowPath
	}
	if _, err := r.Seek(s.dataOffset, io.SeekStart); err != nil {
		return nil, fmt.Errorf("%s: seek: %w", src, err)
	}
	t := tokenizer{delim: byte(s.delim)}
	buf := make([]byte, 1<<20)
	var (
		n, pos  int
		atEOF   bool
		fields  = make([]span, 0, len(s.cols))
		scratch []byte
		row     int64
	)
	for {
		var used int
		var st recState
		fields, used, st = t.next(buf[pos:n], atEOF, fields)
		switch st {
		case recBail:
			return nil, errSlowPath
		case recEnd:
			for i := range s.cols {
				c := &s.cols[i]
				if c.firstBad != nil || c.nonFinite != nil || c.exotic != nil {
					return nil, errSlowPath
				}
			}
			s.rows, s.fast, s.plain = row, true, true
			for i := range s.cols {
				if c := &s.cols[i]; c.kind() == frame.Time && c.oddTime {
					s.plain = false
				}
			}
			return s.finish(src)
		case recMore:
			// Keep the partial record, then read on; a record longer
			// than the buffer grows it.
			copy(buf, buf[pos:n])
			n, pos = n-pos, 0
			if n == len(buf) {
				buf = append(buf, make([]byte, len(buf))...)
			}
			m, err := io.ReadFull(r, buf[n:])
			n += m
			switch {
			case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
				atEOF = true
			case err != nil:
				return nil, fmt.Errorf("%s: read: %w", src, err)
			}
			continue
		}
		rec := buf[pos : pos+used]
		pos += used
		if len(fields) != len(s.cols) || !utf8.Valid(rec) {
			return nil, errSlowPath
		}
		row++
		for i, f := range fields {
			cell := rec[f.start:f.end]
			if f.escaped {
				scratch = unescapeQuotes(scratch[:0], cell)
				cell = scratch
			}
			// The cell is only read during the call (see copies what
			// it keeps), so it need not be copied out of the buffer.
			v := unsafe.String(unsafe.SliceData(cell), len(cell))
			if frame.IsNullToken(v) {
				continue
			}
			c := &s.cols[i]
			c.see(v, row, 0)
			if !c.notTime && !c.oddTime && !plainTime(v) {
				c.oddTime = true
			}
		}
	}
}

// span is one field of a record: its content's bytes (inside the quotes
// of a quoted field), and whether it holds doubled quotes.
type span struct {
	start, end int
	escaped    bool
}

type recState int

const (
	recDone recState = iota // a record was read
	recMore                 // the buffer ends inside a record: read more
	recEnd                  // no record left
	recBail                 // outside the plain subset: use the exact reader
)

type tokenizer struct {
	delim byte
}

// next reads one record from the start of b into fields. atEOF says b ends
// the file.
func (t *tokenizer) next(b []byte, atEOF bool, fields []span) ([]span, int, recState) {
	fields = fields[:0]
	n := len(b)
	if n == 0 {
		if atEOF {
			return fields, 0, recEnd
		}
		return fields, 0, recMore
	}
	if b[0] == '\n' || b[0] == '\r' {
		// A blank line, which encoding/csv skips and DuckDB may not, or a
		// carriage return of its own.
		return fields, 0, recBail
	}
	delim := t.delim
	i := 0
	for {
		if i == n {
			// The file ends right after a delimiter: an empty last field.
			if !atEOF {
				return fields, 0, recMore
			}
			return append(fields, span{start: i, end: i}), i, recDone
		}
		if b[i] == '"' {
			j, esc := i+1, false
			for {
				k := bytes.IndexByte(b[j:], '"')
				if k < 0 {
					if atEOF {
						return fields, 0, recBail // an unterminated quote
					}
					return fields, 0, recMore
				}
				j += k
				if j+1 == n && !atEOF {
					return fields, 0, recMore // "" may straddle the buffer's end
				}
				if j+1 < n && b[j+1] == '"' {
					esc, j = true, j+2
					continue
				}
				break
			}
			if bytes.IndexByte(b[i+1:j], '\r') >= 0 {
				// encoding/csv turns CRLF inside quotes into LF.
				return fields, 0, recBail
			}
			fields = append(fields, span{start: i + 1, end: j, escaped: esc})
			i = j + 1
			if i == n {
				return fields, i, recDone // atEOF, checked above
			}
			switch b[i] {
			case delim:
				i++
				continue
			case '\n':
				return fields, i + 1, recDone
			case '\r':
				return t.crlf(b, i, atEOF, fields)
			}
			return fields, 0, recBail // text after a closing quote
		}
		j := i
		for j < n {
			c := b[j]
			if c == delim || c == '\n' || c == '\r' || c == '"' {
				break
			}
			j++
		}
		if j == n {
			if !atEOF {
				return fields, 0, recMore
			}
			return append(fields, span{start: i, end: j}), j, recDone
		}
		switch b[j] {
		case '"':
			return fields, 0, recBail // a bare quote
		case delim:
			fields = append(fields, span{start: i, end: j})
			i = j + 1
			continue
		case '\n':
			return append(fields, span{start: i, end: j}), j + 1, recDone
		}
		fields = append(fields, span{start: i, end: j})
		return t.crlf(b, j, atEOF, fields)
	}
}

// crlf ends a record at the carriage return b[i], which must start a CRLF.
func (t *tokenizer) crlf(b []byte, i int, atEOF bool, fields []span) ([]span, int, recState) {
	switch {
	case i+1 < len(b) && b[i+1] == '\n':
		return fields, i + 2, recDone
	case i+1 == len(b) && !atEOF:
		return fields, 0, recMore
	}
	return fields, 0, recBail
}

// unescapeQuotes appends cell to dst with each doubled quote made one.
func unescapeQuotes(dst, cell []byte) []byte {
	for i := 0; i < len(cell); i++ {
		dst = append(dst, cell[i])
		if cell[i] == '"' {
			i++
		}
	}
	return dst
}

// plainTime says a time frame.ParseTime reads is spelled as DuckDB's
// TIMESTAMPTZ reader reads it to the same instant: 2006-01-02, then
// optionally T or a space, 15:04:05, a fraction of 1 to 9 digits after a
// dot, and Z or an offset ±07:00. Other spellings Go reads (a comma before
// the fraction, a lower-case t or z) are read through a cast instead.
func plainTime(v string) bool {
	digits := func(s string) bool {
		for i := 0; i < len(s); i++ {
			if s[i] < '0' || s[i] > '9' {
				return false
			}
		}
		return true
	}
	if len(v) < 10 || !digits(v[0:4]) || v[4] != '-' || !digits(v[5:7]) || v[7] != '-' || !digits(v[8:10]) {
		return false
	}
	if len(v) == 10 {
		return true
	}
	if len(v) < 19 || (v[10] != 'T' && v[10] != ' ') || !digits(v[11:13]) || v[13] != ':' || !digits(v[14:16]) || v[16] != ':' || !digits(v[17:19]) {
		return false
	}
	rest := v[19:]
	if len(rest) > 0 && rest[0] == '.' {
		n := 1
		for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
			n++
		}
		if n == 1 || n > 10 {
			return false
		}
		rest = rest[n:]
	}
	switch {
	case rest == "", rest == "Z":
		return true
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && digits(rest[1:3]) && rest[3] == ':' && digits(rest[4:6]):
		return true
	}
	return false
}
