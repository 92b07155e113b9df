package dataplane

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/mlpipe/mlpipe/internal/frame"
)

// ReadColumnParts returns what ReadFrameParts returns for the same
// arguments, value for value, but reads the Parquet file a column chunk at
// a time into Go slices (the columns in parallel) instead of a row and a
// driver value per cell through database/sql, which was most of the
// feature stage's time. It reads the types DuckDB writes for mlpipe's
// kinds: DOUBLE, FLOAT, BIGINT, INTEGER, SMALLINT, TINYINT, BOOLEAN,
// VARCHAR, TIMESTAMP (microseconds) and DATE, with nulls, dictionary or
// plain pages and any codec. A file with another type among the columns
// read, a schema DuckDB reads differently, or pages it cannot decode is
// read by ReadFrameParts instead, so the result and the errors are
// always those of ReadFrameParts. Memory is the frames' own plus one page
// per column being decoded.
func (e *Engine) ReadColumnParts(ctx context.Context, parquetPath string, part []int8, keep []Keep) ([]*frame.Frame, error) {
	// A cancelled stage is not a file DuckDB cannot read.
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s: read: %w", parquetPath, err)
	}
	cols, err := describe(ctx, e.db, fmt.Sprintf("SELECT * FROM read_parquet(%s)", quote(parquetPath)))
	if err != nil {
		return nil, frame.DataErrorf("%s: not readable as parquet: %v", parquetPath, err)
	}
	out, err := readColumns(ctx, parquetPath, cols, part, keep)
	var nc notColumnar
	if errors.As(err, &nc) {
		slog.Debug("dataplane: reading parquet row by row", "file", parquetPath, "reason", nc.reason)
		return e.readParts(ctx, parquetRelation(parquetPath, cols), parquetPath, cols, part, keep)
	}
	return out, err
}

// notColumnar says why a file is left to the row reader.
type notColumnar struct{ reason string }

func (n notColumnar) Error() string { return "not read by columns: " + n.reason }

func notColumnarf(format string, args ...any) error {
	return notColumnar{reason: fmt.Sprintf(format, args...)}
}

// codec is how a column's Parquet values become a frame column's.
type codec uint8

const (
	codecDouble codec = iota + 1
	codecFloat
	codecInt64
	codecInt32
	codecBool
	codecString
	codecTimestamp
	codecDate
)

// codecFor pairs DuckDB's name for a column's type with the Parquet type
// it was read from; a pair outside this list is not read by columns.
func codecFor(duckType string, t parquet.Type) (codec, bool) {
	kind := t.Kind()
	logical := ""
	if lt := t.LogicalType(); lt != nil {
		logical = lt.String()
	}
	switch {
	case duckType == "DOUBLE" && kind == parquet.Double:
		return codecDouble, true
	case duckType == "FLOAT" && kind == parquet.Float:
		return codecFloat, true
	case duckType == "BIGINT" && kind == parquet.Int64:
		return codecInt64, true
	case (duckType == "INTEGER" || duckType == "SMALLINT" || duckType == "TINYINT") && kind == parquet.Int32:
		return codecInt32, true
	case duckType == "BOOLEAN" && kind == parquet.Boolean:
		return codecBool, true
	case duckType == "VARCHAR" && kind == parquet.ByteArray:
		return codecString, true
	case duckType == "TIMESTAMP" && kind == parquet.Int64 && logical == "TIMESTAMP(isAdjustedToUTC=false,unit=MICROS)":
		return codecTimestamp, true
	case duckType == "DATE" && kind == parquet.Int32 && logical == "DATE":
		return codecDate, true
	}
	return 0, false
}

// readColumns is ReadColumnParts once DuckDB has named the columns' types.
func readColumns(ctx context.Context, path string, cols []colType, part []int8, keep []Keep) ([]*frame.Frame, error) {
	kinds := make([]frame.Kind, len(cols))
	for i, c := range cols {
		k, ok := kindOf(c.typ)
		if !ok {
			return nil, notColumnarf("column %q has type %s", c.name, c.typ)
		}
		kinds[i] = k
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, notColumnarf("%v", err)
	}
	defer func() { _ = f.Close() }()
	st, err := f.Stat()
	if err != nil {
		return nil, notColumnarf("%v", err)
	}
	pf, err := parquet.OpenFile(f, st.Size(), parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return nil, notColumnarf("%v", err)
	}
	leaves := pf.Root().Columns()
	if len(leaves) != len(cols) {
		return nil, notColumnarf("%d Parquet columns, %d in DuckDB's schema", len(leaves), len(cols))
	}
	n := pf.NumRows()
	sizes, err := partSizes(path, n, part, len(keep))
	if err != nil {
		return nil, err
	}
	// The columns some part reads, each with its codec and its column in
	// every part that reads it.
	var jobs []*columnJob
	frames := make([][]*frame.Column, len(keep))
	for p := range keep {
		frames[p] = make([]*frame.Column, len(cols))
	}
	for i, c := range cols {
		leaf := leaves[i]
		if !leaf.Leaf() || leaf.Repeated() || leaf.Name() != c.name {
			return nil, notColumnarf("column %q is %q in the Parquet schema, nested or repeated", c.name, leaf.Name())
		}
		var job *columnJob
		empty := &frame.Column{}
		for p, kp := range keep {
			col := &frame.Column{Name: c.name, Kind: kinds[i]}
			frames[p][i] = col
			if kp != nil && !kp(c.name, kinds[i]) {
				continue
			}
			if job == nil {
				cd, ok := codecFor(c.typ, leaf.Type())
				if !ok {
					return nil, notColumnarf("column %q: %s read from Parquet %s %v", c.name, c.typ, leaf.Type().Kind(), leaf.Type().LogicalType())
				}
				job = &columnJob{index: i, name: c.name, codec: cd, dst: make([]*frame.Column, len(keep))}
				jobs = append(jobs, job)
			}
			m := sizes[p]
			col.Null = make([]bool, m)
			switch kinds[i] {
			case frame.Float:
				col.Floats = make([]float64, m)
			case frame.String:
				col.Strings = make([]string, m)
			case frame.Time:
				col.Times = make([]time.Time, m)
			}
			job.dst[p] = col
		}
		for p := range keep {
			if job == nil || job.dst[p] == nil {
				frames[p][i] = missing(empty, frames[p][i], sizes[p])
			}
		}
	}
	groups, err := rowGroupStarts(pf, part, len(keep), n)
	if err != nil {
		return nil, err
	}
	if err := runColumnJobs(ctx, path, jobs, groups, part); err != nil {
		return nil, err
	}
	out := make([]*frame.Frame, len(keep))
	for p := range keep {
		fr, err := frame.New(frames[p]...)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		out[p] = fr
	}
	return out, nil
}

// rowGroup is one row group of the file: its first row in the file and,
// per part, how many rows of that part come before it.
type rowGroup struct {
	rg    parquet.RowGroup
	first int64
	rows  int64
	start []int
}

func rowGroupStarts(pf *parquet.File, part []int8, parts int, n int64) ([]rowGroup, error) {
	var groups []rowGroup
	counts := make([]int, parts)
	var first int64
	for _, rg := range pf.RowGroups() {
		rows := rg.NumRows()
		if rows < 0 || first+rows > n {
			return nil, notColumnarf("row groups hold more rows than the file's %d", n)
		}
		groups = append(groups, rowGroup{rg: rg, first: first, rows: rows, start: append([]int(nil), counts...)})
		if part == nil {
			counts[0] += int(rows)
		} else {
			for _, p := range part[first : first+rows] {
				if p >= 0 {
					counts[p]++
				}
			}
		}
		first += rows
	}
	if first != n {
		return nil, notColumnarf("row groups hold %d rows, the file %d", first, n)
	}
	return groups, nil
}

// runColumnJobs decodes the columns, as many at once as there are CPUs.
func runColumnJobs(ctx context.Context, path string, jobs []*columnJob, groups []rowGroup, part []int8) error {
	workers := min(runtime.GOMAXPROCS(0), len(jobs))
	next := make(chan *columnJob)
	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for job := range next {
				errs[job.seq] = job.run(ctx, groups, part)
			}
		}()
	}
	for k, job := range jobs {
		job.seq = k
		next <- job
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: read: %w", path, err)
	}
	return errors.Join(errs...)
}
