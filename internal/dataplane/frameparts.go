package dataplane

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mlpipe/mlpipe/internal/frame"
)

// Keep says whether a column's values are read into a frame. A column it
// refuses is still in the frame, with its kind and every value missing, so
// names, kinds and the checks that look only at them stay whole, at the
// cost of a few bytes a row shared by all such columns. Nil keeps every
// column.
type Keep func(name string, kind frame.Kind) bool

// ReadFrameParts reads a Parquet file into len(keep) frames in one scan:
// row i goes to frame part[i] (no frame when it is negative; every row to
// frame 0 when part is nil), in file order, and frame p holds the values
// of the columns keep[p] keeps. This lets a stage hold a split of a large
// table, and only the columns it uses, instead of the whole table and a
// copy of it.
func (e *Engine) ReadFrameParts(ctx context.Context, parquetPath string, part []int8, keep []Keep) ([]*frame.Frame, error) {
	cols, err := describe(ctx, e.db, fmt.Sprintf("SELECT * FROM read_parquet(%s)", quote(parquetPath)))
	if err != nil {
		return nil, frame.DataErrorf("%s: not readable as parquet: %v", parquetPath, err)
	}
	return e.readParts(ctx, parquetRelation(parquetPath, cols), parquetPath, cols, part, keep)
}

// maxInterned bounds the distinct strings a column shares: categories
// repeat, and sharing them saves a string a cell; identifiers do not.
const maxInterned = 1 << 12

// readBatch is how many rows one query of readParts returns: the driver
// holds a whole result in memory. Tests lower it.
var readBatch int64 = 1 << 18

// relation is what readParts reads: from names it in a FROM clause;
// numbered, when set, is the same with a row number column rowCol
// (0-based, in order) to select batches by.
type relation struct {
	from, numbered, rowCol string
}

// parquetRelation reads a Parquet file, numbering its rows unless a
// column already has that name.
func parquetRelation(path string, cols []colType) relation {
	rel := relation{from: fmt.Sprintf("read_parquet(%s)", quote(path))}
	if !slices.ContainsFunc(cols, func(c colType) bool { return strings.EqualFold(c.name, "file_row_number") }) {
		rel.numbered, rel.rowCol = fmt.Sprintf("read_parquet(%s, file_row_number = true)", quote(path)), "file_row_number"
	}
	return rel
}

// scan runs one query and hands each row to take.
func (e *Engine) scan(ctx context.Context, q, src string, take func(*sql.Rows) error) error {
	rows, err := e.db.QueryContext(ctx, q)
	if err != nil {
		return fmt.Errorf("%s: read: %w", src, err)
	}
	defer func() { _ = rows.Close() }()
	for rows.Next() {
		if err := take(rows); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%s: read: %w", src, err)
	}
	return nil
}

// partReader fills one frame of ReadFrameParts.
type partReader struct {
	cols []*frame.Column
	// read marks the columns whose values are read.
	read []bool
	rows int
}

func (e *Engine) readParts(ctx context.Context, rel relation, src string, cols []colType, part []int8, keep []Keep) ([]*frame.Frame, error) {
	var n int64
	if err := e.db.QueryRowContext(ctx, "SELECT count(*) FROM "+rel.from).Scan(&n); err != nil {
		return nil, frame.DataErrorf("%s: not readable as parquet: %v", src, err)
	}
	sizes, err := partSizes(src, n, part, len(keep))
	if err != nil {
		return nil, err
	}
	kinds := make([]frame.Kind, len(cols))
	exprs := make([]string, len(cols))
	for i, c := range cols {
		k, ok := kindOf(c.typ)
		if !ok {
			return nil, frame.DataErrorf("%s: column %q has type %s, which mlpipe cannot use", src, c.name, c.typ)
		}
		kinds[i] = k
		id := Ident(c.name)
		switch k {
		case frame.Float:
			exprs[i] = fmt.Sprintf("CAST(%s AS DOUBLE)", id)
		case frame.Time:
			exprs[i] = fmt.Sprintf("CAST(%s AS TIMESTAMP)", id)
		default:
			exprs[i] = id
		}
	}
	parts := make([]*partReader, len(keep))
	// read marks the columns some part reads: the others are not scanned.
	read := make([]bool, len(cols))
	for p, kp := range keep {
		pr := &partReader{cols: make([]*frame.Column, len(cols)), read: make([]bool, len(cols))}
		m := sizes[p]
		empty := &frame.Column{}
		for i, c := range cols {
			pr.read[i] = kp == nil || kp(c.name, kinds[i])
			read[i] = read[i] || pr.read[i]
			col := &frame.Column{Name: c.name, Kind: kinds[i]}
			if !pr.read[i] {
				pr.cols[i] = missing(empty, col, m)
				continue
			}
			col.Null = make([]bool, m)
			switch kinds[i] {
			case frame.Float:
				col.Floats = make([]float64, m)
			case frame.String:
				col.Strings = make([]string, m)
			case frame.Time:
				col.Times = make([]time.Time, m)
			}
			pr.cols[i] = col
		}
		parts[p] = pr
	}
	var sel []string
	var idx []int
	for i := range cols {
		if read[i] {
			sel = append(sel, exprs[i])
			idx = append(idx, i)
		}
	}
	if len(sel) == 0 {
		sel = []string{"NULL"}
	}
	fl := make([]sql.NullFloat64, len(cols))
	st := make([]sql.NullString, len(cols))
	tm := make([]sql.NullTime, len(cols))
	dest := make([]any, len(idx))
	for j, i := range idx {
		switch kinds[i] {
		case frame.Float:
			dest[j] = &fl[i]
		case frame.String:
			dest[j] = &st[i]
		case frame.Time:
			dest[j] = &tm[i]
		}
	}
	if len(dest) == 0 {
		var skip any
		dest = []any{&skip}
	}
	interned := make([]map[string]string, len(cols))
	for _, i := range idx {
		if kinds[i] == frame.String {
			interned[i] = make(map[string]string)
		}
	}
	var r int64
	// take moves one result row, row r of the table, into its part.
	take := func(rows *sql.Rows) error {
		if r >= n {
			return fmt.Errorf("%s: more rows than the %d counted", src, n)
		}
		p := 0
		if part != nil {
			p = int(part[r])
		}
		r++
		if p < 0 {
			return nil
		}
		if err := rows.Scan(dest...); err != nil {
			return fmt.Errorf("%s: row %d: %w", src, r, err)
		}
		pr := parts[p]
		at := pr.rows
		for _, i := range idx {
			if !pr.read[i] {
				continue
			}
			c := pr.cols[i]
			switch c.Kind {
			case frame.Float:
				c.Floats[at], c.Null[at] = fl[i].Float64, !fl[i].Valid
			case frame.String:
				v := st[i].String
				if s, ok := interned[i][v]; ok {
					v = s
				} else if len(interned[i]) < maxInterned {
					interned[i][v] = v
				}
				c.Strings[at], c.Null[at] = v, !st[i].Valid
			case frame.Time:
				if tm[i].Valid {
					c.Times[at] = tm[i].Time.UTC()
				}
				c.Null[at] = !tm[i].Valid
			}
		}
		pr.rows++
		return nil
	}
	// The driver holds a query's whole result in memory, so the rows come
	// a batch at a time, selected by row number: a filter the Parquet
	// reader and tables answer without scanning the other rows.
	batches := []string{""}
	if rel.numbered != "" && n > readBatch {
		batches = batches[:0]
		for lo := int64(0); lo < n; lo += readBatch {
			batches = append(batches, fmt.Sprintf(" WHERE %s >= %d AND %s < %d", rel.rowCol, lo, rel.rowCol, lo+readBatch))
		}
	}
	for _, where := range batches {
		from := rel.from
		if where != "" {
			from = rel.numbered
		}
		if err := e.scan(ctx, fmt.Sprintf("SELECT %s FROM %s%s", strings.Join(sel, ", "), from, where), src, take); err != nil {
			return nil, err
		}
	}
	if r != n {
		return nil, fmt.Errorf("%s: read %d rows of the %d counted", src, r, n)
	}
	out := make([]*frame.Frame, len(parts))
	for p, pr := range parts {
		f, err := frame.New(pr.cols...)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", src, err)
		}
		out[p] = f
	}
	return out, nil
}

// missing fills col with m missing values, sharing the slices of shared,
// which holds those of the kinds met so far.
func missing(shared, col *frame.Column, m int) *frame.Column {
	if shared.Null == nil {
		shared.Null = make([]bool, m)
		for i := range shared.Null {
			shared.Null[i] = true
		}
	}
	col.Null = shared.Null
	switch col.Kind {
	case frame.Float:
		if shared.Floats == nil {
			shared.Floats = make([]float64, m)
		}
		col.Floats = shared.Floats
	case frame.String:
		if shared.Strings == nil {
			shared.Strings = make([]string, m)
		}
		col.Strings = shared.Strings
	case frame.Time:
		if shared.Times == nil {
			shared.Times = make([]time.Time, m)
		}
		col.Times = shared.Times
	}
	return col
}

// partSizes counts the rows of each of parts parts that part assigns the
// n rows of src to (nil: every row to part 0; a negative entry: none).
func partSizes(src string, n int64, part []int8, parts int) ([]int, error) {
	if part != nil && int64(len(part)) != n {
		return nil, fmt.Errorf("%s: %d rows, but %d are assigned to parts", src, n, len(part))
	}
	sizes := make([]int, parts)
	if part == nil {
		sizes[0] = int(n)
		return sizes, nil
	}
	for _, p := range part {
		if p >= 0 {
			if int(p) >= parts {
				return nil, fmt.Errorf("%s: part %d of %d", src, p, parts)
			}
			sizes[p]++
		}
	}
	return sizes, nil
}
