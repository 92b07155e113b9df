// Command features compares mlpipe's feature engineering with pandas and
// scikit-learn's ColumnTransformer on the same generated churn data (1M rows
// by default), read included, each side in a process of its own so that
// wall time and peak RSS are the whole process's: mlpipe reads the Parquet
// file ingestion writes (as the feature stage does) or, for comparison,
// the CSV itself, fits the kind-selected transform (numeric: median + standard; categorical:
// most_frequent + one-hot; time: age in days, mean + standard), applies it
// and writes the binary matrix; scikit-learn reads with pandas, fits and
// transforms with the same steps and saves the matrix with numpy.
//
// It also times the fit statistics both ways on the typed columns: mlpipe's
// Go (features.Fit) against one DuckDB query over the same data loaded in
// a table (mean, population std, median, min, max per numeric column).
//
//	go run ./dev/bench/features
//	go run ./dev/bench/features -rows 100000 -repeats 1
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/mlpipe/mlpipe/dev/bench/internal/child"

	"github.com/mlpipe/mlpipe/internal/gen"
)

func main() {
	rows := flag.Int("rows", 1_000_000, "rows of generated churn data")
	repeats := flag.Int("repeats", 3, "runs per side, alternating; the median is reported")
	python := flag.String("python", "/usr/bin/python3", "Python with scikit-learn and pandas")
	child := flag.String("child", "", "internal: run one side (mlpipe, mlpipe-parquet or fitstats) on the file given as argument")
	flag.Parse()
	var err error
	switch *child {
	case "mlpipe":
		err = runMlpipe(flag.Arg(0), flag.Arg(1))
	case "mlpipe-parquet":
		err = runMlpipeParquet(flag.Arg(0), flag.Arg(1))
	case "fitstats":
		err = runFitStats(os.Stdout, flag.Arg(0))
	case "":
		err = run(*rows, *repeats, *python)
	default:
		err = fmt.Errorf("unknown -child %q", *child)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench features:", err)
		os.Exit(1)
	}
}

func run(rows, repeats int, python string) error {
	dir, err := os.MkdirTemp("", "mlpipe-bench-features-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	data := filepath.Join(dir, "churn.csv")
	f, err := os.Create(data)
	if err != nil {
		return err
	}
	now := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
	if err := gen.Churn(f, rows, 7, now); err != nil {
		f.Close()
		return fmt.Errorf("generate: %w", err)
	}
	if err := f.Close(); err != nil {
		return err
	}
	st, err := os.Stat(data)
	if err != nil {
		return err
	}
	fmt.Printf("data: %d rows of churn, %.0f MB of CSV\n", rows, float64(st.Size())/1e6)
	self, err := os.Executable()
	if err != nil {
		return err
	}
	parquet := filepath.Join(dir, "data.parquet")
	if err := writeParquet(data, parquet); err != nil {
		return err
	}
	var ml, mp, sk []child.Sample
	for i := 0; i < repeats; i++ {
		m, err := child.Measure(self, "-child", "mlpipe", data, filepath.Join(dir, "X.matrix"))
		if err != nil {
			return fmt.Errorf("mlpipe side: %w", err)
		}
		ml = append(ml, m)
		m, err = child.Measure(self, "-child", "mlpipe-parquet", parquet, filepath.Join(dir, "X.matrix"))
		if err != nil {
			return fmt.Errorf("mlpipe side (parquet): %w", err)
		}
		mp = append(mp, m)
		s, err := child.Measure(python, "-c", sklearnScript, data, filepath.Join(dir, "X.npy"))
		if err != nil {
			return fmt.Errorf("scikit-learn side (install python3-sklearn python3-pandas): %w", err)
		}
		sk = append(sk, s)
	}
	m, q, s := child.Median(ml), child.Median(mp), child.Median(sk)
	mc, qc, sc := child.MedianCPU(ml), child.MedianCPU(mp), child.MedianCPU(sk)
	fmt.Println("\n| side | wall (median) | speed vs scikit-learn | CPU user+sys (median) | peak RSS | wall of each run |")
	fmt.Println("| --- | ---: | ---: | ---: | ---: | --- |")
	fmt.Printf("| mlpipe: Parquet (the spec's columns, ReadFrameParts) + Fit + ApplyChunks + binary matrix | %.2f s | %.2fx | %.2f s | %.0f MB | %v |\n",
		q.Wall.Seconds(), s.Wall.Seconds()/q.Wall.Seconds(), qc.Seconds(), q.RSSMB, child.Walls(mp))
	fmt.Printf("| mlpipe: CSV (frame.ReadCSV) + Fit + ApplyChunks + binary matrix | %.2f s | %.2fx | %.2f s | %.0f MB | %v |\n",
		m.Wall.Seconds(), s.Wall.Seconds()/m.Wall.Seconds(), mc.Seconds(), m.RSSMB, child.Walls(ml))
	fmt.Printf("| pandas read_csv + ColumnTransformer fit_transform + np.save | %.2f s | 1x | %.2f s | %.0f MB | %v |\n",
		s.Wall.Seconds(), sc.Seconds(), s.RSSMB, child.Walls(sk))
	fmt.Println("\nfit statistics on the typed columns (data already loaded):")
	out, err := child.Output(self, "-child", "fitstats", data)
	if err != nil {
		return fmt.Errorf("fit statistics: %w", err)
	}
	fmt.Print(out)
	return nil
}
