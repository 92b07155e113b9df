package frame

import (
	"strconv"
	"time"
)

// Column is one named, typed column. Only the slice matching Kind is filled;
// Null always has one entry per row and marks a missing value (the value slot
// then holds the zero value).
type Column struct {
	Name    string
	Kind    Kind
	Floats  []float64
	Strings []string
	Times   []time.Time
	Null    []bool
}

// FloatColumn builds a float column with no nulls.
func FloatColumn(name string, vals []float64) *Column {
	return &Column{Name: name, Kind: Float, Floats: vals, Null: make([]bool, len(vals))}
}

// StringColumn builds a string column with no nulls.
func StringColumn(name string, vals []string) *Column {
	return &Column{Name: name, Kind: String, Strings: vals, Null: make([]bool, len(vals))}
}

// TimeColumn builds a time column with no nulls.
func TimeColumn(name string, vals []time.Time) *Column {
	return &Column{Name: name, Kind: Time, Times: vals, Null: make([]bool, len(vals))}
}

// Len is the number of rows in the column.
func (c *Column) Len() int {
	switch c.Kind {
	case Float:
		return len(c.Floats)
	case String:
		return len(c.Strings)
	case Time:
		return len(c.Times)
	}
	return 0
}

// NullCount is the number of missing values.
func (c *Column) NullCount() int {
	n := 0
	for _, isNull := range c.Null {
		if isNull {
			n++
		}
	}
	return n
}

// Format renders row i the way WriteCSV does ("" for null), so reports and
// samples show values exactly as they appear in the file.
func (c *Column) Format(i int) string {
	if c.Null[i] {
		return ""
	}
	switch c.Kind {
	case Float:
		return strconv.FormatFloat(c.Floats[i], 'g', -1, 64)
	case String:
		return c.Strings[i]
	case Time:
		return c.Times[i].Format(time.RFC3339Nano)
	}
	return ""
}

// take copies the given rows into a new column.
func (c *Column) take(rows []int) *Column {
	out := &Column{Name: c.Name, Kind: c.Kind, Null: make([]bool, len(rows))}
	for j, r := range rows {
		out.Null[j] = c.Null[r]
	}
	switch c.Kind {
	case Float:
		out.Floats = make([]float64, len(rows))
		for j, r := range rows {
			out.Floats[j] = c.Floats[r]
		}
	case String:
		out.Strings = make([]string, len(rows))
		for j, r := range rows {
			out.Strings[j] = c.Strings[r]
		}
	case Time:
		out.Times = make([]time.Time, len(rows))
		for j, r := range rows {
			out.Times[j] = c.Times[r]
		}
	}
	return out
}
