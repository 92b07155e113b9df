#!/usr/bin/env bash
# make bench: mlpipe's benchmarks, one run, on this machine.
#   1. Go micro-benchmarks: training, CSV reading, feature transform, bootstrap.
#   2. The serving benchmark: the gateway against a bare net/http handler at
#      32 connections, 1-row and 32-row requests, plus a 60 s soak for memory.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "## Go benchmarks"
go test -run '^$' -bench . -benchmem -count 1 ./internal/... | grep -E '^(Benchmark|ok|goos|goarch|cpu)'
echo
echo "## Serving: gateway vs bare handler"
go run ./dev/bench/serving -duration "${BENCH_DURATION:-10s}" -soak "${BENCH_SOAK:-60s}"
