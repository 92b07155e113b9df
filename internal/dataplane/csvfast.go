package dataplane

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"
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
	if merged, ok, err := scanHalves(r, src, s); err != nil || ok {
		return merged, err
	}
	if _, err := r.Seek(s.dataOffset, io.SeekStart); err != nil {
		return nil, fmt.Errorf("%s: seek: %w", src, err)
	}
	if _, err := scanRegion(r, src, s); err != nil {
		return nil, err
	}
	return s.done(src)
}

// done ends a scan whose every record went through the fast tokenizer.
func (s *csvScan) done(src string) (*csvScan, error) {
	for i := range s.cols {
		c := &s.cols[i]
		if c.firstBad != nil || c.nonFinite != nil || c.exotic != nil {
			return nil, errSlowPath
		}
	}
	s.fast, s.plain = true, true
	for i := range s.cols {
		if c := &s.cols[i]; c.kind() == frame.Time && c.oddTime {
			s.plain = false
		}
	}
	return s.finish(src)
}

// splitAt is the data size from which scanHalves reads a file's two
// halves at once: below it one pass is quick enough. Tests lower it.
var splitAt int64 = 8 << 20

// scanHalves types a large file's data in two halves at once, split at a
// line end, and merges them into s: the same kinds, counts and samples as
// one pass, so it is used only where the merge is exact. A half holding a
// quote (a quoted field may hold the line end split at), or a sample the
// first half leaves room for, is given up (false), and the caller reads
// the file in one pass.
func scanHalves(r io.ReadSeeker, src string, s *csvScan) (*csvScan, bool, error) {
	ra, ok := r.(io.ReaderAt)
	if !ok {
		return nil, false, nil
	}
	size, err := r.Seek(0, io.SeekEnd)
	if err != nil {
		return nil, false, fmt.Errorf("%s: seek: %w", src, err)
	}
	if size-s.dataOffset < splitAt {
		return nil, false, nil
	}
	// The split is just after the first line end past the middle.
	mid := s.dataOffset + (size-s.dataOffset)/2
	probe := make([]byte, 1<<16)
	n, err := ra.ReadAt(probe, mid)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, false, fmt.Errorf("%s: read: %w", src, err)
	}
	nl := bytes.IndexByte(probe[:n], '\n')
	if nl < 0 {
		return nil, false, nil
	}
	split := mid + int64(nl) + 1
	halves := [2]*csvScan{s.fresh(), s.fresh()}
	regions := [2][2]int64{{s.dataOffset, split}, {split, size}}
	var quoted [2]bool
	var errs [2]error
	var wg sync.WaitGroup
	for h := range halves {
		wg.Add(1)
		go func() {
			defer wg.Done()
			from, to := regions[h][0], regions[h][1]
			quoted[h], errs[h] = scanRegion(io.NewSectionReader(ra, from, to-from), src, halves[h])
		}()
	}
	wg.Wait()
	if quoted[0] || quoted[1] || errs[0] != nil || errs[1] != nil {
		// A quote, or something only the exact reader reads: one pass
		// decides, as it would have without the split.
		return nil, false, nil
	}
	a, b := halves[0], halves[1]
	for i := range a.cols {
		ca, cb := &a.cols[i], &b.cols[i]
		if len(cb.wordSample) > 0 && len(ca.wordSample) < frame.MaxShown {
			return nil, false, nil // the sample would need the second half's rows, numbered in the whole file
		}
		// One pass notes a number's oddities only while the column may
		// still be a number, and a time's only while it may be a time:
		// the second half's count only if the first half left it so.
		if !ca.notFloat {
			ca.underscores = ca.underscores || cb.underscores
			ca.nonFiniteN += cb.nonFiniteN
			if ca.nonFinite == nil {
				ca.nonFinite = cb.nonFinite
			}
			if ca.exotic == nil {
				ca.exotic = cb.exotic
			}
		}
		if !ca.notTime {
			ca.oddTime = ca.oddTime || cb.oddTime
		}
		if ca.firstBad == nil {
			ca.firstBad = cb.firstBad
		}
		ca.notFloat = ca.notFloat || cb.notFloat
		ca.notTime = ca.notTime || cb.notTime
		ca.numbers += cb.numbers
		ca.words += cb.words
	}
	a.rows += b.rows
	merged, err := a.done(src)
	if errors.Is(err, errSlowPath) {
		// A cell one half flagged may be one that one pass would not
		// have looked at: one pass decides.
		return nil, false, nil
	}
	return merged, err == nil, err
}

// fresh is s as its header left it, before any data record: a half's
// own scan.
func (s *csvScan) fresh() *csvScan {
	h := *s
	h.cols = make([]colScan, len(s.cols))
	for i, c := range s.cols {
		h.cols[i] = colScan{forced: c.forced, forceKind: c.forceKind}
	}
	h.rows = 0
	return &h
}

// scanRegion reads the data records r holds into s's columns and row
// count, and says whether they held a quote character. errSlowPath: a
// record outside the fast tokenizer's subset.
func scanRegion(r io.Reader, src string, s *csvScan) (quoted bool, err error) {
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
			return quoted, errSlowPath
		case recEnd:
			s.rows = row
			return quoted, nil
		case recMore:
			// Keep the partial record, then read on; a record longer
			// than the buffer grows it.
			copy(buf, buf[pos:n])
			n, pos = n-pos, 0
			if n == len(buf) {
				buf = append(buf, make([]byte, len(buf))...)
			}
			m, err := io.ReadFull(r, buf[n:])
			quoted = quoted || bytes.IndexByte(buf[n:n+m], '"') >= 0
			n += m
			switch {
			case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
				atEOF = true
			case err != nil:
				return quoted, fmt.Errorf("%s: read: %w", src, err)
			}
			continue
		}
		rec := buf[pos : pos+used]
		pos += used
		if len(fields) != len(s.cols) || !utf8.Valid(rec) {
			return quoted, errSlowPath
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
