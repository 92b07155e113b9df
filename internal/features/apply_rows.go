package features

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/mlpipe/mlpipe/internal/frame"
)

// ApplyRows encodes raw rows as decoded from a JSON request body, giving the
// same matrix Apply gives for the same values. A value may be a float64,
// json.Number, an integer, a string (numbers and timestamps may be quoted),
// a bool (as "true"/"false" for string columns) or nil; a missing key is
// null. Keys the transform does not use, the target included, are ignored.
func (t *Transform) ApplyRows(rows []map[string]any) ([]float64, error) {
	w := t.NumOutputs()
	X := make([]float64, len(rows)*w)
	off := 0
	for ci := range t.Columns {
		fc := &t.Columns[ci]
		width := len(fc.Outputs)
		var index map[string]int
		if fc.Kind == frame.String {
			index = fc.categoryIndex()
		}
		for r, row := range rows {
			raw := row[fc.Column]
			dst := X[r*w+off : r*w+off+width]
			var err error
			switch fc.Kind {
			case frame.Time:
				var ts time.Time
				var null bool
				if ts, null, err = rawTime(raw); err == nil {
					err = fc.encodeTime(ts, null, dst)
				}
			case frame.String:
				var s string
				var null bool
				if s, null, err = rawString(raw); err == nil {
					err = fc.encodeString(index, s, null, dst)
				}
			default:
				var v float64
				var null bool
				if v, null, err = rawNumber(raw); err == nil {
					dst[0], err = fc.encodeNumber(v, null)
				}
			}
			if err != nil {
				return nil, fmt.Errorf("features: rows[%d].%s: %w", r, fc.Column, err)
			}
		}
		off += width
	}
	return X, nil
}

// rawTime reads a timestamp as Apply would see it in a CSV cell.
func rawTime(raw any) (ts time.Time, null bool, err error) {
	switch x := raw.(type) {
	case nil:
		return ts, true, nil
	case string:
		if frame.IsNullToken(x) {
			return ts, true, nil
		}
		ts, err := frame.ParseTime(x)
		return ts, false, err
	case time.Time:
		return x, false, nil
	}
	return ts, false, fmt.Errorf("%v (%T) is not a timestamp; send an RFC3339 string", raw, raw)
}

// rawNumber reads a numeric value as Apply would see it in a CSV cell.
func rawNumber(raw any) (v float64, null bool, err error) {
	switch x := raw.(type) {
	case nil:
		return 0, true, nil
	case float64:
		return x, math.IsNaN(x), nil
	case float32:
		return float64(x), false, nil
	case int:
		return float64(x), false, nil
	case int64:
		return float64(x), false, nil
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return 0, false, fmt.Errorf("%q is not a number", x.String())
		}
		return f, false, nil
	case string:
		if frame.IsNullToken(x) {
			return 0, true, nil
		}
		f, err := strconv.ParseFloat(x, 64)
		if err != nil {
			return 0, false, fmt.Errorf("%q is not a number", x)
		}
		return f, false, nil
	}
	return 0, false, fmt.Errorf("%v (%T) is not a number", raw, raw)
}

// rawString reads a categorical value as Apply would see it in a CSV cell.
func rawString(raw any) (s string, null bool, err error) {
	switch x := raw.(type) {
	case nil:
		return "", true, nil
	case string:
		return x, frame.IsNullToken(x), nil
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), math.IsNaN(x), nil
	case int:
		return strconv.Itoa(x), false, nil
	case int64:
		return strconv.FormatInt(x, 10), false, nil
	case json.Number:
		return x.String(), false, nil
	case bool:
		return strconv.FormatBool(x), false, nil
	}
	return "", false, fmt.Errorf("%v (%T) is not a string", raw, raw)
}
