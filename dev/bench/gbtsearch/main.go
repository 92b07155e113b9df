// Command gbtsearch times the seed's tree search as mlpipe runs it against
// scikit-learn's RandomizedSearchCV, in one run, on the churn example:
// the search block of dev/examples/churn/search_gbt.yaml (n_iter 20, cv 5,
// scoring f1, the seed's n_estimators × max_depth × learning_rate) over
// the feature stage's training split.
//
// mlpipe runs HyperparameterSearch as the pipeline's search runs it: a
// Temporal dev server (bin/temporal), the CPU worker and a GPU worker with
// -slots slots in this process (package workers, as `mlpipe worker --queue
// gpu --slots 2`), so each fit gets cores ÷ slots XGBoost threads.
// scikit-learn runs RandomizedSearchCV(XGBClassifier(tree_method="hist",
// n_jobs=1), n_iter, cv = mlpipe's folds, scoring, n_jobs = slots,
// refit=False), twice: over mlpipe's own sampled configurations (the same
// fits on both sides, so the wall times compare) and drawing its own
// n_iter from the same space (random_state = the search's seed).
//
// It reports wall time, the wall ratio, parallel efficiency (Σ fit time /
// (wall × slots)), the peak resident memory of each side's process tree
// (mlpipe: the workers' process and the Temporal dev server; scikit-learn:
// the Python process and its joblib workers) and each side's best CV score.
//
//	OMP_WAIT_POLICY=passive go run ./dev/bench/gbtsearch
//	OMP_WAIT_POLICY=passive go run ./dev/bench/gbtsearch -iter 4 -cv 3     # a smoke run
//
// It needs Debian's python3-xgboost, python3-sklearn and python3-pandas
// under /usr/bin/python3 (`make deps` installs them for `make bench`).
package main

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/mlpipe/mlpipe/dev/bench/gbtchurn"
	"github.com/mlpipe/mlpipe/dev/bench/internal/stack"
	"github.com/mlpipe/mlpipe/dev/bench/internal/synth"
	"github.com/mlpipe/mlpipe/internal/gbt"
	"github.com/mlpipe/mlpipe/internal/model"
	"github.com/mlpipe/mlpipe/internal/tune"
	"github.com/mlpipe/mlpipe/workers"
	"github.com/mlpipe/mlpipe/workflows"
)

//go:embed gbtsearch.py
var script string

type options struct {
	spec, params, python string
	rows                 int
	seed                 int64
	iter, cv, slots      int
	ownSample            bool
}

func main() {
	var o options
	flag.StringVar(&o.spec, "spec", "dev/examples/churn/pipeline.yaml", "pipeline spec whose features are used")
	flag.StringVar(&o.params, "params", "search_gbt.yaml", "params file (beside the spec) with the hyperparameters and the search")
	flag.IntVar(&o.rows, "rows", 5000, "rows of churn data (mlpipe gen churn --rows)")
	flag.Int64Var(&o.seed, "seed", 7, "data seed (mlpipe gen churn --seed)")
	flag.IntVar(&o.iter, "iter", 0, "override the search's n_iter")
	flag.IntVar(&o.cv, "cv", 0, "override the search's cv")
	flag.IntVar(&o.slots, "slots", 2, "GPU worker slots; scikit-learn gets n_jobs of the same")
	flag.StringVar(&o.python, "python", "/usr/bin/python3", "Python with xgboost, scikit-learn and pandas")
	flag.BoolVar(&o.ownSample, "own-sample", true, "also run scikit-learn drawing its own n_iter configurations from the space")
	flag.Parse()
	// Stopped, it still stops the dev server and the Python side.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Stdout, o); err != nil {
		fmt.Fprintln(os.Stderr, "bench gbtsearch:", err)
		os.Exit(1)
	}
}

// row is one side's search.
type row struct {
	side, configs     string
	fits              int
	wall, sumFit      float64
	peakMiB, selfMiB  float64
	best              *float64
	bestParams        string
	efficiency, ratio float64
}

func run(ctx context.Context, w io.Writer, o options) error {
	if err := exec.CommandContext(ctx, o.python, "-c", "import xgboost, sklearn, pandas").Run(); err != nil {
		return errors.New("xgboost, scikit-learn or pandas is not importable by " + o.python + "; install them with:\n" +
			"  sudo apt-get update && sudo apt-get install -y python3-xgboost python3-sklearn python3-pandas   (or: make deps bench)")
	}
	dir, err := os.MkdirTemp("", "mlpipe-bench-gbtsearch-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	d, err := gbtchurn.Prepare(dir, o.spec, o.params, o.rows, o.seed)
	if err != nil {
		return err
	}
	if d.Spec.Search == nil {
		return fmt.Errorf("%s has no search: block", o.params)
	}
	s := *d.Spec.Search
	if o.iter > 0 {
		s.NIter = o.iter
	}
	if o.cv > 0 {
		s.CV = o.cv
	}
	s = s.Defaults()
	base := d.Spec.Hyperparameters.Defaults()
	if err := comparable(base, s); err != nil {
		return fmt.Errorf("%s: %w", o.params, err)
	}
	// Both sides cross-validate on the search's own folds and (first)
	// its own sampled configurations.
	folds, err := tune.StratifiedKFold(d.Train.Y, s.CV, s.Seed)
	if err != nil {
		return err
	}
	trials, err := tune.Sample(s.ParamDistributions, s.NIter, s.Seed)
	if err != nil {
		return err
	}
	points, err := wirePoints(base, trials)
	if err != nil {
		return err
	}
	csvPath := filepath.Join(dir, "train.csv")
	if err := synth.WriteCSV(csvPath, d.Train.X, d.Train.Y, d.Train.Cols()); err != nil {
		return err
	}

	loadBefore := loadAverage()
	fmt.Fprintf(os.Stderr, "bench gbtsearch: mlpipe, %d trials × %d folds on %d rows ...\n", len(trials), s.CV, d.Train.Rows())
	mp, err := runMlpipe(ctx, d, base, s, o.slots)
	if err != nil {
		return err
	}
	req := map[string]any{"train": csvPath, "folds": folds, "scoring": s.Scoring, "seed": s.Seed, "n_jobs": o.slots,
		"base": wireParams(base.GBT()), "mode": "points", "points": points, "n_iter": len(points)}
	fmt.Fprintln(os.Stderr, "bench gbtsearch: scikit-learn over mlpipe's configurations ...")
	same, version, err := runSklearn(ctx, o.python, dir, req, o.slots)
	if err != nil {
		return err
	}
	same.configs = "mlpipe's sampled"
	rows := []row{mp, same}
	if o.ownSample {
		space, ok := wireSpace(s.ParamDistributions)
		if !ok {
			fmt.Fprintln(os.Stderr, "bench gbtsearch: the space has ranges, not only lists; scikit-learn's own sampling is left out")
		} else {
			req["mode"], req["space"], req["n_iter"] = "space", space, s.NIter
			delete(req, "points")
			fmt.Fprintln(os.Stderr, "bench gbtsearch: scikit-learn drawing its own configurations ...")
			own, _, err := runSklearn(ctx, o.python, dir, req, o.slots)
			if err != nil {
				return err
			}
			own.configs = fmt.Sprintf("its own draw (random_state %d)", s.Seed)
			rows = append(rows, own)
		}
	}
	for i := range rows {
		rows[i].ratio = rows[i].wall / same.wall
		rows[i].efficiency = rows[i].sumFit / (rows[i].wall * float64(o.slots))
	}

	fmt.Fprintf(w, "Churn data: mlpipe gen churn --rows %d --seed %d; the training split of %s's features (%d rows × %d features); "+
		"search of %s: n_iter %d, cv %d (stratified, seed %d, the same folds on both sides), scoring %s, over %s; base %s. "+
		"mlpipe: HyperparameterSearch on a Temporal dev server, GPU worker with %d slots (XGBoost %s, %d thread per fit), workers in-process, Go %s. "+
		"scikit-learn: %s, RandomizedSearchCV(XGBClassifier(tree_method='hist', n_jobs=1), n_jobs=%d, refit=False). %d CPUs.\n\n",
		o.rows, o.seed, o.spec, d.Train.Rows(), d.Train.Cols(), o.params, s.NIter, s.CV, s.Seed, s.Scoring, s.ParamDistributions.String(),
		configText(base), o.slots, gbt.LibraryVersion(), max(1, runtime.NumCPU()/o.slots), runtime.Version(), version, o.slots, runtime.NumCPU())
	// Timings are only comparable on a quiet machine; say when it was not.
	loadAfter := loadAverage()
	fmt.Fprintf(w, "Load average (1 min) before and after the runs: %.2f, %.2f", loadBefore, loadAfter)
	if max(loadBefore, loadAfter) > float64(runtime.NumCPU()) {
		fmt.Fprintf(w, ": above %d CPUs, so other work shared the cores and every time is longer than on a quiet machine", runtime.NumCPU())
	}
	fmt.Fprint(w, ".\n\n")
	fmt.Fprintf(w, "| side | configurations | fits | wall s | ÷ scikit-learn (same configurations) | Σ fit s | parallel efficiency | peak RSS MiB | best CV %s | best configuration |\n", s.Scoring)
	fmt.Fprintln(w, "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
	for _, r := range rows {
		best := "n/a"
		if r.best != nil {
			best = fmt.Sprintf("%.4f", *r.best)
		}
		peak := fmt.Sprintf("%.0f", r.peakMiB)
		if r.selfMiB > 0 {
			peak = fmt.Sprintf("%.0f (workers %.0f)", r.peakMiB, r.selfMiB)
		}
		fmt.Fprintf(w, "| %s | %s | %d | %.2f | %.2f | %.2f | %.2f | %s | %s | %s |\n",
			r.side, r.configs, r.fits, r.wall, r.ratio, r.sumFit, r.efficiency, peak, best, r.bestParams)
	}
	fmt.Fprintln(w, "\nwall: mlpipe's from the start call to the search's result; scikit-learn's of search.fit (its joblib workers start inside it). "+
		"Σ fit: mlpipe's gbt.Train inside every TrainTrial (the activity's clock); scikit-learn's fit + score times from cv_results_. "+
		"Parallel efficiency: Σ fit / (wall × slots). peak RSS: the highest sum of VmRSS over the side's process tree, polled every 50 ms "+
		"(mlpipe: this process, which holds the workers, and the Temporal dev server; workers: this process alone).")
	return nil
}

// comparable refuses a search whose scikit-learn side would not be the
// same search: another model kind or strategy, settings gbtsearch.py does
// not map, or a space that is not the tree's parameters.
func comparable(base model.Config, s tune.Search) error {
	switch {
	case base.Kind != model.KindGradientBoosting:
		return fmt.Errorf("hyperparameters.kind is %q; this benchmark searches gradient_boosting", base.Kind)
	case s.Strategy != tune.StrategyRandom:
		return fmt.Errorf("search.strategy is %q; RandomizedSearchCV compares with random", s.Strategy)
	case base.ValidationFraction != 0 || base.ClassWeight != "":
		return errors.New("early stopping (validation_fraction) and class_weight are not mapped onto XGBClassifier here; leave them out")
	case base.Classes >= 3:
		return fmt.Errorf("hyperparameters.classes is %d; this benchmark compares binary searches", base.Classes)
	}
	_, err := wirePoints(base, []tune.Trial{{Params: pointOf(s.ParamDistributions)}})
	return err
}

// pointOf is one value of every parameter of space, to check its names.
func pointOf(space tune.Space) []tune.ParamValue {
	out := make([]tune.ParamValue, len(space))
	for i, p := range space {
		out[i] = tune.ParamValue{Name: p.Name, Value: p.Dist.Low}
		if p.Dist.Kind == tune.DistChoice {
			out[i].Value = p.Dist.Choices[0]
		}
	}
	return out
}

// loadAverage is the 1-minute load average, as uptime prints it (NaN
// where /proc/loadavg cannot be read).
func loadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return math.NaN()
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return math.NaN()
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return math.NaN()
	}
	return v
}

// runMlpipe runs the search on a fresh stack and measures it.
func runMlpipe(ctx context.Context, d gbtchurn.Data, base model.Config, s tune.Search, slots int) (row, error) {
	st, err := stack.Start(ctx, stack.Options{Slots: slots, Prefetch: workers.PrefetchPerSlot})
	if err != nil {
		return row{}, err
	}
	defer st.Close()
	ref, err := st.PutMatrix(ctx, "bench/churn/train.matrix", d.Train)
	if err != nil {
		return row{}, err
	}
	runtime.GC()
	sampler := sampleTree(os.Getpid(), 50*time.Millisecond)
	sr, err := st.RunSearch(ctx, "bench-gbtsearch-"+time.Now().UTC().Format("150405"),
		workflows.SearchInput{Model: d.Spec.Model, Train: ref, Base: base, Search: s})
	peak, self := sampler.Stop()
	if err != nil {
		return row{}, err
	}
	gpu, err := workers.GPUOptions{Slots: slots, Prefetch: workers.PrefetchPerSlot}.Resolve()
	if err != nil {
		return row{}, err
	}
	stats := sr.Stats(slots, slots+gpu.Prefetch)
	best := sr.Result.Best.Mean
	return row{side: "mlpipe", configs: "its own draw (tune.Sample)", fits: stats.Trials, wall: stats.Wall.Seconds(), sumFit: stats.SumFit,
		peakMiB: peak, selfMiB: self, best: &best, bestParams: configText(sr.Result.BestConfig)}, nil
}

// sklearnResult is what gbtsearch.py prints.
type sklearnResult struct {
	Version      string         `json:"version"`
	WallSeconds  float64        `json:"wall_seconds"`
	FitSeconds   float64        `json:"fit_seconds"`
	ScoreSeconds float64        `json:"score_seconds"`
	Trials       int            `json:"trials"`
	BestScore    *float64       `json:"best_score"`
	BestParams   map[string]any `json:"best_params"`
}

func runSklearn(ctx context.Context, python, dir string, req map[string]any, slots int) (row, string, error) {
	raw, err := json.Marshal(req)
	if err != nil {
		return row{}, "", err
	}
	reqPath, scriptPath := filepath.Join(dir, "request.json"), filepath.Join(dir, "gbtsearch.py")
	if err := os.WriteFile(reqPath, raw, 0o644); err != nil {
		return row{}, "", err
	}
	if err := os.WriteFile(scriptPath, []byte(script), 0o644); err != nil {
		return row{}, "", err
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, python, scriptPath, reqPath)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// One OpenMP thread per fit, as XGBClassifier(n_jobs=1) asks; joblib
	// runs slots fits at once.
	cmd.Env = append(os.Environ(), "OMP_NUM_THREADS=1")
	if err := cmd.Start(); err != nil {
		return row{}, "", fmt.Errorf("scikit-learn search: %w", err)
	}
	sampler := sampleTree(cmd.Process.Pid, 50*time.Millisecond)
	err = cmd.Wait()
	peak, _ := sampler.Stop()
	if err != nil {
		return row{}, "", fmt.Errorf("scikit-learn search: %w: %s", err, stderr.String())
	}
	var res sklearnResult
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		return row{}, "", fmt.Errorf("scikit-learn search printed %q: %w", stdout.String(), err)
	}
	folds, _ := req["folds"].([][]int)
	return row{side: "scikit-learn", fits: res.Trials * len(folds), wall: res.WallSeconds, sumFit: res.FitSeconds + res.ScoreSeconds,
		peakMiB: peak, best: res.BestScore, bestParams: paramsText(res.BestParams)}, res.Version, nil
}

// wireParams are p's settings under XGBClassifier's names; max_depth is
// null for unlimited depth.
func wireParams(p gbt.Params) map[string]any {
	var depth any
	if p.MaxDepth != nil {
		depth = *p.MaxDepth
	}
	return map[string]any{"n_estimators": p.NEstimators, "max_depth": depth, "learning_rate": p.LearningRate,
		"min_child_weight": p.MinChildWeight, "subsample": p.Subsample, "colsample_bytree": p.ColsampleByTree,
		"reg_alpha": p.RegAlpha, "reg_lambda": p.RegLambda, "max_bin": p.MaxBin, "seed": p.Seed}
}

// wirePoints are the trials' searched parameters, as each trial's
// configuration sets them.
func wirePoints(base model.Config, trials []tune.Trial) ([]map[string]any, error) {
	out := make([]map[string]any, len(trials))
	for i, t := range trials {
		cfg, err := tune.Apply(base, t)
		if err != nil {
			return nil, err
		}
		all := wireParams(cfg.Defaults().GBT())
		out[i] = map[string]any{}
		for _, p := range t.Params {
			v, ok := all[p.Name]
			if !ok || p.Name == "seed" {
				return nil, fmt.Errorf("search.param_distributions.%s is not mapped onto XGBClassifier here; search only the tree's parameters (n_estimators, max_depth, learning_rate, min_child_weight, subsample, colsample_bytree, reg_alpha, reg_lambda, max_bin)", p.Name)
			}
			out[i][p.Name] = v
		}
	}
	return out, nil
}

// wireSpace is the space as [name, values] pairs when every parameter is
// a list of values.
func wireSpace(space tune.Space) ([][2]any, bool) {
	out := make([][2]any, len(space))
	for i, p := range space {
		if p.Dist.Kind != tune.DistChoice {
			return nil, false
		}
		values := p.Dist.Choices
		if p.Name == "max_depth" {
			// None, as the seed writes it, is unlimited depth: null to
			// gbtsearch.py.
			values = make([]any, len(p.Dist.Choices))
			for j, v := range p.Dist.Choices {
				if s, ok := v.(string); ok && model.DepthNone(s) {
					v = nil
				}
				values[j] = v
			}
		}
		out[i] = [2]any{p.Name, values}
	}
	return out, true
}

func configText(c model.Config) string {
	c = c.Defaults()
	return fmt.Sprintf("n_estimators %d, max_depth %s, learning_rate %g", c.NEstimators, c.MaxDepth, c.LearningRate)
}

func paramsText(p map[string]any) string {
	depth := "None"
	if d, ok := p["max_depth"].(float64); ok {
		depth = fmt.Sprint(d)
	}
	return fmt.Sprintf("n_estimators %v, max_depth %s, learning_rate %v", p["n_estimators"], depth, p["learning_rate"])
}
