// Command gbtquality measures gradient-boosted trees on the churn example,
// as dev/bench/quality does for the example's logistic model: the test F1
// of the untuned trees (search_gbt.yaml's hyperparameters) and of the
// tuned ones (HyperparameterSearch over the seed's param_distributions on
// a real Temporal dev server, every trial×fold a TrainTrial on the GPU
// queue, the best retrained on the whole training split), on the same
// data, features and split as dev/bench/quality. Then, trained in this
// process on the same split, what explains the figure (explain.go): the
// generator's own probability, a logistic regression, the tuned trees
// with class weights, early stopping and a threshold tuned out of fold,
// shallow trees, each with a bootstrap interval over the test rows; and
// the same customers relabelled from a logit with interactions.
//
//	OMP_WAIT_POLICY=passive go run ./dev/bench/gbtquality
//	OMP_WAIT_POLICY=passive go run ./dev/bench/gbtquality -iter 6 -cv 3
//	OMP_WAIT_POLICY=passive go run ./dev/bench/gbtquality -evidence=false
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/mlpipe/mlpipe/dev/bench/gbtchurn"
	"github.com/mlpipe/mlpipe/dev/bench/internal/stack"
	"github.com/mlpipe/mlpipe/internal/matrix"
	"github.com/mlpipe/mlpipe/internal/metrics"
	"github.com/mlpipe/mlpipe/internal/model"
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
	evidence := flag.Bool("evidence", true, "also train the comparisons that explain the trees' F1 (in this process)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *specPath, *params, *rows, *seed, *iter, *cv, *slots, *evidence); err != nil {
		fmt.Fprintln(os.Stderr, "bench gbtquality:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, specPath, params string, rows int, seed int64, iter, cv, slots int, evidence bool) error {
	dir, err := os.MkdirTemp("", "mlpipe-bench-gbtquality-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	d, err := gbtchurn.Prepare(dir, specPath, params, rows, seed)
	if err != nil {
		return err
	}
	p := d.Spec
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
	train, test := d.Train, d.Test
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
	if !evidence {
		return nil
	}
	return explain(ctx, os.Stdout, dir, specPath, params, d, sr.Result.BestConfig, s.CV, s.Seed)
}

// testF1 trains cfg on the training split and scores the test split as
// the pipeline's evaluation does (the bundle's plain-Go trees).
func testF1(ctx context.Context, train, test matrix.Matrix, cfg model.Config) (float64, error) {
	predict, err := fitTrees(cfg)(ctx, train.X, train.Y, train.Cols())
	if err != nil {
		return 0, err
	}
	proba, err := predict(test.X)
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
