// Command ingest compares mlpipe's ingestion data path with pandas on the
// same generated churn CSV (1M rows × 12 columns by default), each side in
// a process of its own so that wall time and peak RSS are the whole
// process's:
//
//   - mlpipe: dataplane.Load (mlpipe's CSV rules: one streaming Go pass
//     that checks and types, then DuckDB reads the typed table), then
//     WriteParquet and Profile (moments, 101 quantiles, decile histogram,
//     top-50 categories), the profile written as JSON, as the IngestData
//     activity does;
//   - pandas (/usr/bin/python3): read_csv, to_parquet when pyarrow or
//     fastparquet is installed (the table says when it is not), and
//     describe(include="all") plus the 101 quantiles of each numeric column.
//
// Run it as:
//
//	go run ./dev/bench/ingest
//	go run ./dev/bench/ingest -rows 10000000 -repeats 1
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/mlpipe/mlpipe/dev/bench/internal/widechurn"

	"github.com/mlpipe/mlpipe/dev/bench/internal/child"

	"github.com/mlpipe/mlpipe/internal/dataplane"
)

func main() {
	rows := flag.Int("rows", 1_000_000, "rows of generated churn data")
	repeats := flag.Int("repeats", 3, "runs per side, alternating; the median is reported")
	python := flag.String("python", "/usr/bin/python3", "Python with pandas")
	memory := flag.String("memory", "1GB", "DuckDB's memory_limit for the mlpipe side")
	child := flag.String("child", "", "run one part alone: mlpipe (on the CSV given first, writing to the folder given second) or gen (write -rows of data to the file given)")
	flag.Parse()
	var err error
	switch *child {
	case "mlpipe":
		err = runMlpipe(flag.Arg(0), flag.Arg(1), *memory)
	case "gen":
		err = widechurn.Write(flag.Arg(0), *rows)
	case "":
		err = run(*rows, *repeats, *python, *memory)
	default:
		err = fmt.Errorf("unknown -child %q", *child)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench ingest:", err)
		os.Exit(1)
	}
}

func run(rows, repeats int, python, memory string) error {
	dir, err := os.MkdirTemp("", "mlpipe-bench-ingest-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	data := filepath.Join(dir, "churn.csv")
	if err := widechurn.Write(data, rows); err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	st, err := os.Stat(data)
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	parquetNote := "read_csv + to_parquet + describe"
	if err := exec.Command(python, "-c", "import pandas.io.parquet as p; p.get_engine('auto')").Run(); err != nil {
		parquetNote = "read_csv + describe only: neither pyarrow nor fastparquet is installed, so pandas writes no Parquet"
	}
	fmt.Printf("data: %d rows × %d columns of churn, %.0f MB of CSV; DuckDB memory_limit %s\n", rows, len(widechurn.Columns), float64(st.Size())/1e6, memory)
	var ml, pd []child.Sample
	for i := 0; i < repeats; i++ {
		out := filepath.Join(dir, fmt.Sprintf("out%d", i))
		if err := os.MkdirAll(out, 0o755); err != nil {
			return err
		}
		m, err := child.Measure(self, "-child", "mlpipe", "-memory", memory, data, out)
		if err != nil {
			return fmt.Errorf("mlpipe side: %w", err)
		}
		ml = append(ml, m)
		p, err := child.Measure(python, "-c", pandasScript, data, filepath.Join(out, "pandas.parquet"))
		if err != nil {
			return fmt.Errorf("pandas side (install python3-pandas): %w", err)
		}
		pd = append(pd, p)
		_ = os.RemoveAll(out)
	}
	m, p := child.Median(ml), child.Median(pd)
	fmt.Println("\n| side | what | wall (median) | rows/s | vs pandas | peak RSS |")
	fmt.Println("| --- | --- | ---: | ---: | ---: | ---: |")
	fmt.Printf("| mlpipe | Load (checked, typed) + Parquet + profile.json | %.2f s | %.0f | %.2f× | %.0f MB |\n",
		m.Wall.Seconds(), float64(rows)/m.Wall.Seconds(), p.Wall.Seconds()/m.Wall.Seconds(), m.RSSMB)
	fmt.Printf("| pandas | %s | %.2f s | %.0f | 1× | %.0f MB |\n", parquetNote, p.Wall.Seconds(), float64(rows)/p.Wall.Seconds(), p.RSSMB)
	fmt.Printf("\nruns: mlpipe %s; pandas %s\n", strings.Join(child.Walls(ml), " "), strings.Join(child.Walls(pd), " "))
	return nil
}

// runMlpipe is the ingestion data path, timed as a whole process.
func runMlpipe(csv, out, memory string) error {
	ctx := context.Background()
	eng, err := dataplane.Open(dataplane.Options{MemoryLimit: memory, TempDir: filepath.Join(out, "spill")})
	if err != nil {
		return err
	}
	defer func() { _ = eng.Close() }()
	t, err := eng.Load(ctx, csv, dataplane.LoadOptions{})
	if err != nil {
		return err
	}
	if err := eng.WriteParquet(ctx, t, filepath.Join(out, "data.parquet")); err != nil {
		return err
	}
	p, err := eng.Profile(ctx, t)
	if err != nil {
		return err
	}
	body, err := json.Marshal(p)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(out, "profile.json"), body, 0o644)
}

const pandasScript = `
import sys, numpy as np, pandas as pd
df = pd.read_csv(sys.argv[1], parse_dates=["last_activity"])
try:
    df.to_parquet(sys.argv[2])
except ImportError:
    pass
d = df.describe(include="all", datetime_is_numeric=True)
q = df.select_dtypes("number").quantile(np.linspace(0, 1, 101))
top = {c: df[c].value_counts().head(50) for c in df.select_dtypes("object").columns}
print(len(d), len(q), len(top))
`
