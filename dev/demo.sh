#!/usr/bin/env bash
# make demo: the churn pipeline end to end on a local stack that this script
# starts and stops. Every step is a command you can type yourself.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$PWD/bin
STATE=$PWD/.mlpipe          # the same state `make dev` uses, so you can come back to this run
DATA=dev/examples/churn/data/churn.csv
SPEC=dev/examples/churn/pipeline.yaml
ID=churn-demo-$(date -u +%Y%m%d-%H%M%S)
mkdir -p "$STATE"
export MLPIPE_ARTIFACTS=$STATE/artifacts

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

DEV_PID=""
cleanup() {
  if [[ -n "$DEV_PID" ]] && kill -0 "$DEV_PID" 2>/dev/null; then
    kill -TERM "$DEV_PID" 2>/dev/null || true
    wait "$DEV_PID" 2>/dev/null || true
  fi
}
trap cleanup EXIT

step "Starting a Temporal dev server (Web UI on :8233), the CPU and GPU workers and the gateway"
"$BIN/mlpipe" dev --db "$STATE/temporal.db" >"$STATE/demo-dev.log" 2>&1 &
DEV_PID=$!
for _ in $(seq 1 240); do
  grep -q "mlpipe dev is up" "$STATE/demo-dev.log" 2>/dev/null && break
  if ! kill -0 "$DEV_PID" 2>/dev/null; then cat "$STATE/demo-dev.log"; echo "mlpipe dev did not start (log above)"; exit 1; fi
  sleep 0.5
done
grep -q "mlpipe dev is up" "$STATE/demo-dev.log" || { cat "$STATE/demo-dev.log"; echo "mlpipe dev did not start within 2 minutes"; exit 1; }
sed -n '/mlpipe dev is up/,/artifacts/p' "$STATE/demo-dev.log"

step "Generating churn data: bin/mlpipe gen churn --rows 5000 --seed 7 -o $DATA"
"$BIN/mlpipe" gen churn --rows 5000 --seed 7 -o "$DATA"

step "Turning the spec into workflow input: bin/mlpipe spec -f $SPEC"
"$BIN/mlpipe" spec -f "$SPEC" -o "$STATE/churn.json"

step "Starting the pipeline with the stock CLI: temporal workflow start --type TrainingPipeline"
"$BIN/temporal" workflow start --type TrainingPipeline --task-queue mlpipe-cpu -w "$ID" --input-file "$STATE/churn.json"

step "Waiting for the promotion gate"
"$BIN/mlpipe" status "$ID" --wait-for awaiting_approval --timeout 10m

step "Approving with the stock CLI: temporal workflow signal --name approve-promotion"
"$BIN/temporal" workflow signal -w "$ID" --name approve-promotion -i '{"approver":"demo","comment":"approved by make demo"}'

step "Waiting for the deployment"
"$BIN/mlpipe" status "$ID" --wait-for deployed --timeout 5m

step "Asking the gateway for predictions on three rows"
"$BIN/mlpipe" predict churn-classifier --csv "$DATA" --limit 3

step "Where the evaluation report is: bin/mlpipe report $ID"
"$BIN/mlpipe" report "$ID"

VERSION=$("$BIN/mlpipe" status "$ID" --format '{{.Result.Version}}')
REPORT=$("$BIN/mlpipe" status "$ID" --format '{{.Result.ReportHTML}}')
F1=$("$BIN/mlpipe" status "$ID" --format '{{printf "%.4f" (index .Result.Metrics "f1")}}')
step "Done"
cat <<TXT
  workflow ID    $ID
  model          churn-classifier version $VERSION (production)
  test F1        $F1
  report         $REPORT
  predictions    POST http://127.0.0.1:8080/v1/models/churn-classifier:predict
  Web UI         http://localhost:8233/namespaces/default/workflows/$ID
                 (the stack stops now; \`make dev\` brings it back with this run in its history)
TXT
