package dataplane

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/mlpipe/mlpipe/internal/frame"
)

// WriteParquet writes a table to a local Parquet file (zstd), rows in
// order. It writes beside localPath and renames, so a reader never sees a
// half-written file.
func (e *Engine) WriteParquet(ctx context.Context, t *Table, localPath string) error {
	tmp := localPath + ".tmp"
	q := fmt.Sprintf("COPY (SELECT * FROM %s) TO %s (FORMAT parquet, COMPRESSION zstd)", t.Name, quote(tmp))
	if _, err := e.db.ExecContext(ctx, q); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("dataplane: write %s as parquet: %w", t.Name, err)
	}
	if err := os.Rename(tmp, localPath); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("dataplane: write parquet: %w", err)
	}
	return nil
}

// ReadFrame reads a Parquet file (one Load or WriteParquet made) into a
// frame.Frame with the kinds its schema gives, for the stages that work on
// frames in memory. Times are UTC.
func (e *Engine) ReadFrame(ctx context.Context, parquetPath string) (*frame.Frame, error) {
	from := fmt.Sprintf("read_parquet(%s)", quote(parquetPath))
	cols, err := describe(ctx, e.db, "SELECT * FROM "+from)
	if err != nil {
		return nil, frame.DataErrorf("%s: not readable as parquet: %v", parquetPath, err)
	}
	return e.frameOf(ctx, from, parquetPath, cols)
}

// Frame reads a loaded table into a frame.Frame.
func (e *Engine) Frame(ctx context.Context, t *Table) (*frame.Frame, error) {
	cols, err := describe(ctx, e.db, "SELECT * FROM "+t.Name)
	if err != nil {
		return nil, fmt.Errorf("dataplane: describe %s: %w", t.Name, err)
	}
	return e.frameOf(ctx, t.Name, t.Name, cols)
}

func (e *Engine) frameOf(ctx context.Context, from, src string, cols []colType) (*frame.Frame, error) {
	var n int64
	if err := e.db.QueryRowContext(ctx, "SELECT count(*) FROM "+from).Scan(&n); err != nil {
		return nil, frame.DataErrorf("%s: not readable as parquet: %v", src, err)
	}
	out := make([]*frame.Column, len(cols))
	exprs := make([]string, len(cols))
	for i, c := range cols {
		k, ok := kindOf(c.typ)
		if !ok {
			return nil, frame.DataErrorf("%s: column %q has type %s, which mlpipe cannot use", src, c.name, c.typ)
		}
		id := Ident(c.name)
		col := &frame.Column{Name: c.name, Kind: k, Null: make([]bool, n)}
		switch k {
		case frame.Float:
			col.Floats = make([]float64, n)
			exprs[i] = fmt.Sprintf("CAST(%s AS DOUBLE)", id)
		case frame.String:
			col.Strings = make([]string, n)
			exprs[i] = id
		case frame.Time:
			col.Times = make([]time.Time, n)
			exprs[i] = fmt.Sprintf("CAST(%s AS TIMESTAMP)", id)
		}
		out[i] = col
	}
	rows, err := e.db.QueryContext(ctx, fmt.Sprintf("SELECT %s FROM %s", strings.Join(exprs, ", "), from))
	if err != nil {
		return nil, fmt.Errorf("%s: read: %w", src, err)
	}
	defer func() { _ = rows.Close() }()
	fl := make([]sql.NullFloat64, len(cols))
	st := make([]sql.NullString, len(cols))
	tm := make([]sql.NullTime, len(cols))
	dest := make([]any, len(cols))
	for i, c := range out {
		switch c.Kind {
		case frame.Float:
			dest[i] = &fl[i]
		case frame.String:
			dest[i] = &st[i]
		case frame.Time:
			dest[i] = &tm[i]
		}
	}
	var r int64
	for rows.Next() {
		if r >= n {
			return nil, fmt.Errorf("%s: more rows than the %d counted", src, n)
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("%s: row %d: %w", src, r+1, err)
		}
		for i, c := range out {
			switch c.Kind {
			case frame.Float:
				c.Floats[r], c.Null[r] = fl[i].Float64, !fl[i].Valid
			case frame.String:
				c.Strings[r], c.Null[r] = st[i].String, !st[i].Valid
			case frame.Time:
				if tm[i].Valid {
					c.Times[r] = tm[i].Time.UTC()
				}
				c.Null[r] = !tm[i].Valid
			}
		}
		r++
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: read: %w", src, err)
	}
	if r != n {
		return nil, fmt.Errorf("%s: read %d rows of the %d counted", src, r, n)
	}
	f, err := frame.New(out...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", src, err)
	}
	return f, nil
}

// ParquetMediaType is the media type Parquet artifacts are stored with.
const ParquetMediaType = "application/vnd.apache.parquet"
