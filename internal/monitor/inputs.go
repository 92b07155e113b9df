package monitor

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"

	"github.com/mlpipe/mlpipe/internal/inferlog"
	"github.com/mlpipe/mlpipe/internal/profile"
)

// column is one input column's values in the window.
type column struct {
	name    string
	numbers []float64
	// cats are the distinct strings, most frequent first (ties by value),
	// and catCounts how often each occurs.
	cats      []string
	catCounts []int64
	nulls     int
	wrongType int64
	// seen counts rows that had the key at all.
	seen int64
}

// unreadableRow names the rows whose input is not a JSON object.
const unreadableRow = "(unreadable input row)"

// windowInputs are the window's input rows, parsed: as the log was read
// (Input.Inputs) or, without them, from the predictions table's input
// column.
func windowInputs(ctx context.Context, db *sql.DB, in Input) (*inferlog.Inputs, error) {
	if in.Inputs != nil {
		return in.Inputs, nil
	}
	return inputsFromTable(ctx, db)
}

// readInputs counts the window's input values per key (nulls, values of
// the wrong type for the reference's kind) and keeps what drift and the
// range checks need: the numbers of the reference's numeric columns and
// the strings of its categorical ones (identifiers and times need
// neither). A key a row lacks is a null for that row.
func readInputs(parsed *inferlog.Inputs, in Input) map[string]*column {
	n := parsed.Rows
	cols := map[string]*column{}
	if parsed.Unreadable > 0 {
		cols[unreadableRow] = &column{name: unreadableRow, wrongType: parsed.Unreadable, nulls: int(n)}
	}
	kinds := map[string]string{}
	if in.Reference != nil {
		for _, c := range in.Reference.Columns {
			kinds[c.Name] = c.Kind
		}
	}
	refs := map[string]*profile.Column{}
	if in.Reference != nil {
		for i := range in.Reference.Columns {
			refs[in.Reference.Columns[i].Name] = &in.Reference.Columns[i]
		}
	}
	out := make([]*column, len(parsed.Columns))
	// A pass over a million rows per column: one column per core.
	parallel(len(parsed.Columns), func(i int) {
		pc := parsed.Columns[i]
		kind := kinds[pc.Name]
		c := &column{name: pc.Name, seen: pc.Seen}
		var values, wrong int64
		for _, t := range pc.Tags {
			switch t {
			case inferlog.Absent, inferlog.Null:
				continue
			case inferlog.Nested:
				wrong++
			case inferlog.String, inferlog.True, inferlog.False:
				if kind == "float" {
					wrong++
				}
			}
			values++
		}
		if kind == "" {
			wrong = 0 // a key the reference never saw has no type to break
		}
		c.nulls, c.wrongType = int(n-values), wrong
		if r := refs[pc.Name]; r != nil && r.Name != in.Target {
			switch {
			case r.Kind == "float":
				c.numbers = numbers(pc)
			case r.Kind == "string" && !isIdentifier(r):
				c.cats, c.catCounts = categories(pc)
			}
		}
		out[i] = c
	})
	for _, c := range out {
		cols[c.name] = c
	}
	return cols
}

// inputsFromTable parses the predictions table's input column, for
// windows loaded with it.
func inputsFromTable(ctx context.Context, db *sql.DB) (*inferlog.Inputs, error) {
	rows, err := db.QueryContext(ctx, `SELECT input FROM predictions`)
	if err != nil {
		return nil, fmt.Errorf("read the window's inputs: %w", err)
	}
	defer rows.Close()
	var inputs []string
	var ok []bool
	for rows.Next() {
		var v sql.NullString
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("read the window's inputs: %w", err)
		}
		inputs, ok = append(inputs, v.String), append(ok, v.Valid)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the window's inputs: %w", err)
	}
	return inferlog.ParseRows(inputs, ok), nil
}

// numbers are a column's numeric values, in row order.
func numbers(c *inferlog.InputColumn) []float64 {
	out := make([]float64, 0, c.Seen)
	for i, t := range c.Tags {
		if t == inferlog.Number {
			out = append(out, c.Float(i))
		}
	}
	return out
}

// categories counts a string column's values, most frequent first (ties
// by value), which is all drift and the unseen count look at. Numbers
// and booleans count as their text, as a string column reads them.
func categories(c *inferlog.InputColumn) ([]string, []int64) {
	type cat struct {
		v string
		n int64
	}
	var cats []cat
	index := map[string]int{}
	add := func(b []byte) {
		// A lookup by string(b) does not allocate; only a new value is copied.
		i, ok := index[string(b)]
		if !ok {
			i = len(cats)
			v := string(b)
			index[v] = i
			cats = append(cats, cat{v: v})
		}
		cats[i].n++
	}
	for i, t := range c.Tags {
		switch t {
		case inferlog.String:
			add(c.Bytes(i))
		case inferlog.Number, inferlog.True, inferlog.False:
			s, _ := c.Text(i)
			add([]byte(s))
		}
	}
	slices.SortFunc(cats, func(a, b cat) int {
		if a.n != b.n {
			return cmp.Compare(b.n, a.n)
		}
		return cmp.Compare(a.v, b.v)
	})
	values, counts := make([]string, len(cats)), make([]int64, len(cats))
	for i, c := range cats {
		values[i], counts[i] = c.v, c.n
	}
	return values, counts
}
