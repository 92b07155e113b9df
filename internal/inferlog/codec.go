package inferlog

import (
	"bytes"
	"fmt"

	"github.com/klauspost/compress/s2"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// encodeBatch is how many queued request records a buffer gathers before
// they are encoded into its Parquet writer (a flush encodes the rest).
// parquet-go's cost per Write call is large next to a record's: at one
// record per call the log spent about a third more CPU per row.
const encodeBatch = 64

// writerOptions are the log files' Parquet settings, chosen for the
// gateway's CPU, which the log shares with the requests it records.
//   - Snappy at its fast setting: parquet-go's Snappy codec uses the
//     "better" encoder, which cost about 1.5× the CPU per row for files
//     within 5% of the size (the serving bench's rows).
//   - No page min/max for the long strings nobody filters on: the JSON of
//     the inputs and class probabilities, and the request ID.
var writerOptions = []parquet.WriterOption{
	parquet.Compression(fastSnappy{}),
	parquet.SkipPageBounds("inputs"),
	parquet.SkipPageBounds("probabilities"),
	parquet.SkipPageBounds("request_id"),
}

// fastSnappy writes standard Snappy blocks (any Parquet reader decodes
// them with its Snappy codec) with s2's fastest Snappy-compatible encoder.
type fastSnappy struct{}

func (fastSnappy) String() string                            { return "SNAPPY" }
func (fastSnappy) CompressionCodec() format.CompressionCodec { return format.Snappy }

// Encode compresses src into dst's storage when it is large enough: s2
// reuses dst only up to its length, so the capacity parquet-go keeps
// between pages is offered in full.
func (fastSnappy) Encode(dst, src []byte) ([]byte, error) {
	return s2.EncodeSnappy(dst[:cap(dst)], src), nil
}

func (fastSnappy) Decode(dst, src []byte) ([]byte, error) {
	return parquet.Snappy.Decode(dst, src)
}

// buffer is one partition's batch being built.
type buffer struct {
	// preds are predictions not yet handed to pw, the file's encoder.
	preds  []requestRow
	pw     *parquet.GenericWriter[requestRow]
	out    *bytes.Buffer
	encErr error
	fbs    []feedbackRow
	rows   int // predicted rows, plus feedback
}

func (b *buffer) len() int { return b.rows }

// encodePending moves the predictions added since the last call into the
// buffer's Parquet writer. Drains call it once encodeBatch records wait,
// so encoding is spread over the second rather than done in one burst at
// the flush, in batches large enough to keep parquet-go's cost per call
// small, and the records are freed early.
func (b *buffer) encodePending(spare *encoders) error {
	if len(b.preds) == 0 || b.encErr != nil {
		return b.encErr
	}
	if b.pw == nil {
		b.out = spare.body()
		b.pw = spare.writer(b.out)
	}
	if _, err := b.pw.Write(b.preds); err != nil {
		b.encErr = fmt.Errorf("encode parquet: %w", err)
	}
	clear(b.preds)
	b.preds = b.preds[:0]
	return b.encErr
}

// seal finishes the buffer's Parquet file; its encoder goes back to spare.
func (b *buffer) seal(k partition, spare *encoders) ([]byte, error) {
	if k.kind == KindFeedback {
		var out bytes.Buffer
		if err := encode(&out, b.fbs); err != nil {
			return nil, err
		}
		return out.Bytes(), nil
	}
	if err := b.encodePending(spare); err != nil {
		return nil, err
	}
	if err := b.pw.Close(); err != nil {
		return nil, fmt.Errorf("encode parquet: %w", err)
	}
	spare.keep(b.pw)
	b.pw = nil
	return b.out.Bytes(), nil
}

func encode[T any](out *bytes.Buffer, rows []T) error {
	pw := parquet.NewGenericWriter[T](out, writerOptions...)
	if _, err := pw.Write(rows); err != nil {
		return fmt.Errorf("encode parquet: %w", err)
	}
	if err := pw.Close(); err != nil {
		return fmt.Errorf("encode parquet: %w", err)
	}
	return nil
}

// maxSpare bounds the encoders and file buffers kept for reuse; past a
// few partitions at once (models, or an hour's turn) new ones are made.
const maxSpare = 4

// maxSpareBytes bounds the size of a file buffer kept for reuse.
const maxSpareBytes = 64 << 20

// encoders keeps what sealed files leave behind for the next ones: their
// Parquet writers, whose column and page buffers have grown to the
// traffic's size, and the published files' bytes. Starting each file
// from fresh ones cost about a fifth of the log's CPU per row, most of it
// growing buffers again. A reused writer writes the same bytes as a new
// one (TestReusedEncoderWritesTheSameFile). Owned by the run goroutine.
type encoders struct {
	writers []*parquet.GenericWriter[requestRow]
	bodies  [][]byte
}

func (e *encoders) writer(out *bytes.Buffer) *parquet.GenericWriter[requestRow] {
	if n := len(e.writers); n > 0 {
		pw := e.writers[n-1]
		e.writers[n-1] = nil
		e.writers = e.writers[:n-1]
		pw.Reset(out)
		return pw
	}
	return parquet.NewGenericWriter[requestRow](out, writerOptions...)
}

func (e *encoders) keep(pw *parquet.GenericWriter[requestRow]) {
	if len(e.writers) < maxSpare {
		e.writers = append(e.writers, pw)
	}
}

func (e *encoders) body() *bytes.Buffer {
	if n := len(e.bodies); n > 0 {
		b := e.bodies[n-1]
		e.bodies[n-1] = nil
		e.bodies = e.bodies[:n-1]
		return bytes.NewBuffer(b)
	}
	return new(bytes.Buffer)
}

// recycle takes back a published file's bytes, which nothing reads any
// more once the store has them.
func (e *encoders) recycle(body []byte) {
	if len(e.bodies) < maxSpare && cap(body) <= maxSpareBytes {
		e.bodies = append(e.bodies, body[:0])
	}
}
