package inferlog

import (
	"database/sql"
	"fmt"
	"math"
	"strings"

	"github.com/mlpipe/mlpipe/internal/dataplane"
)

// inputs parses the inputs of the request records in files (those the
// predictions table was loaded from, in the same order) on every core,
// reading the files in Go; where a file's records cannot be listed so,
// the engine streams them instead.
//
// It runs beside the engine's other loads, so it changes nothing in r:
// the warnings it returns are for WindowInfo.Skipped.
func (r *reader) inputs(files []string, where string, args ...any) (*Inputs, []string, error) {
	in, warnings, err := readParquetInputs(r.ctx, files, filter{model: r.w.Model, from: micros(r.w.From), to: micros(r.w.To)})
	if err == nil {
		for _, w := range warnings {
			r.w.Logger.Warn("inference log: skipped inputs that cannot be read", "detail", w)
		}
		return in, warnings, nil
	}
	if cerr := r.ctx.Err(); cerr != nil {
		return nil, nil, fmt.Errorf("inference log window: %w", cerr)
	}
	r.w.Logger.Warn("inference log: reading the inputs through the engine", "err", err)
	in, err = r.streamInputs(files, where, args...)
	return in, nil, err
}

// streamInputs streams the inputs of the request records in files from
// the engine and parses them on every core. Only that column, the row
// counts and the probabilities cross into Go: a record per request is a
// hundredth of the crossings of a row per prediction.
func (r *reader) streamInputs(files []string, where string, args ...any) (*Inputs, error) {
	list := make([]string, len(files))
	for i, f := range files {
		list[i] = dataplane.Quote(f)
	}
	if len(files) == 0 {
		return &Inputs{}, nil
	}
	from := fmt.Sprintf(`read_parquet([%s]) %s`, strings.Join(list, ", "), where)
	// The rows first, so that every key's column is made once, whole.
	var total int64
	if err := r.db.QueryRowContext(r.ctx, `SELECT coalesce(sum(len(predictions)), 0) FROM `+from, args...).Scan(&total); err != nil {
		return nil, fmt.Errorf("inference log window: count the inputs: %w", err)
	}
	stmt := `SELECT inputs, CAST(coalesce(len(predictions), 0) AS BIGINT), probability FROM ` + from
	rows, err := r.db.QueryContext(r.ctx, stmt, args...)
	if err != nil {
		return nil, fmt.Errorf("inference log window: read the inputs: %w", err)
	}
	defer rows.Close()
	probs := make([]float64, 0, total)
	next := func() (request, bool, error) {
		if !rows.Next() {
			return request{}, false, rows.Err()
		}
		var in sql.NullString
		var n sql.NullInt64
		var p any
		if err := rows.Scan(&in, &n, &p); err != nil {
			return request{}, false, err
		}
		if !in.Valid {
			in.String = "null"
		}
		list, _ := p.([]any)
		for _, v := range list {
			if f, ok := v.(float64); ok && !math.IsNaN(f) && !math.IsInf(f, 0) {
				probs = append(probs, f)
			}
		}
		return request{inputs: in.String, rows: int(n.Int64)}, true, nil
	}
	parsed, err := parseRequests(r.ctx, int(total), next)
	if err != nil {
		return nil, fmt.Errorf("inference log window: read the inputs: %w", err)
	}
	parsed.Probabilities = probs
	return parsed, nil
}
