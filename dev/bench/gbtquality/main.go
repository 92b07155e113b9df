// Command gbtquality measures gradient-boosted trees on the churn example,
// as dev/bench/quality does for the example's logistic model: the test F1
// of the untuned trees (search_gbt.yaml's hyperparameters) and of the
// tuned ones (HyperparameterSearch over the seed's param_distributions on
// a real Temporal dev server, every trial×fold a TrainTrial on the GPU
// queue, the best retrained on the whole training split), on the same
// data, features and split as dev/bench/quality.
//
//	OMP_WAIT_POLICY=passive go run ./dev/bench/gbtquality
//	OMP_WAIT_POLICY=passive go run ./dev/bench/gbtquality -iter 6 -cv 3
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"time"

	"github.com/mlpipe/mlpipe/dev/bench/internal/stack"
	"github.com/mlpipe/mlpipe/internal/features"
	"github.com/mlpipe/mlpipe/internal/frame"
	"github.com/mlpipe/mlpipe/internal/gbt"
	"github.com/mlpipe/mlpipe/internal/gen"
	"github.com/mlpipe/mlpipe/internal/matrix"
	"github.com/mlpipe/mlpipe/internal/metrics"
	"github.com/mlpipe/mlpipe/internal/model"
	"github.com/mlpipe/mlpipe/internal/spec"
	"github.com/mlpipe/mlpipe/internal/treeeval"
	"github.com/mlpipe/mlpipe/workers"
	"github.com/mlpipe/mlpipe/workflows"
)

func main() {
	specPath := flag.String("spec", "dev/examples/churn/pipeline.yaml", "pipeline spec whose features are used")
	params := flag.String("params", "search_gbt.yaml", "params file (beside the spec) with the hyperparameters and the search")
	rows := flag.Int("rows", 5000, "rows of churn data (mlpipe gen churn --rows)")
	seed := flag.Int64("seed", 7, "data seed (mlpipe gen churn --seed)")
	iter := flag.Int("iter", 0, "override the search's n_iter")
	cv := flag.Int("cv", 0, "override the search's cv")
	slots := flag.Int("slots", 2, "GPU worker slots")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *specPath, *params, *rows, *seed, *iter, *cv, *slots); err != nil {
		fmt.Fprintln(os.Stderr, "bench gbtquality:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, specPath, params string, rows int, seed int64, iter, cv, slots int) error {
	dir, err := os.MkdirTemp("", "mlpipe-bench-gbtquality-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	data := filepath.Join(dir, "churn.csv")
	var buf bytes.Buffer
	if err := gen.Churn(&buf, rows, seed, time.Now().UTC()); err != nil {
		return err
	}
	if err := os.WriteFile(data, buf.Bytes(), 0o644); err != nil {
		return err
	}
	p, err := spec.Load(specPath, spec.Override{Path: "data.source", Value: data},
		spec.Override{Path: "stages.model_training.params", Value: "[" + params + "]"})
	if err != nil {
		return err
	}
	if p.Search == nil {
		return fmt.Errorf("%s has no search: block", params)
	}
	s := *p.Search
	if iter > 0 {
		s.NIter = iter
	}
	if cv > 0 {
		s.CV = cv
	}
	s = s.Defaults()
	train, test, err := featureSplit(data, p.Features)
	if err != nil {
		return err
	}
	untuned, err := testF1(ctx, train, test, p.Hyperparameters)
	if err != nil {
		return fmt.Errorf("untuned: %w", err)
	}
	st, err := stack.Start(ctx, stack.Options{Slots: slots, Prefetch: workers.PrefetchPerSlot})
	if err != nil {
		return err
	}
	defer st.Close()
	ref, err := st.PutMatrix(ctx, "bench/churn/train.csv", train)
	if err != nil {
		return err
	}
	sr, err := st.RunSearch(ctx, "bench-gbtquality-"+time.Now().UTC().Format("150405"),
		workflows.SearchInput{Model: p.Model, Train: ref, Base: p.Hyperparameters, Search: s})
	if err != nil {
		return err
	}
	tuned, err := testF1(ctx, train, test, sr.Result.BestConfig)
	if err != nil {
		return fmt.Errorf("tuned: %w", err)
	}
	fmt.Printf("Churn data: mlpipe gen churn --rows %d --seed %d; features and split of %s (%d train, %d test rows); "+
		"search: n_iter %d, cv %d, scoring %s, seed %d, over %s; %.0f s. Test F1 at threshold 0.5.\n\n",
		rows, seed, specPath, train.Rows(), test.Rows(), s.NIter, s.CV, s.Scoring, s.Seed, s.ParamDistributions.String(), sr.Wall.Seconds())
	fmt.Println("| model | configuration | best CV " + s.Scoring + " | test F1 |")
	fmt.Println("| --- | --- | ---: | ---: |")
	fmt.Printf("| untuned | %s | – | %.4f |\n", configText(p.Hyperparameters), untuned)
	fmt.Printf("| tuned | %s | %.4f | %.4f |\n", configText(sr.Result.BestConfig), sr.Result.Best.Mean, tuned)
	return nil
}

// featureSplit is the feature stage without the store.
func featureSplit(path string, fs features.Spec) (train, test matrix.Matrix, err error) {
	fh, err := os.Open(path)
	if err != nil {
		return train, test, err
	}
	defer fh.Close()
	f, err := frame.ReadCSV(fh, frame.ReadOptions{Source: path})
	if err != nil {
		return train, test, err
	}
	trainIdx, testIdx, err := features.Split(f, fs)
	if err != nil {
		return train, test, err
	}
	tr, err := features.Fit(f.Take(trainIdx), fs)
	if err != nil {
		return train, test, err
	}
	for _, m := range []struct {
		f   *frame.Frame
		out *matrix.Matrix
	}{{f.Take(trainIdx), &train}, {f.Take(testIdx), &test}} {
		X, y, err := tr.Apply(m.f)
		if err != nil {
			return train, test, err
		}
		*m.out = matrix.Matrix{Names: tr.OutputNames(), X: X, Y: y}
	}
	return train, test, nil
}

// testF1 trains cfg on the training split and scores the test split as
// the pipeline's evaluation does (the bundle's plain-Go trees).
func testF1(ctx context.Context, train, test matrix.Matrix, cfg model.Config) (float64, error) {
	cfg = cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		return 0, err
	}
	p := cfg.GBT()
	p.NThread = 2
	res, err := gbt.Train(ctx, train.X, train.Y, nil, train.Cols(), p, gbt.Options{})
	if err != nil {
		return 0, err
	}
	m, err := treeeval.Parse(res.Model)
	if err != nil {
		return 0, err
	}
	proba, err := m.PredictProba(test.X, test.Cols())
	if err != nil {
		return 0, err
	}
	r, err := metrics.Binary(test.Y, proba, 0.5)
	if err != nil {
		return 0, err
	}
	return r.F1, nil
}

func configText(c model.Config) string {
	c = c.Defaults()
	return fmt.Sprintf("n_estimators %d, max_depth %s, learning_rate %g", c.NEstimators, c.MaxDepth, c.LearningRate)
}
