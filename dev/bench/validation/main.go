// Command validation compares mlpipe's validation engine with pandas and
// with one bare DuckDB query, each doing the same 15 checks on the same
// generated churn CSV (1M rows × 12 columns by default), read included,
// each side in a process of its own so that wall time and peak RSS are the
// whole process's:
//
//   - mlpipe: `mlpipe validate`'s path: dataplane.Load (mlpipe's CSV rules,
//     typed), then expect.Evaluate with Great Expectations' result format
//     (counts, percentages, partial_unexpected_list of failures) and the
//     JSON report;
//   - mlpipe on Parquet: the pipeline's path, the same suite on the typed
//     Parquet file ingestion stores (written before the clock starts);
//   - pandas (/usr/bin/python3): read_csv, then the same checks with the
//     same counts and samples;
//   - DuckDB: one SQL query over read_csv with every check as an aggregate,
//     counts only (no samples, no report).
//
// With -rows 100000000 only mlpipe runs, once, and rows/s and peak RSS are
// reported.
//
//	go run ./dev/bench/validation
//	go run ./dev/bench/validation -rows 100000000
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/mlpipe/mlpipe/dev/bench/internal/widechurn"
)

func main() {
	rows := flag.Int("rows", 1_000_000, "rows of generated churn data")
	repeats := flag.Int("repeats", 5, "runs per side, alternating; the median is reported")
	python := flag.String("python", "/usr/bin/python3", "Python with pandas")
	memory := flag.String("memory", "160MB", "DuckDB's memory_limit for the mlpipe side")
	child := flag.String("child", "", "internal: run one side (mlpipe, parquet, duckdb) or step (gen, toparquet) on the file given as argument")
	flag.Parse()
	var err error
	switch *child {
	case "mlpipe":
		err = runMlpipe(flag.Arg(0), *memory, false)
	case "parquet":
		err = runMlpipe(flag.Arg(0), *memory, true)
	case "duckdb":
		err = runDuckDB(flag.Arg(0))
	case "gen":
		err = widechurn.Write(flag.Arg(0), *rows)
	case "toparquet":
		err = toParquet(flag.Arg(0), flag.Arg(1))
	case "":
		err = run(*rows, *repeats, *python, *memory)
	default:
		err = fmt.Errorf("unknown -child %q", *child)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench validation:", err)
		os.Exit(1)
	}
}
