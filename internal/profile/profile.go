// Package profile holds the statistical profile of a table: per column its
// type, null rate, range, moments, quantiles, a histogram on quantile bins
// and the top categories. The data plane writes one for every validated
// dataset; it is stored with the model version and is the reference that
// the monitor measures drift against.
package profile

import "time"

// Version is the profile format; readers refuse a newer one.
const Version = 1

// QuantileProbs is the number of quantiles kept per numeric column, at
// probabilities 0, 1/(QuantileProbs-1), ..., 1. 101 points (every
// percentile) let a reader rebuild the reference CDF to within 1%.
const QuantileProbs = 101

// Bins is the number of quantile bins of a numeric column's histogram
// (deciles): the bins PSI is computed on.
const Bins = 10

// TopCategories is the most categories kept per string column; the rest
// are counted together in OtherCount.
const TopCategories = 50

// Profile describes one table.
type Profile struct {
	Version int `json:"version"`
	// Rows is the number of rows profiled.
	Rows int64 `json:"rows"`
	// Source names what was profiled (the dataset's URI and digest).
	Source string `json:"source,omitempty"`
	// Created is when the profile was computed.
	Created time.Time `json:"created,omitzero"`
	Columns []Column  `json:"columns"`
}

// Column describes one column. Numeric fields are set for float columns,
// Categories for string columns; time columns carry Min/Max/quantiles as
// Unix seconds.
type Column struct {
	Name string `json:"name"`
	// Kind is "float", "string" or "time", as frame.Kind names them.
	Kind     string  `json:"kind"`
	Count    int64   `json:"count"` // non-null values
	Nulls    int64   `json:"nulls"`
	NullRate float64 `json:"null_rate"`
	Distinct int64   `json:"distinct"`

	Min  *float64 `json:"min,omitempty"`
	Max  *float64 `json:"max,omitempty"`
	Mean *float64 `json:"mean,omitempty"`
	Std  *float64 `json:"std,omitempty"` // sample standard deviation
	// Quantiles holds QuantileProbs values at evenly spaced probabilities
	// (linear interpolation between order statistics, as numpy's default).
	Quantiles []float64 `json:"quantiles,omitempty"`
	// Edges are the Bins+1 histogram edges: the quantiles at 0, 0.1, ...,
	// 1, with duplicates removed (a column with few values has fewer
	// bins). Counts[i] counts values in [Edges[i], Edges[i+1]), the last
	// bin closed on the right.
	Edges  []float64 `json:"edges,omitempty"`
	Counts []int64   `json:"counts,omitempty"`

	// Categories are the most frequent values, most frequent first (ties
	// by value), at most TopCategories of them.
	Categories []Category `json:"categories,omitempty"`
	// OtherCount counts the non-null values not in Categories.
	OtherCount int64 `json:"other_count,omitempty"`
}

// Category is one value of a string column and how often it occurs.
type Category struct {
	Value string `json:"value"`
	Count int64  `json:"count"`
}

// Col finds a column by name.
func (p *Profile) Col(name string) (*Column, bool) {
	for i := range p.Columns {
		if p.Columns[i].Name == name {
			return &p.Columns[i], true
		}
	}
	return nil, false
}
