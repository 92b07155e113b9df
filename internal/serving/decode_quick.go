package serving

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// The quick path decodes the common /v1 body, a small object whose rows
// are flat objects of strings, numbers, booleans and null, in one pass
// over bytes already read, about five times faster than encoding/json's
// Decoder. It takes only what it is sure of: the first thing it does not
// expect (an escape it cannot copy, a nested value, a syntax error, a row
// over the limits) makes it give up, and decodeStream decodes the same
// bytes, so that every error and message stays the streaming decoder's.
// Its rows are exactly encoding/json's: numbers through strconv.ParseFloat,
// strings with escapes or invalid UTF-8 through encoding/json itself, a
// repeated key's last value kept. FuzzQuickDecodeMatchesStream holds it so.

// decodeQuick decodes data as decodeStream would; false means it did not
// and decodeStream must.
func (g *Gateway) decodeQuick(data []byte, hold *rowHold) (predictBody, bool) {
	return quickPredict(data, hold, g.opts.MaxRowsPerRequest, g.ilog != nil)
}

func quickPredict(data []byte, hold *rowHold, maxRows int, keep bool) (predictBody, bool) {
	out := predictBody{strict: true}
	q := quick{b: data}
	q.space()
	if !q.eat('{') {
		return out, false
	}
	seen := false
	for {
		q.space()
		key, ok := q.plainString()
		if !ok {
			return out, false
		}
		q.space()
		if !q.eat(':') {
			return out, false
		}
		q.space()
		switch string(key) {
		case "instances", "rows":
			if seen {
				return out, false
			}
			seen = true
			if out.rows, out.raw, ok = q.rowList(hold, maxRows, keep); !ok {
				return out, false
			}
		case "strict":
			switch {
			case q.literal("true"):
				out.strict = true
			case q.literal("false"):
				out.strict = false
			default:
				return out, false
			}
		default:
			return out, false
		}
		q.space()
		if q.eat('}') {
			// What follows the object is not read, as decodeStream does not.
			return out, seen
		}
		if !q.eat(',') {
			return out, false
		}
	}
}

// quick is a cursor over a body. keys and vals remember the previous
// row's keys and values by position, with the bytes they were decoded
// from: rows of one request mostly repeat their keys, and often their
// categories, and one decoded (and boxed) value then serves them all.
type quick struct {
	b    []byte
	i    int
	keys []memo[string]
	vals []memo[any]
}

type memo[T any] struct {
	raw []byte
	v   T
}

func (q *quick) space() {
	for q.i < len(q.b) {
		switch q.b[q.i] {
		case ' ', '\t', '\n', '\r':
			q.i++
		default:
			return
		}
	}
}

func (q *quick) eat(c byte) bool {
	if q.i < len(q.b) && q.b[q.i] == c {
		q.i++
		return true
	}
	return false
}

func (q *quick) literal(s string) bool {
	if bytes.HasPrefix(q.b[q.i:], []byte(s)) {
		q.i += len(s)
		return true
	}
	return false
}

// rowList reads a non-empty list of row objects and, when keep is set,
// their bytes as one JSON array, as decodeRows keeps them.
func (q *quick) rowList(hold *rowHold, maxRows int, keep bool) ([]map[string]any, []byte, bool) {
	if !q.eat('[') {
		return nil, nil, false
	}
	var rows []map[string]any
	var raw []byte
	for {
		q.space()
		i := len(rows)
		if i == maxRows || !hold.cover(i+1) {
			return nil, nil, false
		}
		start := q.i
		row, ok := q.row()
		if !ok {
			return nil, nil, false
		}
		rows = append(rows, row)
		if keep {
			if raw == nil {
				raw = append(make([]byte, 0, len(q.b)-start+1), '[')
			} else {
				raw = append(raw, ',')
			}
			raw = append(raw, q.b[start:q.i]...)
		}
		q.space()
		if q.eat(']') {
			if keep {
				raw = append(raw, ']')
			}
			return rows, raw, true
		}
		if !q.eat(',') {
			return nil, nil, false
		}
	}
}

// row reads one flat object.
func (q *quick) row() (map[string]any, bool) {
	if !q.eat('{') {
		return nil, false
	}
	m := make(map[string]any, len(q.keys))
	q.space()
	if q.eat('}') {
		return m, true
	}
	for j := 0; ; j++ {
		key, ok := q.key(j)
		if !ok {
			return nil, false
		}
		q.space()
		if !q.eat(':') {
			return nil, false
		}
		q.space()
		v, ok := q.value(j)
		if !ok {
			return nil, false
		}
		m[key] = v
		q.space()
		if q.eat('}') {
			return m, true
		}
		if !q.eat(',') {
			return nil, false
		}
		q.space()
	}
}

// value reads the value at position j of a row.
func (q *quick) value(j int) (any, bool) {
	if q.i >= len(q.b) {
		return nil, false
	}
	start := q.i
	var v any
	switch c := q.b[q.i]; {
	case c == '"':
		raw, plain, ok := q.stringToken()
		if !ok {
			return nil, false
		}
		if m, ok := recall(q.vals, j, raw); ok {
			return m, true
		}
		if plain {
			v = string(raw[1 : len(raw)-1])
		} else if v, ok = unquote(raw); !ok {
			return nil, false
		}
	case c == '-' || c >= '0' && c <= '9':
		end, ok := q.numberEnd()
		if !ok {
			return nil, false
		}
		raw := q.b[start:end]
		if m, ok := recall(q.vals, j, raw); ok {
			q.i = end
			return m, true
		}
		f, err := strconv.ParseFloat(string(raw), 64)
		if err != nil {
			return nil, false // beyond float64: decodeStream names it
		}
		q.i, v = end, f
	case q.literal("true"):
		return true, true
	case q.literal("false"):
		return false, true
	case q.literal("null"):
		return nil, true
	default:
		return nil, false // a nested object or list, or not JSON
	}
	remember(&q.vals, j, q.b[start:q.i], v)
	return v, true
}

// key reads the key at position j of a row.
func (q *quick) key(j int) (string, bool) {
	raw, plain, ok := q.stringToken()
	if !ok {
		return "", false
	}
	if m, ok := recall(q.keys, j, raw); ok {
		return m, true
	}
	var k string
	if plain {
		k = string(raw[1 : len(raw)-1])
	} else if k, ok = unquote(raw); !ok {
		return "", false
	}
	remember(&q.keys, j, raw, k)
	return k, true
}

func recall[T any](ms []memo[T], j int, raw []byte) (T, bool) {
	if j < len(ms) && bytes.Equal(ms[j].raw, raw) {
		return ms[j].v, true
	}
	var zero T
	return zero, false
}

func remember[T any](ms *[]memo[T], j int, raw []byte, v T) {
	switch {
	case j < len(*ms):
		(*ms)[j] = memo[T]{raw, v}
	case j == len(*ms):
		*ms = append(*ms, memo[T]{raw, v})
	}
}

// numberEnd finds the end of the number at the cursor by JSON's grammar.
func (q *quick) numberEnd() (int, bool) {
	b, i := q.b, q.i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		i = digits(b, i)
	default:
		return 0, false
	}
	if i < len(b) && b[i] == '.' {
		if i+1 >= len(b) || b[i+1] < '0' || b[i+1] > '9' {
			return 0, false
		}
		i = digits(b, i+1)
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return 0, false
		}
		i = digits(b, i)
	}
	return i, true
}

func digits(b []byte, i int) int {
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i
}

// plainString reads a string that needs no unquoting, without copying it.
func (q *quick) plainString() ([]byte, bool) {
	if !q.eat('"') {
		return nil, false
	}
	start := q.i
	for q.i < len(q.b) {
		c := q.b[q.i]
		switch {
		case c == '"':
			q.i++
			return q.b[start : q.i-1], true
		case c == '\\' || c < 0x20 || c >= utf8.RuneSelf:
			return nil, false
		}
		q.i++
	}
	return nil, false
}

// stringToken reads a string, quotes included. plain means its bytes
// are the string: no escapes or control characters, valid UTF-8. Any
// other string is left for unquote, which is encoding/json's own.
func (q *quick) stringToken() (raw []byte, plain, ok bool) {
	if q.i >= len(q.b) || q.b[q.i] != '"' {
		return nil, false, false
	}
	start := q.i
	plain = true
	ascii := true
	i := start + 1
	for ; i < len(q.b) && q.b[i] != '"'; i++ {
		switch c := q.b[i]; {
		case c == '\\':
			plain = false
			i++ // the escaped byte, which may be a quote
		case c < 0x20:
			plain = false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	if i >= len(q.b) {
		return nil, false, false
	}
	q.i = i + 1
	raw = q.b[start:q.i]
	if plain && !ascii {
		plain = utf8.Valid(raw)
	}
	return raw, plain, true
}

// unquote decodes a JSON string with encoding/json.
func unquote(raw []byte) (string, bool) {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	return s, true
}
