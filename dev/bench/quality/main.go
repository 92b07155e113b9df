// Command quality checks what the search buys on the example churn data:
// the test F1 of the untuned model (dev/examples/churn's hyperparameters),
// of mlpipe's tuned model (HyperparameterSearch over the example's search
// space on a real Temporal dev server, the best configuration retrained on
// the whole training split) and of scikit-learn's best from
// RandomizedSearchCV over the same space, the same folds and the same split,
// refit on the training split. The split and the features are the feature
// stage's (internal/features), so all three see the very same rows.
//
//	go run ./dev/bench/quality
//	go run ./dev/bench/quality -iter 20 -cv 5
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/mlpipe/mlpipe/dev/bench/internal/sklearn"
	"github.com/mlpipe/mlpipe/dev/bench/internal/stack"
	"github.com/mlpipe/mlpipe/internal/features"
	"github.com/mlpipe/mlpipe/internal/frame"
	"github.com/mlpipe/mlpipe/internal/gen"
	"github.com/mlpipe/mlpipe/internal/matrix"
	"github.com/mlpipe/mlpipe/internal/metrics"
	"github.com/mlpipe/mlpipe/internal/model"
	"github.com/mlpipe/mlpipe/internal/spec"
	"github.com/mlpipe/mlpipe/internal/tune"
	"github.com/mlpipe/mlpipe/workers"
	"github.com/mlpipe/mlpipe/workflows"
)

type options struct {
	specPath, python string
	rows             int
	seed             int64
	iter, cv, slots  int
}

func main() {
	var o options
	flag.StringVar(&o.specPath, "spec", "dev/examples/churn/pipeline.yaml", "pipeline spec whose features, hyperparameters and search are used")
	flag.IntVar(&o.rows, "rows", 5000, "rows of churn data (mlpipe gen churn --rows)")
	flag.Int64Var(&o.seed, "seed", 7, "data seed (mlpipe gen churn --seed)")
	flag.IntVar(&o.iter, "iter", 0, "override the spec's n_iter (both sides)")
	flag.IntVar(&o.cv, "cv", 0, "override the spec's cv (both sides)")
	flag.IntVar(&o.slots, "slots", 2, "GPU worker slots; scikit-learn gets n_jobs of the same")
	flag.StringVar(&o.python, "python", "/usr/bin/python3", "Python with scikit-learn, scipy and pandas")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, o); err != nil {
		fmt.Fprintln(os.Stderr, "bench quality:", err)
		os.Exit(1)
	}
}

// split is the feature stage's output: train and test matrices.
type split struct{ train, test matrix.Matrix }

func run(ctx context.Context, w io.Writer, o options) error {
	dir, err := os.MkdirTemp("", "mlpipe-bench-quality-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	data := filepath.Join(dir, "churn.csv")
	var buf bytes.Buffer
	if err := gen.Churn(&buf, o.rows, o.seed, time.Now().UTC()); err != nil {
		return err
	}
	if err := os.WriteFile(data, buf.Bytes(), 0o644); err != nil {
		return err
	}
	p, err := spec.Load(o.specPath, spec.Override{Path: "data.source", Value: data})
	if err != nil {
		return err
	}
	if p.Search == nil {
		return fmt.Errorf("%s has no search: block", o.specPath)
	}
	s := *p.Search
	if o.iter > 0 {
		s.NIter = o.iter
	}
	if o.cv > 0 {
		s.CV = o.cv
	}
	s = s.Defaults()
	if s.Strategy != tune.StrategyRandom {
		return fmt.Errorf("search strategy %s: scikit-learn's RandomizedSearchCV compares with strategy random only", s.Strategy)
	}
	if bad := sklearn.Unsupported(p.Hyperparameters, s.ParamDistributions); len(bad) > 0 {
		return fmt.Errorf("the scikit-learn side does not map %s", strings.Join(bad, ", "))
	}
	sp, err := featureSplit(data, p.Features)
	if err != nil {
		return err
	}
	cols := sp.train.Cols()

	// (i) untuned: the example's hyperparameters on the whole training split.
	untuned, err := testF1(ctx, sp, p.Hyperparameters)
	if err != nil {
		return fmt.Errorf("untuned: %w", err)
	}

	// (ii) mlpipe: the search on a real stack, the best retrained as the
	// pipeline's model_training does after its search.
	st, err := stack.Start(ctx, stack.Options{Slots: o.slots, Prefetch: workers.PrefetchPerSlot})
	if err != nil {
		return err
	}
	defer st.Close()
	ref, err := st.PutMatrix(ctx, "bench/churn/train.csv", sp.train)
	if err != nil {
		return err
	}
	sr, err := st.RunSearch(ctx, "bench-quality-"+time.Now().UTC().Format("150405"),
		workflows.SearchInput{Model: p.Model, Train: ref, Base: p.Hyperparameters, Search: s})
	if err != nil {
		return err
	}
	tuned, err := testF1(ctx, sp, sr.Result.BestConfig)
	if err != nil {
		return fmt.Errorf("tuned: %w", err)
	}

	// (iii) scikit-learn over the same space, folds and split.
	trainCSV, testCSV := filepath.Join(dir, "train.csv"), filepath.Join(dir, "test.csv")
	if err := writeMatrix(trainCSV, sp.train); err != nil {
		return err
	}
	if err := writeMatrix(testCSV, sp.test); err != nil {
		return err
	}
	folds, err := tune.StratifiedKFold(sp.train.Y, s.CV, s.Seed)
	if err != nil {
		return err
	}
	sk, err := sklearn.Search(ctx, o.python, sklearn.Request{Train: trainCSV, Test: testCSV, Space: s.ParamDistributions,
		Base: p.Hyperparameters, NIter: s.NIter, Folds: folds, Scoring: s.Scoring, Seed: s.Seed, NJobs: o.slots, Refit: true})
	if err != nil {
		return err
	}

	fmt.Fprintf(w, "Churn data: mlpipe gen churn --rows %d --seed %d; features and split of %s (%d train, %d test rows, %d features); "+
		"search: n_iter %d, cv %d, scoring %s, seed %d, over %s. Test F1 at threshold 0.5. scikit-learn %s: RandomizedSearchCV(n_jobs=%d) "+
		"on mlpipe's folds with MLPClassifier(hidden_layer_sizes=()) as the logistic model (l2 → alpha = l2 × batch_size; see dev/bench/internal/sklearn/search.py).\n\n",
		o.rows, o.seed, o.specPath, sp.train.Rows(), sp.test.Rows(), cols, s.NIter, s.CV, s.Scoring, s.Seed, s.ParamDistributions.String(), sk.Version, o.slots)
	fmt.Fprintln(w, "| model | configuration | best CV "+s.Scoring+" | test F1 |")
	fmt.Fprintln(w, "| --- | --- | ---: | ---: |")
	h := p.Hyperparameters
	fmt.Fprintf(w, "| (i) untuned | %s | – | %.4f |\n", configText(h), untuned)
	fmt.Fprintf(w, "| (ii) mlpipe tuned | %s | %.4f | %.4f |\n", configText(sr.Result.BestConfig), sr.Result.Best.Mean, tuned)
	skCV := "n/a"
	if sk.BestScore != nil {
		skCV = fmt.Sprintf("%.4f", *sk.BestScore)
	}
	fmt.Fprintf(w, "| (iii) scikit-learn best | %s | %s | %.4f |\n", paramsText(sk.BestParams), skCV, sk.TestF1)
	fmt.Fprintf(w, "| (iv) scikit-learn untuned, for reference | %s | – | %.4f |\n", configText(h), sk.BaseTestF1)
	fmt.Fprintln(w, "\n| target | figure | met |")
	fmt.Fprintln(w, "| --- | ---: | --- |")
	fmt.Fprintf(w, "| tuned ≥ untuned | tuned − untuned = %+.4f | %s |\n", tuned-untuned, yes(tuned >= untuned))
	gap := tuned - sk.TestF1
	fmt.Fprintf(w, "| \\|tuned − scikit-learn best\\| ≤ 0.02 | tuned − sklearn = %+.4f | %s |\n", gap, yes(gap <= 0.02 && gap >= -0.02))
	return nil
}

// featureSplit is EngineerFeatures without the store: split (seeded,
// stratified), fit on the training rows only, apply to both.
func featureSplit(path string, fs features.Spec) (split, error) {
	fh, err := os.Open(path)
	if err != nil {
		return split{}, err
	}
	defer fh.Close()
	f, err := frame.ReadCSV(fh, frame.ReadOptions{Source: path})
	if err != nil {
		return split{}, err
	}
	trainIdx, testIdx, err := features.Split(f, fs)
	if err != nil {
		return split{}, err
	}
	train, test := f.Take(trainIdx), f.Take(testIdx)
	tr, err := features.Fit(train, fs)
	if err != nil {
		return split{}, err
	}
	var sp split
	for _, m := range []struct {
		f   *frame.Frame
		out *matrix.Matrix
	}{{train, &sp.train}, {test, &sp.test}} {
		X, y, err := tr.Apply(m.f)
		if err != nil {
			return split{}, err
		}
		*m.out = matrix.Matrix{Names: tr.OutputNames(), X: X, Y: y}
	}
	return sp, nil
}

// testF1 trains cfg on the whole training split and scores the test split.
func testF1(ctx context.Context, sp split, cfg model.Config) (float64, error) {
	m, err := model.Train(ctx, sp.train.X, sp.train.Y, sp.train.Cols(), cfg, nil, nil)
	if err != nil {
		return 0, err
	}
	p, err := m.PredictProba(sp.test.X, sp.test.Cols())
	if err != nil {
		return 0, err
	}
	r, err := metrics.Binary(sp.test.Y, p, 0.5)
	if err != nil {
		return 0, err
	}
	return r.F1, nil
}

func writeMatrix(path string, m matrix.Matrix) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := matrix.Write(f, m); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func configText(c model.Config) string {
	c = c.Defaults()
	return fmt.Sprintf("%s, %s, %d epochs, lr %.4g, batch %d, l2 %.3g", c.Kind, c.Optimizer, c.Epochs, c.LearningRate, c.BatchSize, c.L2)
}

func paramsText(p map[string]any) string {
	var parts []string
	for _, k := range []string{"learning_rate", "batch_size", "l2", "hidden_units", "epochs", "kind", "optimizer", "activation"} {
		if v, ok := p[k]; ok {
			if f, isNum := v.(float64); isNum {
				parts = append(parts, fmt.Sprintf("%s %.4g", k, f))
			} else {
				parts = append(parts, fmt.Sprintf("%s %v", k, v))
			}
		}
	}
	return strings.Join(parts, ", ")
}

func yes(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}
