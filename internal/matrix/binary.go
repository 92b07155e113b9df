package matrix

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
)

// The binary format, all integers and floats little-endian:
//
//	magic   8 bytes  "MLPMTX1\n"
//	hlen    uint32   length of the header
//	header  hlen bytes of JSON: {"names": [...], "rows": R, "cols": C, "dtype": "float64"}
//	X       R×C float64, row-major
//	y       R float64
//
// and nothing after. The artifact store checks the file's sha256 on every
// read; the reader checks everything else, naming the file.
const magic = "MLPMTX1\n"

// MediaType is the binary format's media type in the artifact store.
const MediaType = "application/vnd.mlpipe.matrix"

// DType is the only element type the format holds.
const DType = "float64"

// maxHeader bounds the header a reader accepts: a corrupt length must not
// allocate gigabytes. 64 MiB is a million long feature names.
const maxHeader = 64 << 20

type header struct {
	Names []string `json:"names"`
	Rows  int      `json:"rows"`
	Cols  int      `json:"cols"`
	DType string   `json:"dtype"`
}

// WriteBinary writes m in the binary format. Every value must be finite,
// as for Write.
func WriteBinary(w io.Writer, m Matrix) error {
	if err := m.check(); err != nil {
		return err
	}
	h, err := json.Marshal(header{Names: m.Names, Rows: m.Rows(), Cols: m.Cols(), DType: DType})
	if err != nil {
		return fmt.Errorf("matrix: encode the header: %w", err)
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	var n [4]byte
	binary.LittleEndian.PutUint32(n[:], uint32(len(h)))
	if _, err := bw.WriteString(magic); err != nil {
		return err
	}
	if _, err := bw.Write(n[:]); err != nil {
		return err
	}
	if _, err := bw.Write(h); err != nil {
		return err
	}
	buf := make([]byte, 8*4096)
	for _, vals := range [][]float64{m.X, m.Y} {
		for len(vals) > 0 {
			k := min(len(vals), 4096)
			for i, v := range vals[:k] {
				binary.LittleEndian.PutUint64(buf[8*i:], math.Float64bits(v))
			}
			if _, err := bw.Write(buf[:8*k]); err != nil {
				return err
			}
			vals = vals[k:]
		}
	}
	return bw.Flush()
}

// readBinary reads the binary format strictly: a wrong magic, a header
// that does not parse or disagrees with itself, a short body or trailing
// bytes are each an error naming the file.
func readBinary(r io.Reader, name string) (Matrix, error) {
	var pre [len(magic) + 4]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return Matrix{}, fmt.Errorf("%s: not a feature matrix: %w", name, err)
	}
	if string(pre[:len(magic)]) != magic {
		return Matrix{}, fmt.Errorf("%s: not a feature matrix: it does not start with %q", name, magic)
	}
	hlen := binary.LittleEndian.Uint32(pre[len(magic):])
	if hlen > maxHeader {
		return Matrix{}, fmt.Errorf("%s: header length %d is over %d bytes: the file is corrupt", name, hlen, maxHeader)
	}
	hb := make([]byte, hlen)
	if _, err := io.ReadFull(r, hb); err != nil {
		return Matrix{}, fmt.Errorf("%s: header: %w (the file is cut short)", name, err)
	}
	var h header
	if err := json.Unmarshal(hb, &h); err != nil {
		return Matrix{}, fmt.Errorf("%s: header: %w", name, err)
	}
	switch {
	case h.DType != DType:
		return Matrix{}, fmt.Errorf("%s: dtype %q; this mlpipe reads %s", name, h.DType, DType)
	case h.Cols != len(h.Names):
		return Matrix{}, fmt.Errorf("%s: header says %d cols but names %d", name, h.Cols, len(h.Names))
	case h.Rows < 0 || (h.Cols > 0 && h.Rows > math.MaxInt/8/(h.Cols+1)):
		return Matrix{}, fmt.Errorf("%s: header says %d rows: the file is corrupt", name, h.Rows)
	}
	m := Matrix{Names: h.Names, X: make([]float64, h.Rows*h.Cols), Y: make([]float64, h.Rows)}
	if m.Names == nil {
		m.Names = []string{}
	}
	buf := make([]byte, 8*4096)
	for _, part := range []struct {
		what string
		vals []float64
	}{{"X", m.X}, {"y", m.Y}} {
		vals := part.vals
		for len(vals) > 0 {
			k := min(len(vals), 4096)
			if _, err := io.ReadFull(r, buf[:8*k]); err != nil {
				return Matrix{}, fmt.Errorf("%s: %s: %w (the header says %d rows × %d cols: the file is cut short)", name, part.what, err, h.Rows, h.Cols)
			}
			for i := range vals[:k] {
				vals[i] = math.Float64frombits(binary.LittleEndian.Uint64(buf[8*i:]))
			}
			vals = vals[k:]
		}
	}
	if n, err := r.Read(buf[:1]); n > 0 || (err != nil && !errors.Is(err, io.EOF)) {
		if err != nil {
			return Matrix{}, fmt.Errorf("%s: %w", name, err)
		}
		return Matrix{}, fmt.Errorf("%s: bytes after the %d rows × %d cols the header announces: the file is corrupt", name, h.Rows, h.Cols)
	}
	if err := m.check(); err != nil {
		return Matrix{}, fmt.Errorf("%s: %w", name, err)
	}
	return m, nil
}
