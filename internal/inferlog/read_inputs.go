package inferlog

import (
	"encoding/binary"
	"math"
	"slices"
	"strconv"
	"sync"
	"unsafe"
)

// Tags say what a row held under a key.
const (
	// Absent: the row has no such key (or is unreadable).
	Absent byte = iota
	// Null is JSON null.
	Null
	Number
	String
	True
	False
	// Nested is an object or an array, which no feature holds.
	Nested
)

// Inputs are a window's logged input rows, parsed: one typed column per
// key that any row holds, in the order of the predictions table.
type Inputs struct {
	// Rows counts the rows, Unreadable those whose input is not a JSON
	// object (a request whose inputs are not a JSON array counts all of
	// its rows).
	Rows, Unreadable int64
	// Columns are sorted by name.
	Columns []*InputColumn
	// Probabilities are the rows' finite probabilities in row order, when
	// read from the log with the inputs (nil otherwise).
	Probabilities []float64
}

// Column finds a key's column; nil when no row holds it.
func (in *Inputs) Column(name string) *InputColumn {
	i, ok := slices.BinarySearchFunc(in.Columns, name, func(c *InputColumn, n string) int {
		switch {
		case c.Name < n:
			return -1
		case c.Name > n:
			return 1
		}
		return 0
	})
	if !ok {
		return nil
	}
	return in.Columns[i]
}

// InputColumn is one key's values, a tag per row.
type InputColumn struct {
	Name string
	// Tags has one entry per row of Inputs.
	Tags []byte
	// Seen counts the rows that hold the key (null included).
	Seen int64
	// vals is per row a Number's float64 bits, or where a String is:
	// the part that parsed it (high bits) and its offset in that part's
	// text, where its length precedes it as a uvarint.
	vals []uint64
	mu   sync.Mutex
	text [][]byte
}

const textOffsetBits = 40

// Float is row i's number (its tag must be Number).
func (c *InputColumn) Float(i int) float64 { return math.Float64frombits(c.vals[i]) }

// Bytes is row i's string (its tag must be String), valid UTF-8; it
// shares the column's memory, so it must not be modified.
func (c *InputColumn) Bytes(i int) []byte {
	v := c.vals[i]
	text := c.text[v>>textOffsetBits]
	off := v & (1<<textOffsetBits - 1)
	n, k := binary.Uvarint(text[off:])
	start := off + uint64(k)
	return text[start : start+n : start+n]
}

// Str is row i's string (its tag must be String); it shares the
// column's memory.
func (c *InputColumn) Str(i int) string {
	b := c.Bytes(i)
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// Text is row i's value as a string column reads it: a string as it is,
// a number as encoding/json writes it, true or false; ok is false for
// null, absent and nested values.
func (c *InputColumn) Text(i int) (string, bool) {
	switch c.Tags[i] {
	case String:
		return c.Str(i), true
	case Number:
		return FormatNumber(c.Float(i)), true
	case True:
		return "true", true
	case False:
		return "false", true
	}
	return "", false
}

// FormatNumber writes v as encoding/json does: the shortest decimal that
// reads back as v, with an exponent only below 1e-6 or from 1e21.
func FormatNumber(v float64) string {
	format := byte('f')
	if a := math.Abs(v); a != 0 && (a < 1e-6 || a >= 1e21) {
		format = 'e'
	}
	b := strconv.AppendFloat(nil, v, format, -1, 64)
	if format == 'e' {
		// e-09 to e-9
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return string(b)
}

// inputSet is the columns being filled: every part writes its own rows
// straight into them, so nothing is merged or copied after.
type inputSet struct {
	rows int
	mu   sync.Mutex
	cols map[string]*InputColumn
	// unreadable is added to by each part when it ends.
	unreadable int64
}

func newInputSet(rows int) *inputSet {
	return &inputSet{rows: rows, cols: map[string]*InputColumn{}}
}

// column finds or adds a key's column.
func (s *inputSet) column(key []byte) *InputColumn {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.cols[string(key)]
	if !ok {
		c = &InputColumn{Name: string(key), Tags: make([]byte, s.rows), vals: make([]uint64, s.rows)}
		s.cols[c.Name] = c
	}
	return c
}

// inputs lists the columns that some row holds, by name.
func (s *inputSet) inputs() *Inputs {
	out := &Inputs{Rows: int64(s.rows), Unreadable: s.unreadable}
	for _, c := range s.cols {
		// A key only a malformed request held has no rows.
		if c.Seen > 0 {
			out.Columns = append(out.Columns, c)
		}
	}
	slices.SortFunc(out.Columns, func(a, b *InputColumn) int {
		switch {
		case a.Name < b.Name:
			return -1
		case a.Name > b.Name:
			return 1
		}
		return 0
	})
	return out
}

// partColumn is what one part wrote to a column.
type partColumn struct {
	c    *InputColumn
	seen int64
	text []byte
}

// inputPart parses a run of rows [row, end) into the set.
type inputPart struct {
	sc   scanner
	set  *inputSet
	seq  uint64
	row  int
	end  int
	bad  int64
	cols map[string]*partColumn
	// order is the previous row's columns by position: rows mostly
	// repeat their keys in the same order, which spares a lookup.
	order []*partColumn
	used  []*partColumn
}

func newInputPart(set *inputSet, seq, row, end int) *inputPart {
	return &inputPart{set: set, seq: uint64(seq), row: row, end: end, cols: map[string]*partColumn{}}
}

// addRequest adds a request's n rows from its logged inputs (a JSON array
// of objects). Rows past the array's end, elements that are not objects,
// and all n rows when the text is not a JSON array (the writer stores
// null for rows it could not align) are unreadable.
func (p *inputPart) addRequest(inputs string, n int) {
	first, bad := p.row, p.bad
	p.sc = scanner{s: inputs, buf: p.sc.buf}
	err := p.array(n)
	if err == nil && !p.sc.atEnd() {
		err = errSyntax
	}
	if err != nil {
		p.undo(first)
		p.bad = bad
	}
	for p.row < first+n {
		p.row++
		p.bad++
	}
}

// addRow adds one row from its input (a JSON object); ok is false for a
// row without one (SQL NULL), which is unreadable.
func (p *inputPart) addRow(input string, ok bool) {
	first := p.row
	if ok {
		p.sc = scanner{s: input, buf: p.sc.buf}
		if err := p.element(true); err == nil && p.sc.atEnd() {
			return
		}
		p.undo(first)
	}
	p.row = first + 1
	p.bad++
}

// undo clears the rows from first on.
func (p *inputPart) undo(first int) {
	for _, pc := range p.used {
		for r := first; r < p.row; r++ {
			if pc.c.Tags[r] != Absent {
				pc.c.Tags[r] = Absent
				pc.seen--
			}
		}
	}
	p.row = first
}

func (p *inputPart) array(n int) error {
	sc := &p.sc
	if sc.peek() != '[' {
		return errSyntax
	}
	sc.pos++
	if sc.peek() == ']' {
		sc.pos++
		return nil
	}
	added := 0
	for {
		if err := p.element(added < n); err != nil {
			return err
		}
		if added < n {
			added++
		}
		switch sc.peek() {
		case ',':
			sc.pos++
		case ']':
			sc.pos++
			return nil
		default:
			return errSyntax
		}
	}
}

// element reads one array element as a row when record is set, else
// only checks its syntax.
func (p *inputPart) element(record bool) error {
	sc := &p.sc
	if !record {
		_, err := sc.skip(1)
		return err
	}
	if p.row >= p.end {
		return errSyntax // more rows than counted: not this log's records
	}
	if sc.peek() != '{' {
		if _, err := sc.skip(1); err != nil {
			return err
		}
		p.row++
		p.bad++
		return nil
	}
	sc.pos++
	row := p.row
	p.row++
	if sc.peek() == '}' {
		sc.pos++
		return nil
	}
	for pos := 0; ; pos++ {
		sc.ws()
		key, err := sc.str()
		if err != nil {
			return err
		}
		pc := p.column(key, pos)
		if err := sc.expect(':'); err != nil {
			return err
		}
		if err := p.value(pc, row); err != nil {
			return err
		}
		switch sc.peek() {
		case ',':
			sc.pos++
		case '}':
			sc.pos++
			return nil
		default:
			return errSyntax
		}
	}
}

// column finds or adds key's column, guessing from the previous row.
func (p *inputPart) column(key []byte, pos int) *partColumn {
	if pos < len(p.order) {
		if pc := p.order[pos]; pc.c.Name == string(key) {
			return pc
		}
	}
	pc, ok := p.cols[string(key)]
	if !ok {
		pc = &partColumn{c: p.set.column(key)}
		p.cols[pc.c.Name] = pc
		p.used = append(p.used, pc)
	}
	if pos < len(p.order) {
		p.order[pos] = pc
	} else {
		p.order = append(p.order, pc)
	}
	return pc
}

// value reads the value of pc in row; a key repeated in a row keeps its
// last value, as encoding/json does.
func (p *inputPart) value(pc *partColumn, row int) error {
	sc := &p.sc
	c := pc.c
	var tag byte
	var val uint64
	switch sc.peek() {
	case '"':
		b, err := sc.str()
		if err != nil {
			return err
		}
		if pc.text == nil {
			// Room for the part's rows at about this length.
			pc.text = make([]byte, 0, (p.end-p.row+1)*(len(b)+2))
		}
		tag, val = String, p.seq<<textOffsetBits|uint64(len(pc.text))
		pc.text = binary.AppendUvarint(pc.text, uint64(len(b)))
		pc.text = append(pc.text, b...)
	case 't':
		tag = True
		if err := sc.literal("true"); err != nil {
			return err
		}
	case 'f':
		tag = False
		if err := sc.literal("false"); err != nil {
			return err
		}
	case 'n':
		tag = Null
		if err := sc.literal("null"); err != nil {
			return err
		}
	case '{', '[':
		tag = Nested
		if _, err := sc.skip(1); err != nil {
			return err
		}
	default:
		v, _, err := sc.number()
		if err != nil {
			return err
		}
		tag, val = Number, math.Float64bits(v)
	}
	if c.Tags[row] == Absent {
		pc.seen++
	}
	c.Tags[row], c.vals[row] = tag, val
	return nil
}

// finish hands the part's counts and text to the set.
func (p *inputPart) finish() {
	for _, pc := range p.used {
		c := pc.c
		c.mu.Lock()
		c.Seen += pc.seen
		if pc.text != nil {
			for uint64(len(c.text)) <= p.seq {
				c.text = append(c.text, nil)
			}
			c.text[p.seq] = pc.text
		}
		c.mu.Unlock()
	}
	p.set.mu.Lock()
	p.set.unreadable += p.bad
	p.set.mu.Unlock()
}
