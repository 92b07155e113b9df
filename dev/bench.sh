#!/usr/bin/env bash
# make bench: mlpipe's benchmarks, one run, on this machine.
set -euo pipefail
cd "$(dirname "$0")/.."
go test -run '^$' -bench . -benchmem -count 1 ./internal/... | grep -E '^(Benchmark|ok|PASS|goos|goarch|cpu|pkg)'
