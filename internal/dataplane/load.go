package dataplane

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"

	"github.com/mlpipe/mlpipe/internal/frame"
)

// Format is a source's file format.
type Format string

// The formats Load reads.
const (
	// FormatAuto picks the format from the file's extension, and sniffs
	// its first bytes when the extension says nothing.
	FormatAuto    Format = ""
	FormatCSV     Format = "csv"
	FormatParquet Format = "parquet"
	FormatJSONL   Format = "jsonl"
)

// LoadOptions tunes Load.
type LoadOptions struct {
	// Format is the file's format; empty picks it from the extension
	// (.csv, .tsv, .txt, .parquet, .jsonl, .ndjson, .json) or its content.
	Format Format
	// Source names the input in error messages (a URI or file name);
	// empty means the local path.
	Source string
	// Delimiter is a CSV's field separator; 0 sniffs it from the header
	// line (comma, semicolon, tab or pipe).
	Delimiter rune
	// Table names the SQL table to create; empty picks a fresh name.
	Table string
	// Types forces the kind of the named columns instead of inferring it.
	Types map[string]frame.Kind
	// Lazy makes a CSV table a view over the file instead of a copy in
	// the engine, once the file has been checked and typed: each query
	// then reads the file again. It suits one scan (mlpipe validate);
	// a file only encoding/csv reads alike is still copied.
	Lazy bool
}

// ColumnInfo is one column of a loaded table.
type ColumnInfo struct {
	Name string     `json:"name"`
	Kind frame.Kind `json:"kind"`
	// NotNumbers, for a CSV string column most of whose cells are
	// numbers, says which are not and how to mark them missing (as
	// frame.NotNumbers does); empty otherwise.
	NotNumbers string `json:"not_numbers,omitempty"`
}

// Table is a typed table in the engine: float columns are DOUBLE, string
// columns VARCHAR and time columns TIMESTAMP (UTC), nulls as SQL NULL.
type Table struct {
	// Name is the SQL relation, already quoted as an identifier: use it
	// as written in a FROM clause.
	Name    string
	Columns []ColumnInfo
	Rows    int64
	// Format is the format the table was read from.
	Format Format
	// view says Name is a view over the source file (LoadOptions.Lazy).
	view bool
}

// IsView says the table is a view that reads its file on every query.
func (t *Table) IsView() bool { return t.view }

// Kinds maps each column name to its kind.
func (t *Table) Kinds() map[string]frame.Kind {
	out := make(map[string]frame.Kind, len(t.Columns))
	for _, c := range t.Columns {
		out[c.Name] = c.Kind
	}
	return out
}

// Names lists the column names in order.
func (t *Table) Names() []string {
	out := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		out[i] = c.Name
	}
	return out
}

// Load reads a local file into a new table with mlpipe's column kinds.
// CSV cells are typed by frame.ReadCSV's rules (null tokens, float if
// every other cell is a finite number, else time, else string), checked
// by one streaming pass that keeps no cells, so its errors are
// frame.ReadCSV's, naming the source, row, line and column. Parquet and
// JSON lines columns keep their own types, mapped to the three kinds.
// Problems with the data are *frame.DataError values.
func (e *Engine) Load(ctx context.Context, localPath string, opts LoadOptions) (*Table, error) {
	src := opts.Source
	if src == "" {
		src = localPath
	}
	format, err := detectFormat(localPath, opts.Format)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", src, err)
	}
	name := opts.Table
	if name == "" {
		name = fmt.Sprintf("t%d", tableSeq.Add(1))
	}
	switch format {
	case FormatCSV:
		delim := opts.Delimiter
		if delim == 0 && strings.EqualFold(filepath.Ext(localPath), ".tsv") {
			delim = '\t'
		}
		return e.loadCSV(ctx, localPath, src, name, delim, opts)
	case FormatParquet:
		return e.loadTyped(ctx, localPath, src, name, FormatParquet)
	case FormatJSONL:
		return e.loadTyped(ctx, localPath, src, name, FormatJSONL)
	}
	return nil, fmt.Errorf("%s: unknown format %q: use csv, parquet or jsonl", src, format)
}

// ReadParquetTable loads a Parquet file, typed already: kinds come from
// its schema.
func (e *Engine) ReadParquetTable(ctx context.Context, parquetPath string, opts LoadOptions) (*Table, error) {
	opts.Format = FormatParquet
	return e.Load(ctx, parquetPath, opts)
}

// Drop removes a loaded table.
func (e *Engine) Drop(ctx context.Context, t *Table) error {
	kind := "TABLE"
	if t.view {
		kind = "VIEW"
	}
	if _, err := e.db.ExecContext(ctx, "DROP "+kind+" IF EXISTS "+t.Name); err != nil {
		return fmt.Errorf("dataplane: drop %s: %w", t.Name, err)
	}
	return nil
}

var tableSeq atomic.Int64

// detectFormat takes the format given, else the extension's, else sniffs
// the first bytes: Parquet's magic, a JSON object, or CSV.
func detectFormat(path string, f Format) (Format, error) {
	switch strings.ToLower(string(f)) {
	case "":
	case "csv", "tsv":
		return FormatCSV, nil
	case "parquet":
		return FormatParquet, nil
	case "jsonl", "ndjson", "json":
		return FormatJSONL, nil
	default:
		return "", fmt.Errorf("unknown format %q: use csv, parquet or jsonl", f)
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv", ".tsv":
		return FormatCSV, nil
	case ".parquet", ".pq":
		return FormatParquet, nil
	case ".jsonl", ".ndjson", ".json":
		return FormatJSONL, nil
	}
	file, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("open: %w", err)
	}
	defer file.Close()
	head := make([]byte, 512)
	n, err := io.ReadFull(file, head)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return "", fmt.Errorf("read: %w", err)
	}
	return sniffFormat(head[:n]), nil
}

// sniffFormat tells Parquet (its magic) and JSON lines (an object first)
// from CSV, the default.
func sniffFormat(head []byte) Format {
	if bytes.HasPrefix(head, []byte("PAR1")) {
		return FormatParquet
	}
	t := bytes.TrimLeft(bytes.TrimPrefix(head, bomUTF8), " \t\r\n")
	if len(t) > 0 && t[0] == '{' {
		return FormatJSONL
	}
	return FormatCSV
}
