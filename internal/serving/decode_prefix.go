package serving

import (
	"bytes"
	"io"
	"sync"
)

// quickBodyBytes is the largest body the quick path reads whole (about
// 400 rows of a dozen columns); a larger one streams, so the memory it
// takes stays that of the rows decoded, held against the row budget.
const quickBodyBytes = 64 << 10

// prefix is the start of a body, read whole when it is small.
type prefix struct {
	buf  *[]byte
	data []byte
	// complete: the body ended within data.
	complete bool
	// err stopped the read (a body over MaxBodyBytes, a broken connection).
	err error
}

// prefixes recycles the buffers bodies are read into.
var prefixes = sync.Pool{New: func() any { b := make([]byte, 0, 8<<10); return &b }}

// readPrefix reads r to its end, or to quickBodyBytes, or to an error.
func readPrefix(r io.Reader) *prefix {
	p := &prefix{buf: prefixes.Get().(*[]byte)}
	b := (*p.buf)[:0]
	for len(b) < quickBodyBytes {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)] // let append choose the growth
		}
		n, err := r.Read(b[len(b):min(cap(b), quickBodyBytes)])
		b = b[:len(b)+n]
		if err == io.EOF {
			p.complete = true
			break
		}
		if err != nil {
			p.err = err
			break
		}
	}
	p.data = b
	return p
}

// replay is the body again from its start: what was read, then the rest
// of body or the error the read stopped at.
func (p *prefix) replay(body io.Reader) io.Reader {
	switch {
	case p.complete:
		return bytes.NewReader(p.data)
	case p.err != nil:
		return io.MultiReader(bytes.NewReader(p.data), errReader{p.err})
	}
	return io.MultiReader(bytes.NewReader(p.data), body)
}

// free returns the buffer for reuse unless it grew large. Nothing decoded
// points into it: strings and the kept rows are copies.
func (p *prefix) free() {
	if cap(p.data) <= 64<<10 {
		*p.buf = p.data[:0]
		prefixes.Put(p.buf)
	}
	p.data = nil
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
