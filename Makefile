# mlpipe: `make demo` runs the churn pipeline end to end, `make test` runs
# every test. Both install what they need into bin/ on a machine with only Go.

SHELL := bash
BIN := $(CURDIR)/bin

TEMPORAL_CLI_VERSION  := v1.5.1
VERSITYGW_VERSION     := v1.8.0
STATICCHECK_VERSION   := v0.8.2
WORKFLOWCHECK_VERSION := v0.6.0
ERRCHECK_VERSION      := v1.30.0

GO_SOURCES := $(shell find . -name '*.go' -not -path './.mlpipe/*') go.mod go.sum

.PHONY: build build-cuda deps tools demo dev test lint unit chaos bench fuzz clean

build: deps $(BIN)/mlpipe

# -buildvcs=auto: the binary records the commit it was built from (every
# model's code_version), even where GOFLAGS turns that off.
$(BIN)/mlpipe: $(GO_SOURCES)
	go build -buildvcs=auto -o $@ ./cmd/mlpipe

# The same binary with Gorgonia's CUDA engine for GPU workers. It needs the
# CUDA toolkit (cuda.h, libcuda, cuBLAS) and cuDNN (cudnn.h, libcudnn); see
# the README. Nothing in `make test` builds it.
build-cuda:
	go build -tags cuda -o $(BIN)/mlpipe-cuda ./cmd/mlpipe

# Later Temporal CLI versions do not `go install`; keep v1.5.1.
$(BIN)/temporal:
	GOBIN=$(BIN) go install github.com/temporalio/cli/cmd/temporal@$(TEMPORAL_CLI_VERSION)

$(BIN)/versitygw:
	GOBIN=$(BIN) go install github.com/versity/versitygw/cmd/versitygw@$(VERSITYGW_VERSION)

$(BIN)/staticcheck:
	GOBIN=$(BIN) go install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

$(BIN)/workflowcheck:
	GOBIN=$(BIN) go install go.temporal.io/sdk/contrib/tools/workflowcheck@$(WORKFLOWCHECK_VERSION)

$(BIN)/errcheck:
	GOBIN=$(BIN) go install github.com/kisielk/errcheck@$(ERRCHECK_VERSION)

tools: $(BIN)/temporal $(BIN)/versitygw $(BIN)/staticcheck $(BIN)/workflowcheck $(BIN)/errcheck

# System packages, from Debian with apt-get (as root, or through sudo),
# only when missing: XGBoost's C library and header (libxgboost-dev 1.7),
# which gradient-boosted trees train through; the C and C++ compilers cgo
# needs for it and for DuckDB (the data plane links DuckDB's bundled static
# library, which needs libstdc++); Prometheus 2.42 and Alertmanager 0.25,
# which alerts run on (as plain processes: mlpipe starts them with the
# configs it renders); for `make bench` also Python's xgboost,
# scikit-learn, pandas and scipy, the side-by-side references.
XGBOOST_HEADER ?= /usr/include/xgboost/c_api.h
deps:
	@missing=""; \
	[ -f $(XGBOOST_HEADER) ] || missing="$$missing libxgboost-dev"; \
	command -v "$$(go env CC)" >/dev/null || missing="$$missing gcc libc6-dev"; \
	command -v "$$(go env CXX)" >/dev/null || missing="$$missing g++"; \
	command -v promtool >/dev/null || missing="$$missing prometheus"; \
	command -v prometheus-alertmanager >/dev/null || missing="$$missing prometheus-alertmanager"; \
	if [ -n "$(filter bench,$(MAKECMDGOALS))" ] && ! /usr/bin/python3 -c 'import xgboost, sklearn, pandas, scipy' 2>/dev/null; then \
	  missing="$$missing python3-xgboost python3-sklearn python3-pandas python3-scipy"; \
	fi; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then sudo=""; else sudo=sudo; fi; \
	  echo "installing$$missing with apt-get"; \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

# The names the README uses (make bin/temporal, make bin/mlpipe) build the
# same files: BIN is absolute, and make matches targets by their spelling.
BIN_ALIASES := $(addprefix bin/,mlpipe temporal versitygw staticcheck workflowcheck errcheck)
ifneq ($(BIN),bin)
.PHONY: $(BIN_ALIASES)
$(BIN_ALIASES): bin/%: $(BIN)/%
endif

# The main job, end to end, on a local stack that it starts and stops.
demo: deps build $(BIN)/temporal
	dev/demo.sh

# The same stack, left running (Ctrl-C stops it).
dev: deps build $(BIN)/temporal
	$(BIN)/mlpipe dev

lint: deps $(BIN)/staticcheck $(BIN)/workflowcheck $(BIN)/errcheck
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	go vet ./...
	go vet -tags chaos ./cmd/mlpipe
	$(BIN)/staticcheck ./...
	$(BIN)/staticcheck -tags chaos ./cmd/mlpipe
	$(BIN)/workflowcheck ./...
	$(BIN)/errcheck -exclude .errcheck-exclude ./...

# Every test: unit tests, workflow tests with mocked activities, and the
# integration tests against a real Temporal dev server and a real S3 server
# (versitygw), which the tests start and stop themselves.
test: deps tools build lint
	OMP_WAIT_POLICY=passive go test -race -count=1 -timeout 30m ./...
	# The drift simulations (500 seeded windows per size) are arithmetic and
	# ten times slower under the race detector, so they run without it.
	go test -count=1 -run 'TestFalseAlarmRate|TestPower|TestVerdictDoesNotFlipWithN' ./internal/drift
	# Scale-out and chaos on the real stack (worker processes, S3, a killed
	# worker, a restarted server): separate processes, so no race detector.
	$(CHAOS_TEST)

# The chaos tests alone: ten pipelines at once over two CPU and two GPU
# worker processes sharing versitygw, a Temporal restart mid-pipeline, and
# kill -9 of the CPU worker mid-validation.
CHAOS_TEST = OMP_WAIT_POLICY=passive go test -tags chaos -count=1 -timeout 15m -run 'TestChx' ./cmd/mlpipe
chaos: deps tools
	$(CHAOS_TEST)

unit: deps
	go test -short -count=1 ./...

bench: deps build
	dev/bench.sh

# Explore the three readers of untrusted input with Go's fuzzer, FUZZTIME
# each. Minimising every new input (60 s by default) stalls the fuzzer on
# inputs as large as a spec, so each is minimised for one run only.
FUZZTIME ?= 60s
fuzz: deps
	OMP_WAIT_POLICY=passive go test -run XXX -fuzz FuzzParse -fuzztime $(FUZZTIME) -fuzzminimizetime 1x ./internal/spec
	OMP_WAIT_POLICY=passive go test -run XXX -fuzz FuzzLoadCSV -fuzztime $(FUZZTIME) -fuzzminimizetime 1x ./internal/dataplane
	OMP_WAIT_POLICY=passive go test -run XXX -fuzz FuzzPredictRequest -fuzztime $(FUZZTIME) -fuzzminimizetime 1x ./internal/serving
	OMP_WAIT_POLICY=passive go test -run XXX -fuzz FuzzQuickDecodeMatchesStream -fuzztime $(FUZZTIME) -fuzzminimizetime 1x ./internal/serving
	OMP_WAIT_POLICY=passive go test -run XXX -fuzz FuzzMfaInputs -fuzztime $(FUZZTIME) -fuzzminimizetime 1x ./internal/inferlog

clean:
	rm -rf bin .mlpipe
