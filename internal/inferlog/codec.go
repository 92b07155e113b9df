package inferlog

import (
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
