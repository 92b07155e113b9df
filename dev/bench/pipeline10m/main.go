// Command pipeline10m takes a large generated churn CSV (10M rows × 12
// columns, about 1 GB, by default) through the pipeline's first four
// stages, ingestion → validation → features → logistic training, one after
// another as the pipeline runs them, and reports each stage's wall time,
// CPU time and peak RSS.
//
// Each stage is the activity itself (activities.IngestData, ValidateData,
// EngineerFeatures, TrainModel) run in-process by the Temporal SDK's
// activity test environment, in a process of its own, so that a stage's
// peak RSS is its own: a worker runs one stage's activity at a time, and
// its peak is the largest of the four. Stages hand on their results as the
// workflow does, through a file-backed artifact store shared by the four.
//
//	go run ./dev/bench/pipeline10m
//	go run ./dev/bench/pipeline10m -rows 1000000 -epochs 2
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mlpipe/mlpipe/dev/bench/internal/child"
	"github.com/mlpipe/mlpipe/dev/bench/internal/widechurn"
)

func main() {
	rows := flag.Int("rows", 10_000_000, "rows of generated churn data")
	epochs := flag.Int("epochs", 3, "training epochs (adam, mini-batches of -batch rows)")
	batch := flag.Int("batch", 4096, "training mini-batch size")
	keep := flag.String("dir", "", "work folder to use and keep (default: a temporary one, removed); a CSV already there is used as is")
	only := flag.String("stages", strings.Join(stages, ","), "the stages to run, in order; a later one uses the results an earlier run left in -dir")
	stage := flag.String("child", "", "internal: run one stage (ingest, validate, features, train) in the work folder given as argument")
	flag.Parse()
	var err error
	if *stage != "" {
		err = runStage(*stage, flag.Arg(0), *epochs, *batch)
	} else {
		err = run(*rows, *epochs, *batch, *keep, strings.Split(*only, ","))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench pipeline10m:", err)
		os.Exit(1)
	}
}

// stages are the pipeline's stages in the order it runs them.
var stages = []string{"ingest", "validate", "features", "train"}

func run(rows, epochs, batch int, keep string, only []string) error {
	dir := keep
	if dir == "" {
		d, err := os.MkdirTemp("", "mlpipe-bench-pipeline10m-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	data := filepath.Join(dir, "churn.csv")
	start := time.Now()
	if _, err := os.Stat(data); err != nil {
		if err := widechurn.Write(data, rows); err != nil {
			return fmt.Errorf("generate: %w", err)
		}
	}
	st, err := os.Stat(data)
	if err != nil {
		return err
	}
	fmt.Printf("data: %d rows × %d columns of churn, %.0f MB of CSV (written in %.0f s, not timed below)\n",
		rows, len(widechurn.Columns), float64(st.Size())/1e6, time.Since(start).Seconds())
	fmt.Printf("training: logistic, adam, %d epochs, batches of %d; GOMEMLIMIT=%q\n", epochs, batch, os.Getenv("GOMEMLIMIT"))
	self, err := os.Executable()
	if err != nil {
		return err
	}
	fmt.Println("\n| stage | wall | CPU user+sys | peak RSS | what it did |")
	fmt.Println("| --- | ---: | ---: | ---: | --- |")
	var total time.Duration
	peak := 0.0
	for _, s := range only {
		m, err := child.Measure(self, "-child", s, "-epochs", fmt.Sprint(epochs), "-batch", fmt.Sprint(batch), dir)
		if err != nil {
			return fmt.Errorf("stage %s: %w", s, err)
		}
		note, err := os.ReadFile(filepath.Join(dir, s+".note"))
		if err != nil {
			return err
		}
		total += m.Wall
		peak = max(peak, m.RSSMB)
		fmt.Printf("| %s | %.1f s | %.1f s | %.0f MB | %s |\n", s, m.Wall.Seconds(), m.CPU.Seconds(), m.RSSMB, strings.TrimSpace(string(note)))
	}
	fmt.Printf("| all | %.1f s | | %.0f MB (largest stage) | |\n", total.Seconds(), peak)
	return nil
}
