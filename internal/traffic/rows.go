package traffic

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
)

// shot is one prepared request: its body, and what to send back later.
type shot struct {
	body     []byte
	routeKey string
	label    string
	hasLabel bool
	value    float64
}

// prepare encodes every row once, so the replay loop only sends bytes.
// Every row carries every column any row has: a cell the data leaves
// empty is sent as null, which the gateway reads as an unknown value to
// impute, where a missing key would be refused. Requests say
// "strict": false, because a replayed file holds columns the model does
// not take (an ID, the label when there is no label column).
func prepare(o Options) ([]shot, error) {
	columns := allColumns(o.Rows, o.LabelColumn)
	shots := make([]shot, len(o.Rows))
	for i, row := range o.Rows {
		s := &shots[i]
		if o.LabelColumn != "" {
			if v, ok := row[o.LabelColumn]; ok && v != nil {
				s.label, s.hasLabel = text(v), true
			}
		}
		send := make(map[string]any, len(columns))
		for _, c := range columns {
			send[c] = row[c] // nil where the row has no value
		}
		if o.ValueColumn != "" && s.hasLabel {
			v, err := number(row[o.ValueColumn])
			if err != nil {
				return nil, fmt.Errorf("traffic: row %d: value column %q: %w", i+1, o.ValueColumn, err)
			}
			s.value = v
		}
		if o.StickyKey != "" {
			if v, ok := row[o.StickyKey]; ok && v != nil {
				s.routeKey = text(v)
			}
		}
		body, err := json.Marshal(request{Instances: []map[string]any{send}, Strict: false})
		if err != nil {
			return nil, fmt.Errorf("traffic: row %d: %w", i+1, err)
		}
		s.body = body
	}
	return shots, nil
}

// request is a predict body.
type request struct {
	Instances []map[string]any `json:"instances"`
	Strict    bool             `json:"strict"`
}

// allColumns is every key of any row but the label, sorted.
func allColumns(rows []map[string]any, label string) []string {
	seen := map[string]bool{}
	for _, row := range rows {
		for k := range row {
			seen[k] = true
		}
	}
	delete(seen, label)
	return slices.Sorted(maps.Keys(seen))
}

// text spells a field value as the data does: 1 not 1.000000.
func text(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	default:
		return fmt.Sprint(v)
	}
}

// number reads a business value; a missing one is 0.
func number(v any) (float64, error) {
	switch v := v.(type) {
	case nil:
		return 0, nil
	case float64:
		return v, nil
	case int:
		return float64(v), nil
	case int64:
		return float64(v), nil
	case json.Number:
		return v.Float64()
	case string:
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return 0, fmt.Errorf("%q is not a number", v)
		}
		return f, nil
	default:
		return 0, fmt.Errorf("%v (%T) is not a number", v, v)
	}
}
