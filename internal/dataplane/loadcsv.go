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

// loadCSV checks and types the CSV in one Go pass, then has DuckDB read it
// into a typed table with those kinds: DuckDB's parallel reader does the
// heavy lifting and no cell is ever held as a Go string.
func (e *Engine) loadCSV(ctx context.Context, path, src, name string, delim rune, types map[string]frame.Kind) (*Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: open: %w", src, err)
	}
	scan, err := scanCSV(f, src, delim, types)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("%s: close: %w", src, cerr)
	}
	if err != nil {
		return nil, err
	}

	t := &Table{Name: Ident(name), Rows: scan.rows, Format: FormatCSV, Columns: make([]ColumnInfo, len(scan.names))}
	var cols, exprs []string
	for i, n := range scan.names {
		c := &scan.cols[i]
		k := c.kind()
		t.Columns[i] = ColumnInfo{Name: n, Kind: k, NotNumbers: c.notNumbers()}
		raw := fmt.Sprintf("c%d", i)
		cols = append(cols, fmt.Sprintf("%s: 'VARCHAR'", quote(raw)))
		var expr string
		switch k {
		case frame.Float:
			expr = fmt.Sprintf("CAST(%s AS DOUBLE)", raw)
			if c.underscores {
				expr = fmt.Sprintf("CAST(replace(%s, '_', '') AS DOUBLE)", raw)
			}
		case frame.Time:
			expr = fmt.Sprintf("CAST(CAST(%s AS TIMESTAMPTZ) AS TIMESTAMP)", raw)
		default:
			// Go's CSV reader turns CRLF inside a quoted field into LF.
			expr = fmt.Sprintf("replace(%s, chr(13) || chr(10), chr(10))", raw)
		}
		exprs = append(exprs, fmt.Sprintf("CASE WHEN %s IS NULL OR %s IN %s THEN NULL ELSE %s END AS %s",
			raw, raw, nullTokensSQL, expr, Ident(n)))
	}
	if len(scan.names) == 0 {
		return nil, frame.DataErrorf("%s: header: no columns", src)
	}
	where := ""
	if len(scan.names) == 1 {
		// Go's reader skips blank lines; DuckDB reads one in a one-column
		// file as a NULL (a quoted "" stays an empty string).
		where = " WHERE c0 IS NOT NULL"
	}
	q := fmt.Sprintf(`CREATE TABLE %s AS SELECT %s FROM read_csv(%s, header = true, skip = %d, auto_detect = false,
		delim = %s, quote = '"', escape = '"', columns = {%s}, strict_mode = true, null_padding = false)%s`,
		t.Name, strings.Join(exprs, ", "), quote(path), scan.skip, quote(string(scan.delim)), strings.Join(cols, ", "), where)
	if scan.rows == 0 {
		// DuckDB refuses a file with no data line; the schema is known.
		q = fmt.Sprintf("CREATE TABLE %s AS SELECT %s FROM (SELECT %s) WHERE false",
			t.Name, strings.Join(exprs, ", "), strings.Join(nullCols(len(scan.names)), ", "))
	}
	if _, err := e.db.ExecContext(ctx, q); err != nil {
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

// nullCols is a row of typed-less NULLs named c0, c1, ... for an empty
// table of n columns.
func nullCols(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("CAST(NULL AS VARCHAR) AS c%d", i)
	}
	return out
}
