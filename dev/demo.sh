#!/usr/bin/env bash
# make demo: the churn pipeline end to end on a local stack that this script
# starts and stops. Every step is a command you can type yourself.
#
# Two runs of the example pipeline: the first trains, passes the gate, is
# approved with the stock Temporal CLI and becomes version 1 in production
# (a first version has nothing to compare a canary with). The second is
# rolled out as a canary against it while `mlpipe traffic` replays customers
# and posts their outcomes: the seed's 24-hour schedule, compressed here to
# about a minute. Alongside the canary, a third run trains gradient-boosted
# trees with the seed's own param_distributions block as written
# (dev/examples/churn/search_gbt.yaml: n_iter 20, cv 5, every trial×fold on
# mlpipe-gpu); it is shown up to its gate and not deployed. It ends with
# the model monitor the deployment scheduled: triggered once on the clean
# traffic, then on a window of drifted traffic (`mlpipe traffic --drift`),
# whose verdict and report it prints.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$PWD/bin
STATE=$PWD/.mlpipe/demo
DATA=dev/examples/churn/data/churn.csv
SPEC=dev/examples/churn/pipeline.yaml
STAMP=$(date -u +%Y%m%d-%H%M%S)
rm -rf "$STATE"
mkdir -p "$STATE"
export MLPIPE_ARTIFACTS=$STATE/artifacts
export MLPIPE_ADMIN_TOKEN=${MLPIPE_ADMIN_TOKEN:-mlpipe-demo}
export MLPIPE_GATEWAY_REFRESH=500ms
# XGBoost's OpenMP threads spin while they wait unless told otherwise, which
# on shared cores slows boosting many times over; libgomp reads this once,
# when mlpipe dev starts.
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
# The canary, compressed: 20% then 50%, analysed every 4 seconds, with the
# sample sizes scaled to a minute of traffic.
CANARY=(--set 'deployment.steps=[{weight: 20, hold: 20s}, {weight: 50, hold: 12s}]'
        --set deployment.analysis_interval=4s --set deployment.failure_limit=3
        --set 'deployment.criteria={min_requests: 50, min_feedback: 50, min_psi_rows: 100, max_p99_ratio: 3, confidence: 0.99}')

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  done
}
trap cleanup EXIT

step "Starting a Temporal dev server (Web UI on :8233), the CPU and GPU workers and the gateway"
"$BIN/mlpipe" dev --db "$STATE/temporal.db" >"$STATE/dev.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 240); do
  grep -q "mlpipe dev is up" "$STATE/dev.log" 2>/dev/null && break
  if ! kill -0 "${PIDS[0]}" 2>/dev/null; then cat "$STATE/dev.log"; echo "mlpipe dev did not start (log above)"; exit 1; fi
  sleep 0.5
done
grep -q "mlpipe dev is up" "$STATE/dev.log" || { cat "$STATE/dev.log"; echo "mlpipe dev did not start within 2 minutes"; exit 1; }
sed -n '/mlpipe dev is up/,/Ctrl-C/p' "$STATE/dev.log" | grep -v Ctrl-C
UI=$(sed -n 's/^  Web UI *//p' "$STATE/dev.log" | head -n 1)

step "Generating churn data: bin/mlpipe gen churn --rows 5000 --seed 7 -o $DATA"
"$BIN/mlpipe" gen churn --rows 5000 --seed 7 -o "$DATA"

step "Turning the spec into workflow input: bin/mlpipe spec -f $SPEC"
"$BIN/mlpipe" spec -f "$SPEC" "${CANARY[@]}" -o "$STATE/churn.json"

# run ID: start the pipeline with the stock CLI, wait for the gate, approve
# it with the stock CLI.
run() {
  local id=$1
  step "Starting pipeline $id with the stock CLI: temporal workflow start --type TrainingPipeline"
  "$BIN/temporal" workflow start --type TrainingPipeline --task-queue mlpipe-cpu -w "$id" --input-file "$STATE/churn.json" \
    --static-summary "make demo: churn pipeline" >/dev/null
  "$BIN/mlpipe" status "$id" --wait-for awaiting_approval --timeout 10m
  step "Approving with the stock CLI: temporal workflow signal -w $id --name approve-promotion"
  "$BIN/temporal" workflow signal -w "$id" --name approve-promotion -i '{"approver":"demo","comment":"approved by make demo"}'
}

FIRST=churn-demo-$STAMP-1
run "$FIRST"
"$BIN/mlpipe" status "$FIRST" --wait-for deployed --timeout 5m

step "Replaying customers against the gateway, with their outcomes as feedback: bin/mlpipe traffic"
"$BIN/mlpipe" traffic churn-classifier --csv "$DATA" --label churned --value monthly_charges \
  --sticky customer_id --rate 150 --duration 4m >"$STATE/traffic.log" 2>&1 &
TRAFFIC=$!
PIDS+=($TRAFFIC)

SECOND=churn-demo-$STAMP-2
run "$SECOND"
GBT=churn-demo-$STAMP-gbt
step "The seed's search block on gradient-boosted trees, alongside the canary: bin/mlpipe run -f $SPEC --set 'stages.model_training.params=[search_gbt.yaml]'"
"$BIN/mlpipe" run -f "$SPEC" --id "$GBT" --detach --set 'stages.model_training.params=[search_gbt.yaml]' >/dev/null
step "Canary rollout of version 2 against version 1 (watch it in the Web UI: workflow $SECOND-canary)"
"$BIN/mlpipe" rollout status "$SECOND-canary" --follow --timeout 5m
"$BIN/mlpipe" status "$SECOND" --wait-for deployed --timeout 2m

step "Asking the gateway for predictions on three rows"
"$BIN/mlpipe" predict churn-classifier --csv "$DATA" --limit 3

step "The boosted trees' run: its search's best trial, then its gate (against production): bin/mlpipe status $GBT"
# The gate may refuse the trees against the production model; either end
# of the gate is the demo's, anything else is an error.
"$BIN/mlpipe" status "$GBT" --wait-for awaiting_approval --timeout 10m 2>/dev/null || true
GBT_STATE=$("$BIN/mlpipe" status "$GBT" --format '{{.State}}')
case $GBT_STATE in
  awaiting_approval) "$BIN/mlpipe" reject "$GBT" --as demo --comment "make demo: shown, not deployed" ;;
  rejected_by_gate) ;;
  *) echo "the gradient-boosted run ended as $GBT_STATE"; exit 1 ;;
esac

step "Where the evaluation report is: bin/mlpipe report $SECOND"
"$BIN/mlpipe" report "$SECOND"

# The deployment scheduled a ModelMonitor for the production model (every
# 15 minutes); the demo triggers it instead of waiting.
kill "$TRAFFIC" 2>/dev/null || true
step "The model monitor, triggered now on the clean traffic so far: bin/mlpipe monitor run churn-classifier"
"$BIN/mlpipe" monitor run churn-classifier | sed -n '1,3p'
step "A window of drifted traffic (charges up one standard deviation, 30% of plans a new one): bin/mlpipe traffic --drift"
"$BIN/mlpipe" traffic churn-classifier --csv "$DATA" --label churned --value monthly_charges --sticky customer_id \
  --drift mean_shift:1:monthly_charges --drift new_category:0.3:plan --requests 1000 --rate 0 >"$STATE/drift.log" 2>&1
# The gateway flushes its inference log every second.
sleep 2
step "The monitor on the drifted window: bin/mlpipe monitor run churn-classifier"
"$BIN/mlpipe" monitor run churn-classifier
MONITOR_VERDICT=$("$BIN/mlpipe" monitor report churn-classifier | sed -n 's/^verdict  //p')
MONITOR_PAGE=$("$BIN/mlpipe" monitor report churn-classifier | sed -n 's/^html     //p')
case $MONITOR_VERDICT in
  drift|"dataset drift") ;;
  *) echo "the monitor did not flag the drifted window: $MONITOR_VERDICT"; exit 1 ;;
esac

# mlpipe dev runs Prometheus and Alertmanager when they are installed (make
# deps): Prometheus reads the drifted window's figures from the alerting
# endpoint's /metrics, the spec's drift rule fires, Alertmanager notifies
# mlpipe, and the rule's action starts one retraining, which waits at the
# approval gate for a person.
PROM=$(sed -n 's/^  Prometheus \(http[^ ]*\)$/\1/p' "$STATE/dev.log" | head -n 1)
AM=$(sed -n 's/^  Alertmanager \(http[^ ]*\)$/\1/p' "$STATE/dev.log" | head -n 1)
RETRAIN=""
if [ -n "$PROM" ] && [ -n "$AM" ]; then
  step "The drift alert: Prometheus ($PROM) fires ChurnDrift, Alertmanager ($AM) notifies mlpipe"
  FIRED=""
  for _ in $(seq 1 180); do
    if curl -fsS "$AM/api/v2/alerts?active=true&filter=alertname%3D%22ChurnDrift%22" 2>/dev/null | grep -q '"alertname":"ChurnDrift"'; then
      FIRED=yes; break
    fi
    sleep 1
  done
  [ -n "$FIRED" ] || { echo "the drift alert never fired in Alertmanager ($AM/#/alerts; rules: $PROM/alerts)"; exit 1; }
  for _ in $(seq 1 60); do
    # Exit status 2 until the alert reaches the model's loop.
    RETRAIN=$({ "$BIN/mlpipe" alerts status churn-classifier 2>/dev/null || true; } | sed -n 's/^retrain \([^ ]*\) for .*/\1/p' | head -n 1)
    [ -n "$RETRAIN" ] && break
    sleep 1
  done
  [ -n "$RETRAIN" ] || { echo "the alert started no retraining"; "$BIN/mlpipe" alerts status churn-classifier || true; exit 1; }
  "$BIN/mlpipe" alerts status churn-classifier
  step "The retraining the alert started waits at the approval gate: bin/mlpipe status $RETRAIN"
  "$BIN/mlpipe" status "$RETRAIN" --wait-for awaiting_approval --timeout 10m
  RETRAINS=$("$BIN/mlpipe" alerts status churn-classifier | grep -c '^retrain ' || true)
  [ "$RETRAINS" = 1 ] || { echo "the alert started $RETRAINS retrainings, not one"; exit 1; }
else
  step "Prometheus and Alertmanager are not installed (make deps installs them): no alert, no retraining"
fi

VERSION=$("$BIN/mlpipe" status "$SECOND" --format '{{.Result.Version}}')
F1=$("$BIN/mlpipe" status "$SECOND" --format '{{printf "%.4f" (index .Result.Metrics "f1")}}')
REPORT=$("$BIN/mlpipe" status "$SECOND" --format '{{.Result.ReportHTML}}')
step "Done"
cat <<TXT
  workflow IDs   $FIRST (direct: first version), $SECOND (canary), $GBT (boosted trees, the seed's search)
  model          churn-classifier version $VERSION (production)
  test F1        $F1
  report         $REPORT
  predictions    POST http://127.0.0.1:8080/v1/models/churn-classifier:predict
  monitor        schedule monitor-churn-classifier; drifted window: $MONITOR_VERDICT
                 $MONITOR_PAGE
  Web UI         $UI/namespaces/default/workflows/$SECOND
                 $UI/namespaces/default/workflows/$SECOND-canary
TXT
if [ -n "$RETRAIN" ]; then
  cat <<TXT
  drift alert    ChurnDrift fired; retraining $RETRAIN waits for approval
                 $UI/namespaces/default/workflows/$RETRAIN
  Prometheus     $PROM/alerts
  Alertmanager   $AM/#/alerts
TXT
fi
cat <<TXT
  The stack stops now. To browse these runs again:
    MLPIPE_ARTIFACTS=$STATE/artifacts bin/mlpipe dev --db $STATE/temporal.db
TXT
