package dataplane

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"

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
	cols, err := describe(ctx, e.db, fmt.Sprintf("SELECT * FROM read_parquet(%s)", quote(parquetPath)))
	if err != nil {
		return nil, frame.DataErrorf("%s: not readable as parquet: %v", parquetPath, err)
	}
	return e.frameOf(ctx, parquetRelation(parquetPath, cols), parquetPath, cols)
}

// Frame reads a loaded table into a frame.Frame.
func (e *Engine) Frame(ctx context.Context, t *Table) (*frame.Frame, error) {
	cols, err := describe(ctx, e.db, "SELECT * FROM "+t.Name)
	if err != nil {
		return nil, fmt.Errorf("dataplane: describe %s: %w", t.Name, err)
	}
	rel := relation{from: t.Name}
	if !slices.ContainsFunc(cols, func(c colType) bool { return strings.EqualFold(c.name, "rowid") }) {
		rel.numbered, rel.rowCol = t.Name, "rowid"
	}
	return e.frameOf(ctx, rel, t.Name, cols)
}

func (e *Engine) frameOf(ctx context.Context, rel relation, src string, cols []colType) (*frame.Frame, error) {
	parts, err := e.readParts(ctx, rel, src, cols, nil, []Keep{nil})
	if err != nil {
		return nil, err
	}
	return parts[0], nil
}

// ParquetMediaType is the media type Parquet artifacts are stored with.
const ParquetMediaType = "application/vnd.apache.parquet"
