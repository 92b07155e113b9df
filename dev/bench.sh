#!/usr/bin/env bash
# make bench: mlpipe's benchmarks, one run, on this machine.
#   1. Go micro-benchmarks: training, Dgemm, CSV reading, feature transform,
#      bootstrap.
#   2. The serving benchmark: the gateway against a bare net/http handler at
#      32 connections, 1-row and 32-row requests, plus a 60 s soak for memory.
#   3. Training: the Gorgonia MLP and logistic regression against scikit-learn.
#   4. Search: HyperparameterSearch on a Temporal dev server against
#      scikit-learn (n_jobs=2) on the same 20 sampled configurations × 5 folds,
#      on 500 × 30 and
#      100,000 × 20, with parallel efficiency and Temporal's overhead per trial.
#   5. Quality: test F1 of the untuned, the tuned and scikit-learn's best model
#      on the example churn data.
#   6. Gradient-boosted trees: training time against python3-xgboost and
#      scikit-learn's HistGradientBoostingClassifier (100,000 and 1,000,000
#      rows × 20), the seed's search block (dev/examples/churn/search_gbt.yaml,
#      20 trials × 5 folds, scoring f1) on HyperparameterSearch against
#      scikit-learn's RandomizedSearchCV(XGBClassifier, n_jobs=2) on the same
#      folds, and the test F1 of boosted trees tuned with that block on the
#      churn data, with the comparisons that explain it.
#   7. The data plane on 1,000,000 churn rows: ingestion (CSV to Parquet and
#      profile) against pandas, validation (15 expectations) against pandas
#      and one bare DuckDB query, features against pandas + scikit-learn's
#      ColumnTransformer; with BENCH_PIPELINE_ROWS=10000000, the first four
#      stages of the pipeline on 10M rows, each stage's time and peak RSS.
#   8. Monitoring: the ModelMonitor's analysis of one window (1,000,000
#      logged predictions × 12 features from real Parquet log files, 100,000
#      joined labels) against the same statistics in pandas + scipy.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "## Go benchmarks"
go test -run '^$' -bench . -benchmem -count 1 ./internal/... | grep -E '^(Benchmark|ok|goos|goarch|cpu)'
echo
echo "## Serving: gateway vs bare handler"
go run ./dev/bench/serving -duration "${BENCH_DURATION:-10s}" -soak "${BENCH_SOAK:-60s}"

echo
echo "## Training: Gorgonia against scikit-learn"
if ! /usr/bin/python3 -c 'import sklearn' 2>/dev/null; then
  echo "installing scikit-learn for the side-by-side run (Debian's python3-sklearn)..."
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO=sudo; fi
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq python3-sklearn python3-pandas >/dev/null
fi
go run ./dev/bench/training

echo
echo "## Search: HyperparameterSearch against scikit-learn's search (n_jobs=2) over the same configurations"
[ -x bin/temporal ] || make bin/temporal >/dev/null   # the dev server the search runs on
go run ./dev/bench/search

echo
echo "## Quality: untuned, tuned and scikit-learn's best on the churn example"
go run ./dev/bench/quality

# XGBoost's OpenMP threads spin while they wait unless told otherwise;
# libgomp reads this when each process starts.
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
echo
echo "## Gradient-boosted trees: XGBoost's C API against python3-xgboost and scikit-learn"
go run ./dev/bench/gbt -rows 100000,1000000 -rounds 3

echo
echo "## Search: the seed's tree search (search_gbt.yaml) against scikit-learn's RandomizedSearchCV(XGBClassifier, n_jobs=2)"
go run ./dev/bench/gbtsearch

echo
echo "## Quality: gradient-boosted trees tuned with the seed's search block on the churn example"
go run ./dev/bench/gbtquality

echo
echo "## Data plane: ingestion (CSV to Parquet and profile) against pandas"
go run ./dev/bench/ingest

echo
echo "## Data plane: validation against pandas and one bare DuckDB query"
go run ./dev/bench/validation

echo
echo "## Data plane: features against pandas + scikit-learn's ColumnTransformer"
go run ./dev/bench/features

# The whole data path at scale takes a quarter of an hour on 2 cores (most
# of it writing and ingesting the 1 GB CSV): BENCH_PIPELINE_ROWS=10000000
# runs it.
if [ -n "${BENCH_PIPELINE_ROWS:-}" ]; then
  echo
  echo "## Data plane at scale: ingestion → validation → features → logistic training, time and peak RSS per stage"
  go run ./dev/bench/pipeline10m -rows "$BENCH_PIPELINE_ROWS"
fi

echo
echo "## Monitoring: one window (1,000,000 logged predictions × 12 features, 100,000 labels) against pandas + scipy"
go run ./dev/bench/monitor
