package monitor

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/mlpipe/mlpipe/internal/dataplane"
	"github.com/mlpipe/mlpipe/internal/inferlog"
)

// inputsFunctions numbers the table functions that hand parsed inputs to
// the engine: a name is registered once per database.
var inputsFunctions atomic.Int64

// tableColumn is one column of the typed inputs table.
type tableColumn struct {
	name string
	kind string
	// src is the parsed column; nil when no row holds the key.
	src *inferlog.InputColumn
}

// typedInputs defines inputsTable, a view of every reference column but
// the target, typed as the reference says: a float column holds the
// numbers (anything else is null there, and counted as wrong type); a
// string column the strings, and numbers and booleans as their text; a
// time column the strings the engine reads as timestamps. A column no
// row holds is all null. The engine reads the parsed columns through a
// table function, a vector at a time and only the columns a query names,
// so no JSON is parsed twice and nothing is copied or written ahead.
// drop removes the view and lets go of the columns.
func typedInputs(ctx context.Context, db *sql.DB, in Input, parsed *inferlog.Inputs) (drop func(), err error) {
	src := &inputsSource{rows: int(parsed.Rows)}
	var sel []string
	for _, r := range in.Reference.Columns {
		if r.Name == in.Target {
			continue
		}
		c := tableColumn{name: r.Name, kind: r.Kind, src: parsed.Column(r.Name)}
		t := duckdb.TYPE_VARCHAR
		if c.kind == "float" {
			t = duckdb.TYPE_DOUBLE
		}
		ti, err := duckdb.NewTypeInfo(t)
		if err != nil {
			return nil, fmt.Errorf("type the window's inputs: %w", err)
		}
		src.cols = append(src.cols, c)
		src.infos = append(src.infos, duckdb.ColumnInfo{Name: c.name, T: ti})
		id := dataplane.Ident(c.name)
		if c.kind == "time" {
			sel = append(sel, fmt.Sprintf("TRY_CAST(%s AS TIMESTAMP) AS %s", id, id))
		} else {
			sel = append(sel, id)
		}
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("type the window's inputs: %w", err)
	}
	defer conn.Close()
	stmt := fmt.Sprintf("CREATE OR REPLACE VIEW %s AS SELECT 1 AS none FROM range(%d)", inputsTable, parsed.Rows)
	if len(sel) > 0 {
		// Registered once per window: the engine's catalog keeps the name,
		// and drop empties what it refers to.
		name := fmt.Sprintf("mlpipe_window_inputs_%d", inputsFunctions.Add(1))
		err = duckdb.RegisterTableUDF(conn, name, duckdb.ChunkTableFunction{
			BindArguments: func(map[string]any, ...any) (duckdb.ChunkTableSource, error) { return src.cursor() },
		})
		if err != nil {
			return nil, fmt.Errorf("type the window's inputs: %w", err)
		}
		stmt = fmt.Sprintf("CREATE OR REPLACE VIEW %s AS SELECT %s FROM %s()", inputsTable, strings.Join(sel, ", "), name)
	}
	if _, err := conn.ExecContext(ctx, stmt); err != nil {
		return nil, fmt.Errorf("type the window's inputs: %w", err)
	}
	drop = func() {
		src.release()
		if _, err := db.ExecContext(context.WithoutCancel(ctx), "DROP VIEW IF EXISTS "+inputsTable); err != nil {
			slog.Warn("monitor: could not drop the view of the window's inputs", "err", err)
		}
	}
	return drop, nil
}

// inputsSource is the parsed columns the view reads.
type inputsSource struct {
	mu    sync.Mutex
	cols  []tableColumn
	infos []duckdb.ColumnInfo
	rows  int
	gone  bool
}

func (s *inputsSource) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cols, s.gone = nil, true
}

// cursor is one scan of the view.
func (s *inputsSource) cursor() (*inputsCursor, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gone {
		return nil, fmt.Errorf("the window's inputs are no longer loaded: %s is only defined while the monitor analyses a window", inputsTable)
	}
	return &inputsCursor{cols: s.cols, infos: s.infos, rows: s.rows}, nil
}

// inputsCursor hands the parsed columns to the engine in row order.
type inputsCursor struct {
	cols  []tableColumn
	infos []duckdb.ColumnInfo
	rows  int
	next  int
}

func (s *inputsCursor) ColumnInfos() []duckdb.ColumnInfo { return s.infos }

func (s *inputsCursor) Cardinality() *duckdb.CardinalityInfo {
	return &duckdb.CardinalityInfo{Cardinality: uint(s.rows), Exact: true}
}

func (s *inputsCursor) Init() { s.next = 0 }

func (s *inputsCursor) FillChunk(chunk duckdb.DataChunk) error {
	n := min(duckdb.GetDataChunkCapacity(), s.rows-s.next)
	for j, c := range s.cols {
		if _, err := chunk.GetVector(j); err != nil {
			continue // a column the query does not read
		}
		if err := fillColumn(chunk, j, c, s.next, n); err != nil {
			return fmt.Errorf("column %q: %w", c.name, err)
		}
	}
	s.next += n
	return chunk.SetSize(n)
}

// fillColumn writes rows [from, from+n) of c into the chunk's column j.
func fillColumn(chunk duckdb.DataChunk, j int, c tableColumn, from, n int) error {
	for i := range n {
		var err error
		row := from + i
		switch {
		case c.src == nil:
			err = duckdb.SetChunkValue[any](chunk, j, i, nil)
		case c.kind == "float":
			if c.src.Tags[row] == inferlog.Number {
				err = duckdb.SetChunkValue(chunk, j, i, c.src.Float(row))
			} else {
				err = duckdb.SetChunkValue[any](chunk, j, i, nil)
			}
		case c.kind == "time":
			if c.src.Tags[row] == inferlog.String {
				err = duckdb.SetChunkValue(chunk, j, i, c.src.Str(row))
			} else {
				err = duckdb.SetChunkValue[any](chunk, j, i, nil)
			}
		default:
			if s, ok := c.src.Text(row); ok {
				err = duckdb.SetChunkValue(chunk, j, i, s)
			} else {
				err = duckdb.SetChunkValue[any](chunk, j, i, nil)
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}
