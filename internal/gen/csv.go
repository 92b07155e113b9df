package gen

import (
	"encoding/csv"
	"fmt"
	"io"
)

// writeCSV writes header and then n rows as CSV, row i filled into a
// record of len(header) fields by fill; what names the data in errors.
func writeCSV(w io.Writer, what string, header []string, n int, fill func(i int, rec []string)) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return fmt.Errorf("write %s header: %w", what, err)
	}
	rec := make([]string, len(header))
	for i := range n {
		fill(i, rec)
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("write %s row: %w", what, err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write %s csv: %w", what, err)
	}
	return nil
}
