package inferlog

import (
	"errors"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// The logged inputs are a JSON array of flat objects per request: one
// scan in Go types them far faster than a general JSON decoder (no maps,
// no interfaces, no per-value allocation). Anything not flat (an object
// or array as a value) is recorded as Nested, not decoded.

// errSyntax is any malformed JSON; the caller counts the request's rows
// unreadable.
var errSyntax = errors.New("malformed JSON")

// maxNesting bounds how deep a nested value is skipped, so that a
// hostile input cannot exhaust the stack.
const maxNesting = 1000

// scanner reads one JSON text.
type scanner struct {
	s   string
	pos int
	// buf holds an unescaped string until it is stored.
	buf []byte
}

func (sc *scanner) ws() {
	for sc.pos < len(sc.s) {
		switch sc.s[sc.pos] {
		case ' ', '\t', '\n', '\r':
			sc.pos++
		default:
			return
		}
	}
}

// peek is the next byte after white space, or 0 at the end.
func (sc *scanner) peek() byte {
	sc.ws()
	if sc.pos < len(sc.s) {
		return sc.s[sc.pos]
	}
	return 0
}

// atEnd says whether only white space is left.
func (sc *scanner) atEnd() bool {
	sc.ws()
	return sc.pos >= len(sc.s)
}

func (sc *scanner) expect(c byte) error {
	if sc.peek() != c {
		return errSyntax
	}
	sc.pos++
	return nil
}

func (sc *scanner) literal(word string) error {
	if len(sc.s)-sc.pos < len(word) || sc.s[sc.pos:sc.pos+len(word)] != word {
		return errSyntax
	}
	sc.pos += len(word)
	return nil
}

// str reads a string at pos (its opening quote). It returns the string's
// bytes: a slice of the input when it holds no escape and is valid UTF-8,
// else sc.buf unescaped, lone surrogates and invalid bytes replaced by
// U+FFFD. The result is valid until the next call.
func (sc *scanner) str() ([]byte, error) {
	if sc.pos >= len(sc.s) || sc.s[sc.pos] != '"' {
		return nil, errSyntax
	}
	start := sc.pos + 1
	i := start
	for i < len(sc.s) {
		c := sc.s[i]
		switch {
		case c == '"':
			sc.pos = i + 1
			return unsafe.Slice(unsafe.StringData(sc.s[start:]), i-start), nil
		case c == '\\' || c >= utf8.RuneSelf:
			return sc.slowStr(start)
		case c < 0x20:
			return nil, errSyntax
		}
		i++
	}
	return nil, errSyntax
}

func (sc *scanner) slowStr(start int) ([]byte, error) {
	b := sc.buf[:0]
	i := start
	for i < len(sc.s) {
		c := sc.s[i]
		switch {
		case c == '"':
			sc.pos = i + 1
			sc.buf = b
			return b, nil
		case c < 0x20:
			return nil, errSyntax
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRuneInString(sc.s[i:])
			if r == utf8.RuneError && size == 1 {
				b = utf8.AppendRune(b, utf8.RuneError)
			} else {
				b = append(b, sc.s[i:i+size]...)
			}
			i += size
			continue
		case c != '\\':
			b = append(b, c)
			i++
			continue
		}
		if i+1 >= len(sc.s) {
			return nil, errSyntax
		}
		e := sc.s[i+1]
		i += 2
		switch e {
		case '"', '\\', '/':
			b = append(b, e)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r, ok := hex4(sc.s, i)
			if !ok {
				return nil, errSyntax
			}
			i += 4
			if utf16.IsSurrogate(r) {
				// A pair is two escapes; anything else leaves a lone
				// surrogate, which is not a character.
				if r2, ok := hex4(sc.s, i+2); ok && i+1 < len(sc.s) && sc.s[i] == '\\' && sc.s[i+1] == 'u' {
					if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
						r = d
						i += 6
					} else {
						r = utf8.RuneError
					}
				} else {
					r = utf8.RuneError
				}
			}
			b = utf8.AppendRune(b, r)
		default:
			return nil, errSyntax
		}
	}
	return nil, errSyntax
}

func hex4(s string, i int) (rune, bool) {
	if i < 0 || i+4 > len(s) {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[i : i+4]) {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// number reads a number at pos by JSON's grammar. A number beyond
// float64's range reads as ±Inf, which the drift and range checks count
// as not finite.
func (sc *scanner) number() (float64, string, error) {
	start, i := sc.pos, sc.pos
	s := sc.s
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	default:
		return 0, "", errSyntax
	}
	if i < len(s) && s[i] == '.' {
		i++
		d := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == d {
			return 0, "", errSyntax
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		d := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == d {
			return 0, "", errSyntax
		}
	}
	text := s[start:i]
	sc.pos = i
	v, err := strconv.ParseFloat(text, 64)
	if err != nil {
		var ne *strconv.NumError
		if !errors.As(err, &ne) || ne.Err != strconv.ErrRange {
			return 0, "", errSyntax
		}
	}
	return v, text, nil
}

// skip reads any value, checking its syntax, and says whether it was an
// object or array.
func (sc *scanner) skip(depth int) (nested bool, err error) {
	switch sc.peek() {
	case '"':
		_, err := sc.str()
		return false, err
	case 't':
		return false, sc.literal("true")
	case 'f':
		return false, sc.literal("false")
	case 'n':
		return false, sc.literal("null")
	case '{':
		if depth >= maxNesting {
			return true, errSyntax
		}
		sc.pos++
		if sc.peek() == '}' {
			sc.pos++
			return true, nil
		}
		for {
			sc.ws()
			if _, err := sc.str(); err != nil {
				return true, err
			}
			if err := sc.expect(':'); err != nil {
				return true, err
			}
			if _, err := sc.skip(depth + 1); err != nil {
				return true, err
			}
			switch sc.peek() {
			case ',':
				sc.pos++
			case '}':
				sc.pos++
				return true, nil
			default:
				return true, errSyntax
			}
		}
	case '[':
		if depth >= maxNesting {
			return true, errSyntax
		}
		sc.pos++
		if sc.peek() == ']' {
			sc.pos++
			return true, nil
		}
		for {
			if _, err := sc.skip(depth + 1); err != nil {
				return true, err
			}
			switch sc.peek() {
			case ',':
				sc.pos++
			case ']':
				sc.pos++
				return true, nil
			default:
				return true, errSyntax
			}
		}
	default:
		if _, _, err := sc.number(); err != nil {
			return false, err
		}
		return false, nil
	}
}

// errRowCount is a log whose records changed while they were read.
var errRowCount = errors.New("the records' row counts changed while they were read")
