package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/mlpipe/mlpipe/dev/bench/internal/child"
)

func run(rows, labels, repeats int, python string) error {
	dir, err := os.MkdirTemp("", "mlpipe-bench-monitor-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	self, err := os.Executable()
	if err != nil {
		return err
	}
	// Generated in children: a child's peak RSS counts its parent's peak
	// at the fork, so the parent must stay small.
	if _, err := child.Measure(self, "-child", "gen", "-rows", fmt.Sprint(rows), "-labels", fmt.Sprint(labels), dir); err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	if _, err := child.Measure(self, "-child", "export", dir); err != nil {
		return fmt.Errorf("export for pandas: %w", err)
	}
	if _, err := child.Measure(python, "-c", pickleScript, dir); err != nil {
		return fmt.Errorf("pickle for pandas (install python3-pandas): %w", err)
	}
	var size int64
	files := 0
	err = filepath.WalkDir(filepath.Join(dir, "store"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if st, err := d.Info(); err == nil {
				size += st.Size()
				files++
			}
		}
		return err
	})
	if err != nil {
		return err
	}
	fmt.Printf("window: %d logged predictions × %d features, %d feedback labels; %d Parquet log files, %.0f MB; reference: 200,000 training rows' profile\n",
		rows, len(features), labels, files, float64(size)/1e6)
	var ml, pd []child.Sample
	for i := 0; i < repeats; i++ {
		m, err := child.Measure(self, "-child", "mlpipe", dir)
		if err != nil {
			return fmt.Errorf("mlpipe side: %w", err)
		}
		ml = append(ml, m)
		p, err := child.Measure(python, "-c", pandasScript, dir)
		if err != nil {
			return fmt.Errorf("pandas side (install python3-pandas python3-scipy): %w", err)
		}
		pd = append(pd, p)
	}
	m, p := child.Median(ml), child.Median(pd)
	rps := func(x child.Sample) float64 { return float64(rows) / x.Wall.Seconds() }
	fmt.Println("\n| side | wall (median) | CPU | rows/s | vs pandas (wall) | vs pandas (CPU) | peak RSS |")
	fmt.Println("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
	row := func(name string, x child.Sample) {
		fmt.Printf("| %s | %.2f s | %.2f s | %.0fk | %.2fx | %.2fx | %.0f MB |\n", name, x.Wall.Seconds(), x.CPU.Seconds(), rps(x)/1e3,
			rps(x)/rps(p), p.CPU.Seconds()/x.CPU.Seconds(), x.RSSMB)
	}
	row("mlpipe: AnalyzeWindow's analysis (activities.AnalyzeLog) on the Parquet log, snapshot and page", m)
	row("pandas + scipy: the same statistics on the same records (pickle)", p)
	fmt.Printf("\nruns: mlpipe %v, pandas %v\n", child.Walls(ml), child.Walls(pd))
	return nil
}
