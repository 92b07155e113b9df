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
// -baseline runs another build of this command's Parquet side in the same
// rounds (alternating), and compares its matrix with this build's by
// sha256, so a change is measured against the code before it in the same
// machine state. -dir keeps the generated data for later runs.
//
//	go run ./dev/bench/features
//	go run ./dev/bench/features -rows 100000 -repeats 1
//	go build -o /tmp/old ./dev/bench/features   # before a change
//	go run ./dev/bench/features -baseline /tmp/old -dir /tmp/churn1m
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/pprof"
	"time"

	"github.com/mlpipe/mlpipe/dev/bench/internal/child"

	"github.com/mlpipe/mlpipe/internal/gen"
)

func main() {
	rows := flag.Int("rows", 1_000_000, "rows of generated churn data")
	repeats := flag.Int("repeats", 3, "runs per side, alternating; the median is reported")
	python := flag.String("python", "/usr/bin/python3", "Python with scikit-learn and pandas")
	baseline := flag.String("baseline", "", "another build of this command whose Parquet side runs in the same rounds, for a before/after comparison")
	dir := flag.String("dir", "", "folder for the generated data, kept and reused when it holds data of -rows rows (default: a temporary folder, removed)")
	noCSV := flag.Bool("no-csv", false, "leave out the mlpipe CSV side")
	cpuprofile := flag.String("cpuprofile", "", "with -child: write the child's CPU profile here")
	child := flag.String("child", "", "internal: run one side (mlpipe, mlpipe-parquet or fitstats) on the file given as argument")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench features: cpuprofile:", err)
			os.Exit(1)
		}
		defer func() {
			pprof.StopCPUProfile()
			_ = f.Close()
		}()
	}
	var err error
	switch *child {
	case "mlpipe":
		err = runMlpipe(flag.Arg(0), flag.Arg(1))
	case "mlpipe-parquet":
		err = runMlpipeParquet(flag.Arg(0), flag.Arg(1))
	case "fitstats":
		err = runFitStats(os.Stdout, flag.Arg(0))
	case "prepare":
		_, _, err = prepare(flag.Arg(0), *rows)
	case "":
		err = run(config{rows: *rows, repeats: *repeats, python: *python, baseline: *baseline, dir: *dir, csv: !*noCSV})
	default:
		err = fmt.Errorf("unknown -child %q", *child)
	}
	if err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "bench features:", err)
		os.Exit(1)
	}
}

type config struct {
	rows, repeats         int
	python, baseline, dir string
	csv                   bool
}

// prepare writes the churn CSV and the Parquet ingestion makes of it into
// dir, unless a file of the same size of data is already there.
func prepare(dir string, rows int) (data, parquet string, err error) {
	data, parquet = dataPaths(dir, rows)
	if _, err := os.Stat(parquet); err == nil {
		return data, parquet, nil
	}
	f, err := os.Create(data)
	if err != nil {
		return "", "", err
	}
	now := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
	if err := gen.Churn(f, rows, 7, now); err != nil {
		f.Close()
		return "", "", fmt.Errorf("generate: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", "", err
	}
	if err := writeParquet(data, parquet); err != nil {
		return "", "", err
	}
	return data, parquet, nil
}

func dataPaths(dir string, rows int) (data, parquet string) {
	return filepath.Join(dir, fmt.Sprintf("churn-%d.csv", rows)), filepath.Join(dir, fmt.Sprintf("churn-%d.parquet", rows))
}

func run(c config) error {
	dir := c.dir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "mlpipe-bench-features-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	// Generated in a process of its own: a child forked from a parent that
	// grew to hold the data reports the parent's peak RSS as its own.
	if _, err := child.Output(self, "-child", "prepare", "-rows", fmt.Sprint(c.rows), dir); err != nil {
		return fmt.Errorf("generate the data: %w", err)
	}
	data, parquet := dataPaths(dir, c.rows)
	st, err := os.Stat(data)
	if err != nil {
		return err
	}
	fmt.Printf("data: %d rows of churn, %.0f MB of CSV\n", c.rows, float64(st.Size())/1e6)
	out := filepath.Join(dir, "X.matrix")
	baseOut := filepath.Join(dir, "X.baseline.matrix")
	var ml, mp, mb, sk []child.Sample
	for i := 0; i < c.repeats; i++ {
		if c.csv {
			m, err := child.Measure(self, "-child", "mlpipe", data, out)
			if err != nil {
				return fmt.Errorf("mlpipe side: %w", err)
			}
			ml = append(ml, m)
		}
		if c.baseline != "" {
			m, err := child.Measure(c.baseline, "-child", "mlpipe-parquet", parquet, baseOut)
			if err != nil {
				return fmt.Errorf("baseline side (parquet): %w", err)
			}
			mb = append(mb, m)
		}
		m, err := child.Measure(self, "-child", "mlpipe-parquet", parquet, out)
		if err != nil {
			return fmt.Errorf("mlpipe side (parquet): %w", err)
		}
		mp = append(mp, m)
		s, err := child.Measure(c.python, "-c", sklearnScript, data, filepath.Join(dir, "X.npy"))
		if err != nil {
			return fmt.Errorf("scikit-learn side (install python3-sklearn python3-pandas): %w", err)
		}
		sk = append(sk, s)
	}
	s, sc := child.Median(sk), child.MedianCPU(sk)
	row := func(name string, runs []child.Sample) {
		m, mc := child.Median(runs), child.MedianCPU(runs)
		fmt.Printf("| %s | %.2f s | %.2fx | %.2f s | %.0f MB | %v |\n",
			name, m.Wall.Seconds(), s.Wall.Seconds()/m.Wall.Seconds(), mc.Seconds(), m.RSSMB, child.Walls(runs))
	}
	fmt.Println("\n| side | wall (median) | speed vs scikit-learn | CPU user+sys (median) | peak RSS | wall of each run |")
	fmt.Println("| --- | ---: | ---: | ---: | ---: | --- |")
	row("mlpipe: Parquet (the spec's columns, column by column) + Fit + ApplyChunks + binary matrix", mp)
	if c.baseline != "" {
		row("baseline build: the same, "+filepath.Base(c.baseline), mb)
	}
	if c.csv {
		row("mlpipe: CSV (frame.ReadCSV) + Fit + ApplyChunks + binary matrix", ml)
	}
	fmt.Printf("| pandas read_csv + ColumnTransformer fit_transform + np.save | %.2f s | 1x | %.2f s | %.0f MB | %v |\n",
		s.Wall.Seconds(), sc.Seconds(), s.RSSMB, child.Walls(sk))
	sum, err := sha256File(out)
	if err != nil {
		return err
	}
	fmt.Printf("\nmatrix sha256 %s\n", sum)
	if c.baseline != "" {
		base, err := sha256File(baseOut)
		if err != nil {
			return err
		}
		same := "the same"
		if base != sum {
			same = "DIFFERENT"
		}
		fmt.Printf("baseline matrix sha256 %s (%s)\n", base, same)
	}
	fmt.Println("\nfit statistics on the typed columns (data already loaded):")
	fs, err := child.Output(self, "-child", "fitstats", data)
	if err != nil {
		return fmt.Errorf("fit statistics: %w", err)
	}
	fmt.Print(fs)
	return nil
}

func sha256File(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
