package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"time"

	"github.com/mlpipe/mlpipe/internal/dataplane"
	"github.com/mlpipe/mlpipe/internal/features"
	"github.com/mlpipe/mlpipe/internal/frame"
)

var numericCols = []string{"age", "tenure_months", "monthly_charges", "support_calls"}

// runFitStats times the numeric fit statistics (median imputation, then
// mean and population std of the imputed column) in Go over the typed
// columns and in one DuckDB query over a table of the same data, and says
// how far apart the numbers are.
func runFitStats(w io.Writer, data string) error {
	in, err := os.Open(data)
	if err != nil {
		return err
	}
	f, err := frame.ReadCSV(in, frame.ReadOptions{Source: data})
	in.Close()
	if err != nil {
		return err
	}
	cols := make([]features.ColumnSpec, len(numericCols))
	for i, c := range numericCols {
		cols[i] = features.ColumnSpec{Column: c, Impute: features.ImputeMedian, Scale: features.ScaleStandard}
	}
	s := features.Spec{Target: "churned", Positive: "yes", Columns: cols}
	start := time.Now()
	tr, err := features.Fit(f, s)
	if err != nil {
		return err
	}
	goTime := time.Since(start)

	eng, err := dataplane.Open(dataplane.Options{MemoryLimit: "2GB"})
	if err != nil {
		return err
	}
	defer eng.Close()
	ctx := context.Background()
	load := fmt.Sprintf("CREATE TABLE t AS SELECT * FROM read_csv(%s, header = true)", dataplane.Quote(data))
	if _, err := eng.DB().ExecContext(ctx, load); err != nil {
		return fmt.Errorf("duckdb load: %w", err)
	}
	// Median first, then the statistics of the column with nulls replaced
	// by it, as Fit computes them.
	q := "WITH m AS (SELECT "
	for i, c := range numericCols {
		if i > 0 {
			q += ", "
		}
		q += fmt.Sprintf("median(%s) AS m%d", dataplane.Ident(c), i)
	}
	q += " FROM t) SELECT "
	for i, c := range numericCols {
		if i > 0 {
			q += ", "
		}
		v := fmt.Sprintf("coalesce(%s, m%d)", dataplane.Ident(c), i)
		q += fmt.Sprintf("any_value(m%d), avg(%s), stddev_pop(%s)", i, v, v)
	}
	q += " FROM t, m"
	start = time.Now()
	row := eng.DB().QueryRowContext(ctx, q)
	got := make([]float64, 3*len(numericCols))
	ptrs := make([]any, len(got))
	for i := range got {
		ptrs[i] = &got[i]
	}
	if err := row.Scan(ptrs...); err != nil {
		return fmt.Errorf("duckdb query: %w", err)
	}
	duckTime := time.Since(start)

	fmt.Fprintf(w, "| engine | time | \n| --- | ---: |\n| Go, features.Fit over typed columns | %.0f ms |\n| DuckDB, one query over a loaded table | %.0f ms |\n",
		goTime.Seconds()*1000, duckTime.Seconds()*1000)
	worst := 0.0
	for i, c := range tr.Columns {
		for _, pair := range [][2]float64{{c.FillValue, got[3*i]}, {c.Offset, got[3*i+1]}, {c.Divisor, got[3*i+2]}} {
			rel := math.Abs(pair[0]-pair[1]) / math.Max(math.Abs(pair[0]), 1e-300)
			if rel > worst {
				worst = rel
			}
		}
	}
	fmt.Fprintf(w, "largest relative difference between the two: %.3g\n", worst)
	return nil
}
