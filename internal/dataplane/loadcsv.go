package dataplane

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/mlpipe/mlpipe/internal/frame"
)

// nullTokensSQL is frame.IsNullToken's list as a SQL IN list.
const nullTokensSQL = `('', 'NA', 'N/A', 'null', 'NULL', 'NaN', 'nan')`

// nullTokensList is the same list as read_csv's nullstr.
const nullTokensList = `['', 'NA', 'N/A', 'null', 'NULL', 'NaN', 'nan']`

// loadCSV checks and types the CSV in one Go pass, then has DuckDB read it
// into a typed table with those kinds: DuckDB's reader does the heavy
// lifting, in file order, and no cell is ever held as a Go string. Float
// columns are read by DuckDB as DOUBLE with mlpipe's null tokens, once the
// Go pass has seen that every other cell is a plain decimal, which DuckDB
// reads to the same float64; the rest are read as text and converted in
// SQL.
func (e *Engine) loadCSV(ctx context.Context, path, src, name string, delim rune, opts LoadOptions) (*Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: open: %w", src, err)
	}
	scan, err := scanCSV(f, src, delim, opts.Types)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("%s: close: %w", src, cerr)
	}
	if err != nil {
		return nil, err
	}
	if len(scan.names) == 0 {
		return nil, frame.DataErrorf("%s: header: no columns", src)
	}

	t := &Table{Name: Ident(name), Rows: scan.rows, Format: FormatCSV, Columns: make([]ColumnInfo, len(scan.names))}
	// DuckDB's null strings also null a quoted "", which in a one-column
	// file must stay a row (see below), so that file is read as text.
	typed := len(scan.names) > 1
	var cols, exprs []string
	for i, n := range scan.names {
		c := &scan.cols[i]
		k := c.kind()
		t.Columns[i] = ColumnInfo{Name: n, Kind: k, NotNumbers: c.notNumbers()}
		raw := fmt.Sprintf("c%d", i)
		if typed && k == frame.Float && !c.underscores {
			cols = append(cols, fmt.Sprintf("%s: 'DOUBLE'", quote(raw)))
			exprs = append(exprs, fmt.Sprintf("%s AS %s", raw, Ident(n)))
			continue
		}
		cols = append(cols, fmt.Sprintf("%s: 'VARCHAR'", quote(raw)))
		var expr string
		switch {
		case k == frame.Float:
			expr = fmt.Sprintf("CAST(%s AS DOUBLE)", raw)
			if c.underscores {
				expr = fmt.Sprintf("CAST(replace(%s, '_', '') AS DOUBLE)", raw)
			}
		case k == frame.Time:
			expr = fmt.Sprintf("CAST(CAST(%s AS TIMESTAMPTZ) AS TIMESTAMP)", raw)
		case scan.fast:
			// The fast pass read no carriage return inside a field.
			expr = raw
		default:
			// Go's CSV reader turns CRLF inside a quoted field into LF.
			expr = fmt.Sprintf("replace(%s, chr(13) || chr(10), chr(10))", raw)
		}
		exprs = append(exprs, fmt.Sprintf("CASE WHEN %s IS NULL OR %s IN %s THEN NULL ELSE %s END AS %s",
			raw, raw, nullTokensSQL, expr, Ident(n)))
	}
	where, nulls := "", ""
	if len(scan.names) == 1 {
		// Go's reader skips blank lines; DuckDB reads one in a one-column
		// file as a NULL (a quoted "" stays an empty string).
		where = " WHERE c0 IS NOT NULL"
	}
	if typed {
		nulls = ", nullstr = " + nullTokensList + ", allow_quoted_nulls = true"
	}
	// parallel = false: DuckDB's parallel CSV reader (1.5, two threads or
	// more) stores whole 8 MB buffers out of file order now and then, even
	// with preserve_insertion_order, so the dataset's row order, its split
	// and its digest would depend on thread timing. One reader thread keeps
	// file order; the Go pass above already reads the file once on its own.
	sel := fmt.Sprintf(`SELECT %s FROM read_csv(%s, header = true, skip = %d, auto_detect = false, parallel = false,
		delim = %s, quote = '"', escape = '"', columns = {%s}, strict_mode = true, null_padding = false%s)%s`,
		strings.Join(exprs, ", "), quote(path), scan.skip, quote(string(scan.delim)), strings.Join(cols, ", "), nulls, where)
	if scan.rows == 0 {
		// DuckDB refuses a file with no data line; the schema is known.
		sel = fmt.Sprintf("SELECT %s FROM (SELECT %s) WHERE false", strings.Join(textExprs(scan), ", "), strings.Join(nullCols(len(scan.names)), ", "))
	}
	if opts.Lazy && scan.plain && typed && scan.rows > 0 {
		// The fast pass read every record as DuckDB will, so the view
		// holds the rows it counted; nothing is copied.
		if _, err := e.db.ExecContext(ctx, "CREATE VIEW "+t.Name+" AS "+lazySelect(path, scan, t.Columns)); err != nil {
			return nil, fmt.Errorf("%s: create a view of it in the engine: %w", src, err)
		}
		t.view = true
		return t, nil
	}
	if _, err := e.db.ExecContext(ctx, "CREATE TABLE "+t.Name+" AS "+sel); err != nil {
		if msg := err.Error(); strings.HasPrefix(msg, "Invalid Input Error") || strings.HasPrefix(msg, "Conversion Error") {
			// The file itself: reading it again gives the same answer.
			first, _, _ := strings.Cut(msg, "\n")
			return nil, frame.DataErrorf("%s: not readable as CSV with delimiter %q: %s: re-save it as a standard CSV (UTF-8, LF or CRLF line ends)", src, string(scan.delim), first)
		}
		return nil, fmt.Errorf("%s: load into the engine: %w", src, err)
	}
	var n int64
	if err := e.db.QueryRowContext(ctx, "SELECT count(*) FROM "+t.Name).Scan(&n); err != nil {
		return nil, fmt.Errorf("%s: count rows: %w", src, err)
	}
	if n != scan.rows {
		_ = e.Drop(ctx, t)
		return nil, frame.DataErrorf("%s: the file reads as %d rows one way and %d another (lines ending in a lone carriage return?): re-save it as a standard CSV with LF or CRLF line ends", src, scan.rows, n)
	}
	return t, nil
}

// lazySelect reads the file with every column typed by DuckDB's reader
// under its own name, so that a query reads only the columns it names (an
// expression that may fail, such as a cast, would be computed for every
// column, named or not). Times are read as TIMESTAMPTZ, which gives the
// instants CAST does for the spellings plainTime allows, the only ones a
// lazy load views.
func lazySelect(path string, scan *csvScan, cols []ColumnInfo) string {
	defs := make([]string, len(cols))
	var replaced []string
	for i, c := range cols {
		typ := "VARCHAR"
		switch {
		case c.Kind == frame.Float && !scan.cols[i].underscores:
			typ = "DOUBLE"
		case c.Kind == frame.Float:
			// Digits grouped by "_" are read by SQL once they are removed.
			replaced = append(replaced, fmt.Sprintf("CAST(replace(%s, '_', '') AS DOUBLE) AS %s", Ident(c.Name), Ident(c.Name)))
		case c.Kind == frame.Time:
			typ = "TIMESTAMPTZ"
			replaced = append(replaced, fmt.Sprintf("CAST(%s AS TIMESTAMP) AS %s", Ident(c.Name), Ident(c.Name)))
		}
		defs[i] = fmt.Sprintf("%s: '%s'", quote(c.Name), typ)
	}
	sel := "*"
	if len(replaced) > 0 {
		sel = "* REPLACE (" + strings.Join(replaced, ", ") + ")"
	}
	return fmt.Sprintf(`SELECT %s FROM read_csv(%s, header = true, skip = %d, auto_detect = false, delim = %s, quote = '"', escape = '"',
		columns = {%s}, strict_mode = true, null_padding = false, nullstr = %s, allow_quoted_nulls = true)`,
		sel, quote(path), scan.skip, quote(string(scan.delim)), strings.Join(defs, ", "), nullTokensList)
}

// textExprs types an empty table's text columns as a read would.
func textExprs(scan *csvScan) []string {
	out := make([]string, len(scan.names))
	for i, n := range scan.names {
		raw := fmt.Sprintf("c%d", i)
		var expr string
		switch scan.cols[i].kind() {
		case frame.Float:
			expr = fmt.Sprintf("CAST(%s AS DOUBLE)", raw)
		case frame.Time:
			expr = fmt.Sprintf("CAST(CAST(%s AS TIMESTAMPTZ) AS TIMESTAMP)", raw)
		default:
			expr = raw
		}
		out[i] = fmt.Sprintf("%s AS %s", expr, Ident(n))
	}
	return out
}

// nullCols is a row of typed-less NULLs named c0, c1, ... for an empty
// table of n columns.
func nullCols(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("CAST(NULL AS VARCHAR) AS c%d", i)
	}
	return out
}
