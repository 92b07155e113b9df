// Package widechurn writes the benchmarks' wide churn CSV: the churn
// generator's nine columns and three more (an email for a regex, a region
// and the total charges), twelve in all, in chunks of 1M rows so that no
// more than one chunk is ever in memory.
package widechurn

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/mlpipe/mlpipe/internal/gen"
)

// Columns is the CSV's header.
var Columns = append(append([]string{}, gen.ChurnColumns...), "email", "region", "total_charges")

var regions = []string{"north", "south", "east", "west"}

// Write writes rows of churn data, generated in chunks of 1M rows so
// that no more than one chunk is ever in memory.
func Write(path string, rows int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprintln(w, strings.Join(Columns, ","))
	const chunk = 1_000_000
	for start := 0; start < rows; start += chunk {
		writeRows(w, start, min(chunk, rows-start))
	}
	if err := w.Flush(); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// writeRows writes n customers, numbered from start+1; each chunk of 1M
// has a seed of its own, so any chunk is the same wherever it is written.
func writeRows(w *bufio.Writer, start, n int) {
	now := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
	for i, r := range gen.ChurnRows(n, int64(7+start/1_000_000), now) {
		id := fmt.Sprintf("C%09d", start+i+1)
		age := ""
		if r.Age != nil {
			age = strconv.FormatFloat(*r.Age, 'f', -1, 64)
		}
		churned := "no"
		if r.Churned {
			churned = "yes"
		}
		fmt.Fprintf(w, "%s,%s,%s,%s,%d,%.2f,%d,%s,%s,%s@example.com,%s,%.2f\n",
			id, age, r.Status, r.Plan, r.TenureMonths, r.MonthlyCharges, r.SupportCalls,
			r.LastActivity.Format(time.RFC3339), churned, strings.ToLower(id), regions[(start+i)%4],
			r.MonthlyCharges*float64(r.TenureMonths))
	}
}
