package frame

import (
	"encoding/csv"
	"fmt"
	"io"
)

// WriteCSV writes the frame with a header row: floats in strconv's shortest
// 'g' form, times as RFC3339 (with fractional seconds when present), nulls as
// empty cells. ReadCSV reads it back to an equal frame, with two limits
// inherent to CSV: a NaN float or a string cell that is itself a null token ("", "NA", ...)
// reads back as null, and a string column whose values all look like numbers
// or dates is re-inferred unless ReadOptions.Types = f.Kinds() is passed.
func (f *Frame) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(f.Names()); err != nil {
		return fmt.Errorf("write csv header: %w", err)
	}
	rec := make([]string, len(f.cols))
	for r := 0; r < f.rows; r++ {
		for i, c := range f.cols {
			rec[i] = c.Format(r)
		}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("write csv row %d: %w", r+1, err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}
