package monitor

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/mlpipe/mlpipe/internal/dataplane"
)

// column is one input column's values in the window.
type column struct {
	name      string
	numbers   []float64
	strings   []string
	nulls     int
	wrongType int64
	// seen counts rows that had the key at all.
	seen int64
}

// Tables readInputs makes: each logged input row's values as JSON, one
// column per key (rawTable), and the reference's columns typed as the
// training data was (inputsTable), which the expectation suite reads.
const rawTable = "window_raw"

// unreadableRow names the rows whose input is not a JSON object.
const unreadableRow = "(unreadable input row)"

// jsonNumber is a JSON value DuckDB's json_type calls a number.
const jsonNumber = `('UBIGINT', 'BIGINT', 'DOUBLE')`

// readInputs reads the window's logged input rows (JSON objects) into
// columns. DuckDB parses each row once, in parallel (from_json), and
// counts keys, nulls and values of the wrong type in SQL; Go then reads
// only what drift and the range checks need: the numbers of the
// reference's numeric columns and the category counts of its string
// columns (identifiers and times need neither). A key a row lacks is a
// null for that row.
func readInputs(ctx context.Context, db *sql.DB, in Input) (map[string]*column, error) {
	var n, bad int64
	if err := db.QueryRowContext(ctx, `SELECT count(*), count(*) FILTER (WHERE coalesce(try(json_type(input)), '') <> 'OBJECT') FROM predictions`).Scan(&n, &bad); err != nil {
		return nil, fmt.Errorf("read the window's inputs: %w", err)
	}
	cols := map[string]*column{}
	if bad > 0 {
		cols[unreadableRow] = &column{name: unreadableRow, wrongType: bad, nulls: int(n)}
	}
	keys, err := windowKeys(ctx, db)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, k := range keys {
		cols[k.name] = &column{name: k.name, seen: k.rows}
		names = append(names, k.name)
	}
	kinds := map[string]string{}
	if in.Reference != nil {
		for _, c := range in.Reference.Columns {
			kinds[c.Name] = c.Kind
		}
	}
	if err := rawInputs(ctx, db, names); err != nil {
		return nil, err
	}
	// The raw values are not needed once counted and typed; dropping
	// them bounds the engine's memory for the steps after.
	defer func() {
		if _, err := db.ExecContext(ctx, "DROP TABLE IF EXISTS "+rawTable); err != nil {
			slog.Warn("monitor: could not drop the window's raw inputs", "err", err)
		}
	}()
	// One scan counts every column's values and wrong types.
	var aggs []string
	for _, name := range names {
		c := dataplane.Ident(name)
		wrong := "0"
		switch kinds[name] {
		case "float":
			wrong = fmt.Sprintf("count(*) FILTER (WHERE json_type(%s) NOT IN %s)", c, jsonNumber)
		case "string", "time":
			wrong = fmt.Sprintf("count(*) FILTER (WHERE json_type(%s) IN ('OBJECT', 'ARRAY'))", c)
		}
		aggs = append(aggs, "count("+c+")", wrong)
	}
	if len(aggs) > 0 {
		vals := make([]int64, len(aggs))
		ptrs := make([]any, len(aggs))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := db.QueryRowContext(ctx, "SELECT "+strings.Join(aggs, ", ")+" FROM "+rawTable).Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("count the window's input values: %w", err)
		}
		for i, name := range names {
			c := cols[name]
			c.nulls, c.wrongType = int(n-vals[2*i]), vals[2*i+1]
		}
	}
	if in.Reference == nil {
		return cols, nil
	}
	if err := typeInputs(ctx, db, in, cols); err != nil {
		return nil, err
	}
	if err := readNumbers(ctx, db, in, cols); err != nil {
		return nil, err
	}
	for _, r := range in.Reference.Columns {
		c, ok := cols[r.Name]
		if !ok || r.Name == in.Target || r.Kind != "string" || isIdentifier(&r) {
			continue
		}
		if c.strings, err = readCategories(ctx, db, r.Name); err != nil {
			return nil, err
		}
	}
	return cols, nil
}

type windowKey struct {
	name string
	rows int64
}

// windowKeys lists the keys of the window's input rows and how many rows
// hold each, sorted by name.
func windowKeys(ctx context.Context, db *sql.DB) ([]windowKey, error) {
	rows, err := db.QueryContext(ctx, `SELECT k, count(*) FROM (SELECT unnest(try(json_keys(input))) AS k FROM predictions) GROUP BY k ORDER BY k`)
	if err != nil {
		return nil, fmt.Errorf("list the window's input keys: %w", err)
	}
	defer rows.Close()
	var out []windowKey
	for rows.Next() {
		var k windowKey
		if err := rows.Scan(&k.name, &k.rows); err != nil {
			return nil, fmt.Errorf("list the window's input keys: %w", err)
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list the window's input keys: %w", err)
	}
	return out, nil
}

// rawInputs parses each input row once into rawTable: one JSON column
// per key (null where a row lacks it or holds null).
func rawInputs(ctx context.Context, db *sql.DB, names []string) error {
	if len(names) == 0 {
		_, err := db.ExecContext(ctx, "CREATE OR REPLACE TEMP TABLE "+rawTable+" AS SELECT 1 AS none FROM predictions")
		if err != nil {
			return fmt.Errorf("parse the window's inputs: %w", err)
		}
		return nil
	}
	fields := make([]string, len(names))
	for i, name := range names {
		key, err := json.Marshal(name)
		if err != nil {
			return fmt.Errorf("parse the window's inputs: %w", err)
		}
		fields[i] = string(key) + `:"JSON"`
	}
	structure := dataplane.Quote("{" + strings.Join(fields, ",") + "}")
	stmt := fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE %s AS SELECT unnest(coalesce(try(from_json(input, %s)), from_json('{}', %s))) FROM predictions`,
		rawTable, structure, structure)
	if _, err := db.ExecContext(ctx, stmt); err != nil {
		return fmt.Errorf("parse the window's inputs: %w", err)
	}
	return nil
}

// typeInputs makes inputsTable: every reference column but the target,
// typed as the reference says (a value of another type is null there,
// and counted as wrong above; a column no row holds is all null).
func typeInputs(ctx context.Context, db *sql.DB, in Input, cols map[string]*column) error {
	var sel []string
	for _, r := range in.Reference.Columns {
		if r.Name == in.Target {
			continue
		}
		c, id := dataplane.Ident(r.Name), dataplane.Ident(r.Name)
		if _, ok := cols[r.Name]; !ok {
			c = "NULL::JSON"
		}
		var expr string
		switch r.Kind {
		case "float":
			expr = fmt.Sprintf("CASE WHEN json_type(%s) IN %s THEN CAST(%s AS DOUBLE) END", c, jsonNumber, c)
		case "time":
			expr = fmt.Sprintf("TRY_CAST(%s->>'$' AS TIMESTAMP)", c)
		default:
			expr = fmt.Sprintf("CASE WHEN json_type(%s) = 'VARCHAR' THEN %s->>'$' WHEN json_type(%s) IN ('UBIGINT', 'BIGINT', 'DOUBLE', 'BOOLEAN') THEN CAST(%s AS VARCHAR) END", c, c, c, c)
		}
		sel = append(sel, expr+" AS "+id)
	}
	if len(sel) == 0 {
		sel = append(sel, "1 AS none")
	}
	stmt := fmt.Sprintf("CREATE OR REPLACE TEMP TABLE %s AS SELECT %s FROM %s", inputsTable, strings.Join(sel, ", "), rawTable)
	if _, err := db.ExecContext(ctx, stmt); err != nil {
		return fmt.Errorf("type the window's inputs: %w", err)
	}
	return nil
}

// readNumbers reads the values of the reference's numeric columns that
// the window holds, in one pass.
func readNumbers(ctx context.Context, db *sql.DB, in Input, cols map[string]*column) error {
	var want []*column
	var sel []string
	for _, r := range in.Reference.Columns {
		if c, ok := cols[r.Name]; ok && r.Kind == "float" && r.Name != in.Target {
			want = append(want, c)
			sel = append(sel, dataplane.Ident(r.Name))
			c.numbers = make([]float64, 0, c.seen)
		}
	}
	if len(want) == 0 {
		return nil
	}
	rows, err := db.QueryContext(ctx, "SELECT "+strings.Join(sel, ", ")+" FROM "+inputsTable)
	if err != nil {
		return fmt.Errorf("read the window's numbers: %w", err)
	}
	defer rows.Close()
	vals := make([]sql.NullFloat64, len(want))
	ptrs := make([]any, len(want))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return fmt.Errorf("read the window's numbers: %w", err)
		}
		for i, v := range vals {
			if v.Valid {
				want[i].numbers = append(want[i].numbers, v.Float64)
			}
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read the window's numbers: %w", err)
	}
	return nil
}

// readCategories reads a string column as its values repeated by count,
// most frequent first (ties by value), which is all drift and the unseen
// count look at; the repeats share one string each.
func readCategories(ctx context.Context, db *sql.DB, name string) ([]string, error) {
	c := dataplane.Ident(name)
	rows, err := db.QueryContext(ctx, fmt.Sprintf("SELECT %s, count(*) AS n FROM %s WHERE %s IS NOT NULL GROUP BY %s ORDER BY n DESC, %s", c, inputsTable, c, c, c))
	if err != nil {
		return nil, fmt.Errorf("read the window's values of %s: %w", name, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		var k int64
		if err := rows.Scan(&v, &k); err != nil {
			return nil, fmt.Errorf("read the window's values of %s: %w", name, err)
		}
		out = slices.Grow(out, int(k))
		for range k {
			out = append(out, v)
		}
	}
	return out, rows.Err()
}
