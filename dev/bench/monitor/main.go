// Command monitor compares the ModelMonitor's analysis of one window with
// the same statistics in pandas + scipy, each side in a process of its
// own so that wall time and peak RSS are the whole process's. The window
// is 1,000,000 logged predictions × 12 features and 100,000 joined labels
// by default, written by the gateway's own log writer (inferlog.Writer)
// as Parquet batches into a file:// store before the clock starts.
//
//   - mlpipe: activities.AnalyzeLog, the function the AnalyzeWindow
//     activity runs, in-process: inferlog.Read of the Parquet batches
//     (predictions, feedback and requests into DuckDB without the inputs;
//     the inputs parsed in Go, on every core, from the Parquet pages),
//     then data quality (schema, nulls, ranges, unseen
//     categories, the expectation suite), drift of every feature, the
//     prediction and the labels against the reference profile,
//     performance (latency, accuracy/F1/AUC with intervals on the joined
//     labels, calibrated CBPE) and business figures; then the snapshot's
//     JSON and HTML page.
//   - pandas + scipy (/usr/bin/python3): the same log records and the
//     same statistics. Debian's pandas has no Parquet reader (no
//     pyarrow), so the records are handed to it as a pandas pickle of the
//     same rows, made from the Parquet files before the clock starts:
//     the fastest load pandas has.
//
// Run it with:
//
//	go run ./dev/bench/monitor
//
// -snapshot FILE with -child mlpipe also writes the snapshot's JSON, to
// check that two builds measure the same numbers.
package main

import (
	"flag"
	"fmt"
	"os"

	proc "github.com/mlpipe/mlpipe/dev/bench/internal/child"
)

func main() {
	rows := flag.Int("rows", 1_000_000, "logged predictions in the window")
	labels := flag.Int("labels", 100_000, "feedback rows joined to them")
	repeats := flag.Int("repeats", 3, "runs per side, alternating; the median is reported")
	python := flag.String("python", "/usr/bin/python3", "Python with pandas and scipy")
	cpuprofile := flag.String("cpuprofile", "", "with -child mlpipe: write a CPU profile here")
	snapshot := flag.String("snapshot", "", "with -child mlpipe: also write the snapshot's JSON here (to compare two builds)")
	child := flag.String("child", "", "internal: run one side (mlpipe) or step (gen, export) on the folder given as argument")
	flag.Parse()
	var err error
	switch *child {
	case "gen":
		err = generate(flag.Arg(0), *rows, *labels)
	case "export":
		err = export(flag.Arg(0))
	case "mlpipe":
		err = proc.Profiled(*cpuprofile, func() error { return runMlpipe(flag.Arg(0), *snapshot) })
	case "":
		err = run(*rows, *labels, *repeats, *python)
	default:
		err = fmt.Errorf("unknown -child %q", *child)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench monitor:", err)
		os.Exit(1)
	}
}
