package dataplane

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/mlpipe/mlpipe/internal/frame"
)

// loadTyped reads a Parquet or JSON-lines file, whose values carry their
// own types, mapping each column to a kind: numbers and booleans to float,
// dates and timestamps to time (UTC), text to string. A NaN float is
// missing (pandas writes missing floats so); an infinite one is refused as
// ReadCSV refuses it. JSON strings that are null tokens are missing, as in
// a CSV.
func (e *Engine) loadTyped(ctx context.Context, path, src, name string, format Format) (*Table, error) {
	var from string
	switch format {
	case FormatParquet:
		from = fmt.Sprintf("read_parquet(%s)", quote(path))
	default:
		from = fmt.Sprintf("read_json(%s, format = 'newline_delimited', sample_size = -1)", quote(path))
	}
	cols, err := describe(ctx, e.db, "SELECT * FROM "+from)
	if err != nil {
		return nil, frame.DataErrorf("%s: not readable as %s: %v", src, format, err)
	}
	if len(cols) == 0 {
		return nil, frame.DataErrorf("%s: no columns", src)
	}
	t := &Table{Name: Ident(name), Format: format}
	exprs := make([]string, len(cols))
	for i, c := range cols {
		if format == FormatJSONL && strings.EqualFold(c.name, jsonRowCol) {
			return nil, frame.DataErrorf("%s: column %q is a name mlpipe uses while it reads JSON lines: rename it", src, c.name)
		}
		k, ok := kindOf(c.typ)
		if !ok {
			return nil, frame.DataErrorf("%s: column %q has type %s, which mlpipe cannot use: make it a number, text or a timestamp", src, c.name, c.typ)
		}
		id := Ident(c.name)
		switch {
		case k == frame.Float && (c.typ == "DOUBLE" || c.typ == "FLOAT"):
			exprs[i] = fmt.Sprintf("CASE WHEN isnan(%s) THEN NULL ELSE CAST(%s AS DOUBLE) END AS %s", id, id, id)
		case k == frame.Float:
			exprs[i] = fmt.Sprintf("CAST(%s AS DOUBLE) AS %s", id, id)
		case k == frame.Time && strings.HasPrefix(c.typ, "TIMESTAMP WITH TIME ZONE"):
			exprs[i] = fmt.Sprintf("CAST(%s AS TIMESTAMP) AS %s", id, id)
		case k == frame.Time:
			exprs[i] = fmt.Sprintf("CAST(%s AS TIMESTAMP) AS %s", id, id)
		case format == FormatJSONL:
			exprs[i] = fmt.Sprintf("CASE WHEN %s IN %s THEN NULL ELSE %s END AS %s", id, nullTokensSQL, id, id)
		default:
			exprs[i] = fmt.Sprintf("%s AS %s", id, id)
		}
		t.Columns = append(t.Columns, ColumnInfo{Name: c.name, Kind: k})
	}
	q := fmt.Sprintf("CREATE TABLE %s AS SELECT %s FROM %s", t.Name, strings.Join(exprs, ", "), from)
	if format == FormatJSONL {
		// DuckDB's JSON reader (1.5) hands a table its blocks out of file
		// order with two threads or more. row_number() OVER () reads the
		// file on one thread, in order, and sorting by it stores that order.
		q = fmt.Sprintf("CREATE TABLE %s AS SELECT %s FROM (SELECT *, row_number() OVER () AS %s FROM %s) ORDER BY %s",
			t.Name, strings.Join(exprs, ", "), jsonRowCol, from, jsonRowCol)
	}
	if _, err := e.db.ExecContext(ctx, q); err != nil {
		return nil, frame.DataErrorf("%s: not readable as %s: %v", src, format, err)
	}
	if err := e.db.QueryRowContext(ctx, "SELECT count(*) FROM "+t.Name).Scan(&t.Rows); err != nil {
		return nil, fmt.Errorf("%s: count rows: %w", src, err)
	}
	for _, c := range t.Columns {
		if c.Kind != frame.Float {
			continue
		}
		id := Ident(c.Name)
		var row sql.NullInt64
		var v sql.NullFloat64
		q := fmt.Sprintf("SELECT rowid + 1, %s FROM %s WHERE isinf(%s) ORDER BY rowid LIMIT 1", id, t.Name, id)
		err := e.db.QueryRowContext(ctx, q).Scan(&row, &v)
		if err == sql.ErrNoRows {
			continue
		}
		_ = e.Drop(ctx, t)
		if err != nil {
			return nil, fmt.Errorf("%s: check column %q: %w", src, c.Name, err)
		}
		return nil, frame.DataErrorf("%s: row %d, column %q: %s", src, row.Int64, c.Name, frame.NonFiniteText(fmt.Sprint(v.Float64), v.Float64))
	}
	return t, nil
}

// jsonRowCol numbers a JSON-lines file's rows while it is loaded; a
// column of the file by that name would clash, which Load refuses.
const jsonRowCol = "__mlpipe_file_row"

type colType struct{ name, typ string }

// describe lists a query's columns and their DuckDB types.
func describe(ctx context.Context, db *sql.DB, query string) ([]colType, error) {
	rows, err := db.QueryContext(ctx, "DESCRIBE "+query)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }()
	var out []colType
	for rows.Next() {
		var name, typ string
		var null, key, def, extra sql.NullString
		if err := rows.Scan(&name, &typ, &null, &key, &def, &extra); err != nil {
			return nil, err
		}
		out = append(out, colType{name, typ})
	}
	return out, rows.Err()
}

// kindOf maps a DuckDB type to mlpipe's kind.
func kindOf(typ string) (frame.Kind, bool) {
	switch {
	case typ == "VARCHAR":
		return frame.String, true
	case typ == "DATE", strings.HasPrefix(typ, "TIMESTAMP"):
		return frame.Time, true
	case strings.HasPrefix(typ, "DECIMAL"):
		return frame.Float, true
	}
	switch typ {
	case "DOUBLE", "FLOAT", "BOOLEAN", "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT",
		"UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT":
		return frame.Float, true
	}
	return 0, false
}
