package expect

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/mlpipe/mlpipe/internal/frame"
)

// LoadFrame copies a frame into a new table of db, typed as the frame is
// (float as DOUBLE, string as VARCHAR, time as TIMESTAMPTZ, nulls as NULL),
// so a dataset read by mlpipe's CSV rules is validated by the same rules.
func LoadFrame(ctx context.Context, db *sql.DB, table string, f *frame.Frame) error {
	cols := f.Columns()
	defs := make([]string, len(cols))
	for i, c := range cols {
		typ := map[frame.Kind]string{frame.Float: "DOUBLE", frame.String: "VARCHAR", frame.Time: "TIMESTAMPTZ"}[c.Kind]
		defs[i] = ident(c.Name) + " " + typ
	}
	if _, err := db.ExecContext(ctx, "CREATE TABLE "+ident(table)+" ("+strings.Join(defs, ", ")+")"); err != nil {
		return fmt.Errorf("create table %s: %w", table, err)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("load %s: %w", table, err)
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		app, err := duckdb.NewAppenderFromConn(dc.(driver.Conn), "", table)
		if err != nil {
			return fmt.Errorf("load %s: %w", table, err)
		}
		row := make([]driver.Value, len(cols))
		for r := 0; r < f.NumRows(); r++ {
			for i, c := range cols {
				switch {
				case c.Null[r]:
					row[i] = nil
				case c.Kind == frame.Float:
					row[i] = c.Floats[r]
				case c.Kind == frame.String:
					row[i] = c.Strings[r]
				default:
					row[i] = c.Times[r]
				}
			}
			if err := app.AppendRow(row...); err != nil {
				return errors.Join(fmt.Errorf("load %s row %d: %w", table, r+1, err), app.Close())
			}
		}
		if err := app.Close(); err != nil {
			return fmt.Errorf("load %s: %w", table, err)
		}
		return nil
	})
}
