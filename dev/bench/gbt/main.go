// Command gbt times mlpipe's gradient-boosted trees (package gbt, XGBoost
// through its C API) against Python's xgboost, the same library through
// its Python package, and scikit-learn's HistGradientBoostingClassifier,
// on the same synthetic data, in one run, and reports each side's wall
// and CPU time and peak memory. Every fit runs in its own process
// (mlpipe's in a copy of this program), so each peak RSS is that side's
// alone; each process holds the data as float64 first, and "data RSS"
// says how much of its peak that is. The sides take turns, in an order
// reversed every round, and each keeps its fastest fit.
//
//	go run ./dev/bench/gbt
//	go run ./dev/bench/gbt -rows 100000 -rounds 3
//
// On a machine whose cores other work keeps busy, run it with
// OMP_WAIT_POLICY=passive (every side uses OpenMP, and spinning threads
// then slow all of them by more than their work).
//
// It needs Debian's python3-xgboost and python3-sklearn under
// /usr/bin/python3 (`make deps` installs them for `make bench`).
package main

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/mlpipe/mlpipe/dev/bench/internal/synth"
	"github.com/mlpipe/mlpipe/internal/gbt"
)

//go:embed bench.py
var script string

type options struct {
	rows            []int
	cols, threads   int
	repeats, rounds int
	python          string
	depth           int
	estimators      int
	lr              float64
	child           string
	childRows, seed int
}

// side is one contender's result, as the child processes print it.
type side struct {
	Seconds float64 `json:"seconds"`
	// CPUSeconds is the process's user+system time during that fit.
	CPUSeconds float64 `json:"cpu_seconds"`
	LoadedKiB  int64   `json:"loaded_kib"`
	PeakKiB    int64   `json:"peak_kib"`
	LogLoss    float64 `json:"log_loss"`
	Version    string  `json:"version"`
}

func main() {
	var o options
	rows := flag.String("rows", "100000,1000000", "comma-separated row counts")
	flag.IntVar(&o.cols, "cols", 20, "feature columns")
	flag.IntVar(&o.threads, "threads", 2, "threads for every side")
	flag.IntVar(&o.repeats, "repeats", 1, "fits per side process; the fastest is reported")
	flag.IntVar(&o.rounds, "rounds", 2, "processes per side and size, in alternating order; the fastest fit is reported")
	flag.StringVar(&o.python, "python", "/usr/bin/python3", "Python with xgboost and scikit-learn")
	flag.IntVar(&o.depth, "max-depth", gbt.DefaultMaxDepth, "max_depth; 0 for unlimited")
	flag.IntVar(&o.estimators, "n-estimators", 100, "boosting rounds")
	flag.Float64Var(&o.lr, "learning-rate", 0.3, "learning rate")
	flag.StringVar(&o.child, "child", "", "internal: run mlpipe's fit in this process and print its result")
	flag.IntVar(&o.childRows, "child-rows", 0, "internal: rows for -child")
	flag.IntVar(&o.seed, "seed", 42, "data seed")
	flag.Parse()
	for _, r := range strings.Split(*rows, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(r))
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "bench gbt: -rows %q: want positive whole numbers\n", *rows)
			os.Exit(2)
		}
		o.rows = append(o.rows, n)
	}
	var err error
	if o.child != "" {
		err = runChild(os.Stdout, o)
	} else {
		err = run(os.Stdout, o)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench gbt:", err)
		os.Exit(1)
	}
}

// params are the benchmark's settings, shared by every side.
func (o options) params() gbt.Params {
	p := gbt.DefaultParams()
	p.NEstimators, p.LearningRate, p.NThread = o.estimators, o.lr, o.threads
	p.MaxDepth = nil
	if o.depth > 0 {
		p.MaxDepth = gbt.Depth(o.depth)
	}
	return p
}

func run(w io.Writer, o options) error {
	if err := exec.Command(o.python, "-c", "import xgboost, sklearn, threadpoolctl").Run(); err != nil {
		return errors.New("xgboost or scikit-learn is not importable by " + o.python + "; install them with:\n" +
			"  sudo apt-get update && sudo apt-get install -y python3-xgboost python3-sklearn   (or: make deps bench)")
	}
	dir, err := os.MkdirTemp("", "mlpipe-bench-gbt-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	self, err := os.Executable()
	if err != nil {
		return err
	}
	p := o.params()
	depth := "unlimited"
	if p.MaxDepth != nil {
		depth = strconv.Itoa(*p.MaxDepth)
	}
	fmt.Fprintf(w, "Binary synthetic data, %d features; n_estimators %d, max_depth %s, learning_rate %g, min_child_weight %g, reg_lambda %g, max_bin %d, tree_method hist, %d threads each; Go %s, GOMAXPROCS %d, %d CPUs; fastest of %d rounds × %d fits.\n\n",
		o.cols, p.NEstimators, depth, p.LearningRate, p.MinChildWeight, p.RegLambda, p.MaxBin, o.threads, runtime.Version(), runtime.GOMAXPROCS(0), runtime.NumCPU(), o.rounds, o.repeats)
	fmt.Fprintln(w, "| rows | side | fit s | ÷ xgboost.train | ÷ XGBClassifier | fit CPU s | peak RSS MiB | data RSS MiB | train log-loss |")
	fmt.Fprintln(w, "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	for _, rows := range o.rows {
		X, y := synth.Binary(rows, o.cols, uint64(o.seed))
		csv := filepath.Join(dir, fmt.Sprintf("data-%d.csv", rows))
		if err := synth.WriteCSV(csv, X, y, o.cols); err != nil {
			return err
		}
		X, y = nil, nil
		runtime.GC()

		wire, err := json.Marshal(map[string]any{"n_estimators": p.NEstimators, "max_depth": p.MaxDepth, "learning_rate": p.LearningRate,
			"min_child_weight": p.MinChildWeight, "reg_lambda": p.RegLambda, "reg_alpha": p.RegAlpha, "max_bin": p.MaxBin, "seed": p.Seed})
		if err != nil {
			return err
		}
		sides := []struct {
			name string
			cmd  func() *exec.Cmd
		}{
			{"mlpipe (gbt, XGBoost C API)", func() *exec.Cmd {
				return exec.Command(self, "-child", "go", "-child-rows", strconv.Itoa(rows), "-cols", strconv.Itoa(o.cols),
					"-threads", strconv.Itoa(o.threads), "-repeats", strconv.Itoa(o.repeats), "-max-depth", strconv.Itoa(o.depth),
					"-n-estimators", strconv.Itoa(o.estimators), "-learning-rate", fmt.Sprint(o.lr), "-seed", strconv.Itoa(o.seed))
			}},
		}
		for _, m := range []struct{ mode, name string }{
			{"xgboost-train", "xgboost.train (Python, DMatrix)"},
			{"xgboost-sklearn", "XGBClassifier.fit (Python, QuantileDMatrix)"},
			{"sklearn-hgb", "HistGradientBoostingClassifier"},
		} {
			sides = append(sides, struct {
				name string
				cmd  func() *exec.Cmd
			}{m.name, func() *exec.Cmd {
				cmd := exec.Command(o.python, "-c", script, m.mode, csv, strconv.Itoa(o.threads), strconv.Itoa(o.repeats), string(wire))
				cmd.Env = append(os.Environ(), "OMP_NUM_THREADS="+strconv.Itoa(o.threads))
				return cmd
			}})
		}
		// Every side runs once per round, the order reversed every other
		// round, so a machine that gets busier or quieter meanwhile does
		// not favour one side; each keeps its fastest fit.
		best := make([]side, len(sides))
		for r := range o.rounds {
			for k := range sides {
				i := k
				if r%2 == 1 {
					i = len(sides) - 1 - k
				}
				res, err := child(sides[i].cmd())
				if err != nil {
					return fmt.Errorf("%s: %w", sides[i].name, err)
				}
				if r == 0 || res.Seconds < best[i].Seconds {
					best[i] = res
				}
			}
		}
		for i, r := range best {
			fmt.Fprintf(w, "| %d | %s %s | %.2f | %.2f | %.2f | %.2f | %.0f | %.0f | %.5f |\n", rows, sides[i].name, r.Version,
				r.Seconds, r.Seconds/best[1].Seconds, r.Seconds/best[2].Seconds, r.CPUSeconds, float64(r.PeakKiB)/1024, float64(r.LoadedKiB)/1024, r.LogLoss)
		}
	}
	fmt.Fprintln(w, "\nfit s: wall time of building the library's matrix from float64 rows and training, not reading the CSV;"+
		" the ratios divide it by xgboost.train's and XGBClassifier.fit's. fit CPU s: the process's user+system time in that fit,"+
		" every thread's, the steadier figure on a busy machine. peak RSS: the process's VmHWM during the fits (reset once the"+
		" data was loaded); data RSS: its RSS at that point (runtime, library and float64 data).")
	return nil
}

// child runs cmd and decodes the JSON it prints.
func child(cmd *exec.Cmd) (side, error) {
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return side{}, fmt.Errorf("%w: %s", err, stderr.String())
	}
	var s side
	if err := json.Unmarshal(stdout.Bytes(), &s); err != nil {
		return s, fmt.Errorf("printed %q: %w", stdout.String(), err)
	}
	return s, nil
}
