package serving

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
)

// predictShape is the /v1 body, for messages.
const predictShape = `{"instances": [{"column": value, ...}, ...]}`

// predictBody is a decoded /v1 request.
type predictBody struct {
	rows []map[string]any
	// raw is the rows as the client wrote them, a JSON array, kept for the
	// inference log (nil when it is off), so that no row is encoded again.
	raw    []byte
	strict bool
}

// decodePredict reads a /v1 body. A small, well-formed body of a known
// length takes the quick path (decode_quick.go); any other body, and any
// body the quick path does not take, is decoded by decodeStream from the
// same bytes, so that every answer and message is the streaming
// decoder's. A body sent in chunks streams, so that rows are held against
// the budget as they arrive, however slowly the client sends the rest.
func (g *Gateway) decodePredict(w http.ResponseWriter, r *http.Request, hold *rowHold) (predictBody, *apiError) {
	body := http.MaxBytesReader(w, r.Body, g.opts.MaxBodyBytes)
	if r.ContentLength < 0 || r.ContentLength > quickBodyBytes {
		return g.decodeStream(body, hold)
	}
	pb := readPrefix(body)
	defer pb.free()
	if pb.complete {
		if out, ok := g.decodeQuick(pb.data, hold); ok {
			return out, nil
		}
	}
	return g.decodeStream(pb.replay(body), hold)
}

// decodeStream reads a /v1 body one row at a time, holding every decoded
// row against the gateway's row budget, so a request over
// MaxRowsPerRequest is refused (413) after that many rows, not after the
// whole body, and a request that finds the budget spent is refused (503)
// before it decodes more. It accepts "instances" (or "rows") and "strict".
func (g *Gateway) decodeStream(body io.Reader, hold *rowHold) (predictBody, *apiError) {
	out := predictBody{strict: true}
	t := newTape(body)
	defer t.free()
	dec := json.NewDecoder(t)
	if err := expectDelim(dec, '{'); err != nil {
		return out, g.bodyError(err, predictShape)
	}
	seen := ""
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return out, g.bodyError(err, predictShape)
		}
		key, _ := tok.(string)
		switch key {
		case "instances", "rows":
			if seen != "" {
				return out, newAPIError(http.StatusBadRequest, "the body has both %q and %q: send the rows once, as %s", seen, key, predictShape)
			}
			seen = key
			if out.rows, out.raw, err = g.decodeRows(dec, t, key, hold); err != nil {
				return out, g.bodyError(err, predictShape)
			}
		case "strict":
			var b *bool
			if err := dec.Decode(&b); err != nil || b == nil {
				return out, newAPIError(http.StatusBadRequest, `"strict" must be true or false (false ignores keys the model does not take)`)
			}
			out.strict = *b
		default:
			return out, newAPIError(http.StatusBadRequest, `unknown field %q in the request body (rows go inside "instances"): send %s, with "strict": false beside "instances" to ignore keys the model does not take`, key, predictShape)
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return out, g.bodyError(err, predictShape)
	}
	return out, nil
}

// decodeRows reads the list of rows under key and, when the inference log
// is on, keeps their bytes as a JSON array (nil if a row's bytes could
// not be kept; the log then encodes the decoded rows).
func (g *Gateway) decodeRows(dec *json.Decoder, t *tape, key string, hold *rowHold) ([]map[string]any, []byte, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, nil, err
	}
	if tok == nil {
		return nil, nil, nil // null: no rows, refused as such
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return nil, nil, newAPIError(http.StatusBadRequest, "%q must be a list of row objects: send %s", key, predictShape)
	}
	var rows []map[string]any
	keep := g.ilog != nil
	var raw []byte
	for dec.More() {
		i := len(rows)
		if i == g.opts.MaxRowsPerRequest {
			return nil, nil, g.tooManyRows()
		}
		if !hold.cover(i + 1) {
			return nil, nil, g.saturated()
		}
		start := dec.InputOffset()
		t.forget(start)
		rows = append(rows, nil)
		if err := dec.Decode(&rows[i]); err != nil {
			return nil, nil, rowDecodeError(err, key, i, t.slice(start, dec.InputOffset()))
		}
		if rows[i] == nil {
			return nil, nil, newAPIError(http.StatusBadRequest, "%s[%d] is null: send each row as an object of column values (null inside it marks an unknown value)", key, i)
		}
		if keep {
			raw, keep = appendRawRow(raw, t.slice(start, dec.InputOffset()))
		}
	}
	if _, err := dec.Token(); err != nil { // the closing ]
		return nil, nil, err
	}
	if !keep || raw == nil {
		return rows, nil, nil
	}
	return rows, append(raw, ']'), nil
}

// appendRawRow adds one row's bytes (which may start with the separator
// and blanks before it) to a JSON array being built; false means they
// are not one object.
func appendRawRow(raw, row []byte) ([]byte, bool) {
	row = bytes.TrimLeft(row, ", \t\r\n")
	if len(row) == 0 || row[0] != '{' {
		return nil, false
	}
	if raw == nil {
		raw = append(make([]byte, 0, 2*len(row)), '[')
	} else {
		raw = append(raw, ',')
	}
	return append(raw, row...), true
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return newAPIError(http.StatusBadRequest, "the body must be one JSON object, not %s", describeToken(tok))
	}
	return nil
}

func describeToken(tok json.Token) string {
	switch tok.(type) {
	case nil:
		return "null"
	case json.Delim:
		return "a list"
	case string:
		return "a string"
	case float64, json.Number:
		return "a number"
	case bool:
		return "a boolean"
	}
	return fmt.Sprint(tok)
}

// rowDecodeError explains why row i did not decode; raw is its JSON.
func rowDecodeError(err error, key string, i int, raw []byte) error {
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) {
		return err
	}
	if te.Type != nil && te.Type.Kind() == reflect.Map {
		return newAPIError(http.StatusBadRequest, "%s[%d] is a JSON %s: send each row as an object of column values", key, i, te.Value)
	}
	if strings.HasPrefix(te.Value, "number") {
		if col, lit := overflowingKey(raw); col != "" {
			row := i
			return &apiError{code: http.StatusBadRequest, body: errorBody{
				Error: fmt.Sprintf("%s[%d].%s: %s is not a finite number (it is beyond ±1.8e308); send a finite number, or null for a value you do not know", key, i, col, lit),
				Row:   &row, Column: col}}
		}
	}
	return newAPIError(http.StatusBadRequest, "%s[%d]: %v; send each row as an object of column values", key, i, err)
}

// overflowingKey finds the key of a row whose number does not fit a
// float64, decoding the row again with numbers kept as text.
func overflowingKey(raw []byte) (key, literal string) {
	raw = bytes.TrimLeft(raw, " \t\r\n,")
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var row map[string]any
	if dec.Decode(&row) != nil {
		return "", ""
	}
	best := ""
	for k, v := range row {
		if n, ok := v.(json.Number); ok {
			if _, err := strconv.ParseFloat(string(n), 64); err != nil && (best == "" || k < best) {
				best, literal = k, string(n)
			}
		}
	}
	return best, literal
}

// bodyError turns a decoding failure into the answer: an apiError as is,
// a body over the byte limit as 413, anything else as 400 showing shape.
func (g *Gateway) bodyError(err error, shape string) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		e := newAPIError(http.StatusRequestEntityTooLarge, "request body is over %d bytes: send fewer rows per request", tooBig.Limit)
		e.body.Limit = int(tooBig.Limit)
		return e
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return newAPIError(http.StatusBadRequest, "invalid JSON body: it ends early; send %s", shape)
	}
	return newAPIError(http.StatusBadRequest, "invalid JSON body: %v; send %s", err, shape)
}

func (e *apiError) Error() string { return e.body.Error }

func (g *Gateway) tooManyRows() *apiError {
	n := g.opts.MaxRowsPerRequest
	e := newAPIError(http.StatusRequestEntityTooLarge, "the request has more than %d rows, the gateway's limit per request: send at most %d rows per request", n, n)
	e.body.Limit = n
	return e
}

// saturated is the answer when the rows in flight are at their bound.
func (g *Gateway) saturated() *apiError {
	n := g.opts.MaxRowsInFlight
	e := newAPIError(http.StatusServiceUnavailable, "the gateway is already holding its limit of %d rows in flight: retry after 1 second, or send fewer rows per request", n)
	e.body.Limit = n
	e.retryAfter = 1
	return e
}

// tape passes a body to the JSON decoder and keeps the bytes from the
// current row on, so that a value the decoder refuses can be read again
// and named. Bytes before the current row are dropped in bulk, so the
// copying stays linear in the body.
type tape struct {
	r    io.Reader
	buf  []byte
	base int64 // body offset of buf[0]
}

// tapes recycles tapes, so a small request allocates none.
var tapes = sync.Pool{New: func() any { return &tape{buf: make([]byte, 0, 1024)} }}

func newTape(r io.Reader) *tape {
	t := tapes.Get().(*tape)
	t.r, t.buf, t.base = r, t.buf[:0], 0
	return t
}

// free returns the tape for reuse unless it grew large.
func (t *tape) free() {
	t.r = nil
	if cap(t.buf) <= 64<<10 {
		tapes.Put(t)
	}
}

func (t *tape) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	t.buf = append(t.buf, p[:n]...)
	return n, err
}

// forget drops what lies before body offset off, once that is at least
// half of what is kept.
func (t *tape) forget(off int64) {
	dead := int(off - t.base)
	if dead <= 0 || dead < len(t.buf)/2 {
		return
	}
	n := copy(t.buf, t.buf[dead:])
	t.buf = t.buf[:n]
	t.base = off
}

// slice is the body between two offsets at or after the last forget.
func (t *tape) slice(from, to int64) []byte {
	lo, hi := int(from-t.base), int(to-t.base)
	if lo < 0 || hi > len(t.buf) || lo > hi {
		return nil
	}
	return t.buf[lo:hi]
}
