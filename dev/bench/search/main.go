// Command search times HyperparameterSearch against scikit-learn's search
// (n_jobs=2) over the same configurations and the same folds, in
// one run: a 500 × 30 synthetic problem and the 100,000 × 20 set of the
// training benchmark, 20 trials × 5 folds each by default. mlpipe runs as a
// user runs it: a Temporal dev server, the CPU worker and a GPU worker with
// 2 slots (package workers, as `mlpipe worker --queue gpu --slots 2`). It
// prints wall times, parallel efficiency (Σ fit time / (wall × slots)) and
// the time per trial×fold activity that was not training, split from the
// workflow history into work inside the activity and idle slot time; then
// the small problem again at other max_parallel values (mlpipe only).
//
//	go run ./dev/bench/search
//	go run ./dev/bench/search -rows 5000 -iter 4 -cv 3 -sweep ''    # a smoke run
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/mlpipe/mlpipe/dev/bench/internal/sklearn"
	"github.com/mlpipe/mlpipe/dev/bench/internal/stack"
	"github.com/mlpipe/mlpipe/dev/bench/internal/synth"
	"github.com/mlpipe/mlpipe/internal/matrix"
	"github.com/mlpipe/mlpipe/internal/model"
	"github.com/mlpipe/mlpipe/internal/tune"
	"github.com/mlpipe/mlpipe/workers"
	"github.com/mlpipe/mlpipe/workflows"
)

type options struct {
	rows, cols, smallRows, smallCols int
	iter, cv, slots, maxParallel     int
	partitions, prefetch             int
	smallEpochs, epochs              int
	sweep                            []int
	only, python, trace              string
	seed                             int64
	noSklearn                        bool
}

// problem is one data set the search runs on.
type problem struct {
	name       string
	rows, cols int
	dataSeed   uint64
	epochs     int
}

func main() {
	var o options
	var sweep string
	flag.IntVar(&o.rows, "rows", 100_000, "rows of the large synthetic set (the training benchmark's)")
	flag.IntVar(&o.cols, "cols", 20, "feature columns of the large set")
	flag.IntVar(&o.smallRows, "small-rows", 500, "rows of the small problem")
	flag.IntVar(&o.smallCols, "small-cols", 30, "feature columns of the small problem")
	flag.IntVar(&o.iter, "iter", 20, "n_iter: sampled configurations")
	flag.IntVar(&o.cv, "cv", 5, "folds per configuration")
	flag.IntVar(&o.slots, "slots", 2, "GPU worker slots; scikit-learn gets n_jobs of the same")
	flag.IntVar(&o.maxParallel, "max-parallel", 0, "the search's max_parallel (default: the spec's default, tune.DefaultMaxParallel)")
	flag.StringVar(&sweep, "sweep", "4,8", "other max_parallel values to run the small problem with (mlpipe only); empty: none")
	flag.IntVar(&o.prefetch, "prefetch", workers.PrefetchPerSlot, "GPU worker prefetch: activities held beyond the slots (-1: one per slot, mlpipe worker's default; 0: none)")
	flag.IntVar(&o.partitions, "partitions", 0, "task-queue partitions of the dev server (0: its default, 4)")
	flag.IntVar(&o.smallEpochs, "small-epochs", 30, "epochs (max_iter) on the small problem")
	flag.IntVar(&o.epochs, "epochs", 5, "epochs (max_iter) on the large set, as the training benchmark's MLP")
	flag.StringVar(&o.only, "only", "", "run one problem: small or large")
	flag.StringVar(&o.python, "python", "/usr/bin/python3", "Python with scikit-learn, scipy and pandas")
	flag.StringVar(&o.trace, "trace", "", "write every trial×fold activity's timestamps and fit time to this CSV")
	flag.BoolVar(&o.noSklearn, "no-sklearn", false, "run mlpipe's side only (for profiling)")
	flag.Int64Var(&o.seed, "seed", 7, "sampling and fold seed (both sides)")
	flag.Parse()
	if o.maxParallel <= 0 {
		o.maxParallel = tune.DefaultMaxParallel
	}
	gpu, err := workers.GPUOptions{Slots: o.slots, Prefetch: o.prefetch}.Resolve()
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench search: -%v\n", err)
		os.Exit(2)
	}
	o.prefetch = gpu.Prefetch // the count the worker holds, as reported
	for _, f := range strings.FieldsFunc(sweep, func(r rune) bool { return r == ',' || r == ' ' }) {
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "bench search: -sweep %q: want max_parallel values like 2,8\n", sweep)
			os.Exit(2)
		}
		if n != o.maxParallel {
			o.sweep = append(o.sweep, n)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, o); err != nil {
		fmt.Fprintln(os.Stderr, "bench search:", err)
		os.Exit(1)
	}
}

// space is searched on both sides; search.py maps the names onto
// MLPClassifier (see its header).
func space() tune.Space {
	return tune.Space{
		{Name: "hidden_units", Dist: tune.Choice(16, 32, 64)},
		{Name: "learning_rate", Dist: tune.LogUniform(1e-3, 1e-1)},
		{Name: "l2", Dist: tune.LogUniform(1e-6, 1e-2)},
		{Name: "batch_size", Dist: tune.Choice(64, 128, 256)},
	}
}

// outcome is one problem searched at one max_parallel.
type outcome struct {
	p           problem
	maxParallel int
	mp          stack.Stats
	mBest       float64
	sk          *sklearn.Result
}

func run(ctx context.Context, w io.Writer, o options) error {
	var problems []problem
	if o.only == "" || o.only == "small" {
		problems = append(problems, problem{fmt.Sprintf("%d × %d", o.smallRows, o.smallCols), o.smallRows, o.smallCols, 11, o.smallEpochs})
	}
	if o.only == "" || o.only == "large" {
		problems = append(problems, problem{fmt.Sprintf("%d × %d", o.rows, o.cols), o.rows, o.cols, 42, o.epochs})
	}
	if len(problems) == 0 {
		return fmt.Errorf("-only %q: use small or large", o.only)
	}
	st, err := stack.Start(ctx, stack.Options{Slots: o.slots, Prefetch: o.prefetch, Partitions: o.partitions})
	if err != nil {
		return err
	}
	defer st.Close()
	dir, err := os.MkdirTemp("", "mlpipe-bench-search-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	var out []outcome
	for _, p := range problems {
		fmt.Fprintf(os.Stderr, "bench search: %s, %d trials × %d folds, max_parallel %d ...\n", p.name, o.iter, o.cv, o.maxParallel)
		res, err := runProblem(ctx, st, dir, len(out), p, o, o.maxParallel, !o.noSklearn)
		if err != nil {
			return fmt.Errorf("%s: %w", p.name, err)
		}
		out = append(out, res)
	}
	if problems[0].rows == o.smallRows {
		for _, mp := range o.sweep {
			fmt.Fprintf(os.Stderr, "bench search: %s, max_parallel %d (mlpipe only) ...\n", problems[0].name, mp)
			res, err := runProblem(ctx, st, dir, len(out), problems[0], o, mp, false)
			if err != nil {
				return fmt.Errorf("%s, max_parallel %d: %w", problems[0].name, mp, err)
			}
			out = append(out, res)
		}
	}
	print(w, o, out)
	return nil
}

func runProblem(ctx context.Context, st *stack.Stack, dir string, i int, p problem, o options, maxParallel int, withSklearn bool) (outcome, error) {
	X, y := synth.Binary(p.rows, p.cols, p.dataSeed)
	base := model.Config{Kind: model.KindMLP, Hidden: []int{32}, Activation: model.ActivationReLU, Optimizer: model.OptimizerAdam,
		LearningRate: 0.01, BatchSize: 128, Epochs: p.epochs, Seed: 0}
	search := tune.Search{Strategy: tune.StrategyRandom, NIter: o.iter, CV: o.cv, Scoring: "f1", Seed: o.seed,
		MaxParallel: maxParallel, ParamDistributions: space()}
	res := outcome{p: p, maxParallel: maxParallel}
	if withSklearn {
		folds, err := tune.StratifiedKFold(y, o.cv, o.seed)
		if err != nil {
			return res, err
		}
		csvPath := filepath.Join(dir, fmt.Sprintf("problem-%d.csv", i))
		if err := synth.WriteCSV(csvPath, X, y, p.cols); err != nil {
			return res, err
		}
		// scikit-learn evaluates the very configurations the workflow samples.
		trials, err := tune.Sample(search.ParamDistributions, search.NIter, search.Seed)
		if err != nil {
			return res, err
		}
		sk, err := sklearn.Search(ctx, o.python, sklearn.Request{Train: csvPath, Space: search.ParamDistributions, Base: base,
			NIter: o.iter, Folds: folds, Scoring: "f1", Seed: o.seed, NJobs: o.slots, Trials: trials})
		if err != nil {
			return res, err
		}
		res.sk = &sk
	}

	ref, err := st.PutMatrix(ctx, fmt.Sprintf("bench/problem-%d/train.csv", i), matrix.Matrix{Names: synth.Names(p.cols), X: X, Y: y})
	if err != nil {
		return res, err
	}
	id := fmt.Sprintf("bench-search-%d-%s", i, time.Now().UTC().Format("150405"))
	r, err := st.RunSearch(ctx, id, workflows.SearchInput{Model: "bench", Train: ref, Base: base, Search: search})
	if err != nil {
		return res, err
	}
	if o.trace != "" {
		if err := writeTrace(o.trace, fmt.Sprintf("%s mp%d", p.name, maxParallel), r, i > 0); err != nil {
			return res, err
		}
	}
	res.mp, res.mBest = r.Stats(o.slots, o.slots+o.prefetch), r.Result.Best.Mean
	return res, nil
}

func print(w io.Writer, o options, out []outcome) {
	skVersion, skThreads := "(not run)", ""
	for _, r := range out {
		if r.sk != nil {
			skVersion, skThreads = r.sk.Version, "; BLAS threads in the parent: "+r.sk.Threads
			break
		}
	}
	fmt.Fprintf(w, "%d trials × %d folds per problem. mlpipe: HyperparameterSearch on a Temporal dev server (bin/temporal), "+
		"GPU worker with %d slots, max_parallel %d, workers in-process; Go %s, GOMAXPROCS %d. scikit-learn %s: "+
		"GridSearchCV(n_jobs=%d, refit=False) over mlpipe's sampled configurations, on the same folds%s.\n\n",
		o.iter, o.cv, o.slots, o.maxParallel, runtime.Version(), runtime.GOMAXPROCS(0), skVersion, o.slots, skThreads)
	fmt.Fprintf(w, "Space: MLP, one relu hidden layer, Adam; %s; epochs fixed per problem (= max_iter, tol 0, no early stopping). "+
		"MLPClassifier gets hidden_layer_sizes=(hidden_units,), learning_rate_init, alpha = l2 × batch_size, batch_size. "+
		"Both sides evaluate the same %d configurations, sampled by mlpipe (scikit-learn through GridSearchCV over those points).\n\n", space().String(), o.iter)
	fmt.Fprintln(w, "| problem | epochs | fits | mlpipe wall s | sklearn wall s | wall ratio mlpipe/sklearn | mlpipe Σ fit s | sklearn Σ fit s | mlpipe efficiency | sklearn efficiency | mlpipe best CV F1 | sklearn best CV F1 |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	for _, r := range out {
		if r.sk == nil {
			continue
		}
		skEff := (r.sk.FitSeconds + r.sk.ScoreSeconds) / (r.sk.WallSeconds * float64(o.slots))
		skBest := "n/a"
		if r.sk.BestScore != nil {
			skBest = fmt.Sprintf("%.4f", *r.sk.BestScore)
		}
		fmt.Fprintf(w, "| %s | %d | %d | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.4f | %s |\n",
			r.p.name, r.p.epochs, r.mp.Trials, r.mp.Wall.Seconds(), r.sk.WallSeconds, r.mp.Wall.Seconds()/r.sk.WallSeconds,
			r.mp.SumFit, r.sk.FitSeconds, r.mp.Efficiency, skEff, r.mBest, skBest)
	}
	fmt.Fprintln(w, "\nWhere mlpipe's time went, per trial×fold activity, from the workflow history (ms):")
	fmt.Fprintln(w, "\n| problem | max_parallel | prefetch | efficiency | fit | slot time not fitting: (wall × slots − Σ fit) / fits | held, not fitting | refill gap mean | refill gap p95 | start → first trial | last trial → end |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	for _, r := range out {
		s := r.mp
		fmt.Fprintf(w, "| %s | %d | %d | %.2f | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f |\n", r.p.name, r.maxParallel, o.prefetch, s.Efficiency,
			1000*s.SumFit/float64(s.Trials), ms(s.Overhead), ms(s.Held), ms(s.Refill), ms(s.Refill95), ms(s.Lead), ms(s.Trail))
	}
	fmt.Fprintln(w, "\nfit: model.Train inside TrainTrial (the activity's own clock). Efficiency: Σ fit / (wall × slots), wall from the client's start call "+
		"to its result; for scikit-learn Σ(fit + score) / (wall × n_jobs) from cv_results_. Held, not fitting: ActivityTaskStarted → Completed "+
		"minus fit (cutting the fold from the cached matrix, waiting for a slot when prefetched, predicting, scoring, the result's trip back). "+
		"Refill gap: a trial's end to the worker's next trial start, from the history's timestamps. The worker holds slots + prefetch "+
		"activities; max_parallel must stay above that, or the queue on mlpipe-gpu runs dry while the workflow schedules the next trials.")
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// writeTrace appends the run's activities to a CSV, times in ms from the
// workflow's start.
func writeTrace(path, name string, r stack.Run, appendTo bool) error {
	flags := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	if appendTo {
		flags = os.O_CREATE | os.O_WRONLY | os.O_APPEND
	}
	f, err := os.OpenFile(path, flags, 0o644)
	if err != nil {
		return err
	}
	if !appendTo {
		fmt.Fprintln(f, "problem,activity,scheduled_ms,started_ms,closed_ms,fit_ms,status")
	}
	at := func(t time.Time) float64 { return ms(t.Sub(r.Started)) }
	for i, t := range r.Trials {
		fmt.Fprintf(f, "%s,%d,%.1f,%.1f,%.1f,%.1f,%s\n", name, i, at(t.Scheduled), at(t.Started), at(t.Closed), 1000*t.Fit, t.Status)
	}
	return f.Close()
}
