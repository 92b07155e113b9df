// Command mlpipe runs durable machine-learning pipelines on Temporal: it
// turns a pipeline spec into a TrainingPipeline workflow, runs the workers
// and the model gateway, and approves or rejects promotions.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

// Exit codes.
const (
	exitOK          = 0
	exitFailure     = 1
	exitUsage       = 2
	exitNotDeployed = 3
)

const usage = `mlpipe: durable machine-learning pipelines on Temporal

Usage:
  mlpipe spec -f pipeline.yaml            print the workflow input (JSON) for temporal workflow start
  mlpipe run -f pipeline.yaml [--id ID]   start a pipeline and follow it stage by stage
  mlpipe run --resume WORKFLOW_ID         run a failed pipeline again; finished stages come from the stage cache
  mlpipe status WORKFLOW_ID [-o json]     show a pipeline's stages, gate and result
  mlpipe approve WORKFLOW_ID --as NAME    approve the promotion (validated Update)
  mlpipe reject WORKFLOW_ID --as NAME     reject the promotion
  mlpipe report WORKFLOW_ID               where the evaluation report (HTML and JSON) is
  mlpipe models ls [NAME]                 registered models, or one model's versions
  mlpipe models show NAME[@VERSION|@ALIAS]  one version: lineage, metrics, approval
  mlpipe models import MODEL --xgboost model.json --transform transform.json --as NAME
                                          register an XGBoost model as the candidate
  mlpipe models evaluate MODEL[@VERSION] -f pipeline.yaml   a registered version (default the candidate)
                                          through the pipeline's evaluation, gate, approval and rollout
  mlpipe validate --suite suite.yaml DATA [--json] [--doc out.html]
                                          run expectations on a local CSV/Parquet/JSONL file (exit 1: failed)
  mlpipe features ls [--pipeline P]       feature-store versions: rows, features, when
  mlpipe features show VERSION            one version's manifest and its transform per column
  mlpipe rollout status ID [--follow]     follow a canary or shadow rollout
  mlpipe rollout pause|resume|promote|abort ID --as NAME   steer it
  mlpipe traffic MODEL --csv FILE --label COL   replay rows against the gateway, with feedback
  mlpipe monitor start|pause|resume|run MODEL [--every 15m]   a production model's ModelMonitor schedule
  mlpipe monitor ls | report MODEL        the monitors, and a model's latest verdict and snapshot
  mlpipe alerts receive [--addr HOST:PORT]   Alertmanager's webhook: alerts to each model's retraining loop
  mlpipe alerts status MODEL              a model's alerts, retrainings and cooldown
  mlpipe alerts render -f pipeline.yaml --out DIR   Prometheus rules and configs, Alertmanager routing
  mlpipe worker --queue cpu|gpu           run a worker on mlpipe-cpu or mlpipe-gpu
  mlpipe serve [--addr HOST:PORT] [--max-rows N] [--max-rows-in-flight N]
        [--log-flush-interval 1s] [--log-flush-rows N] [--log-retention 720h] [--replica NAME]
                                          serve production models over HTTP, logging every prediction
  mlpipe dev                              run a Temporal dev server, both workers and the gateway
  mlpipe gen churn|plans --rows N --seed S   write example data: churn (binary) or plans (3 classes)
  mlpipe predict MODEL --rows JSON        ask the gateway for predictions

Temporal is reached as Temporal's tools reach it (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
TEMPORAL_API_KEY, TLS settings, TOML profiles); the default is the local dev server.
mlpipe's own settings: MLPIPE_ARTIFACTS (default .mlpipe/artifacts; s3://bucket/prefix with
MLPIPE_S3_ENDPOINT), MLPIPE_GATEWAY_ADDR (default 127.0.0.1:8080), MLPIPE_GATEWAY_URL,
MLPIPE_UI_URL (the Temporal Web UI that mlpipe run links; default: mlpipe dev's, when the
CLI talks to the dev server it started from this folder; otherwise no link).
`

// Main is the program; tests run it in-process.
type Main struct {
	Stdout, Stderr io.Writer
	Logger         *slog.Logger
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	m := &Main{Stdout: os.Stdout, Stderr: os.Stderr}
	os.Exit(m.Run(ctx, os.Args[1:]))
}

// Run runs one subcommand and returns the exit code.
func (m *Main) Run(ctx context.Context, args []string) int {
	if m.Logger == nil {
		m.Logger = slog.New(slog.NewTextHandler(m.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	if len(args) == 0 || isHelp(args[0]) || args[0] == "help" {
		fmt.Fprint(m.Stdout, usage)
		return exitOK
	}
	cmds := map[string]func(context.Context, []string) error{
		"spec": m.spec, "run": m.run, "status": m.status, "approve": m.approve, "reject": m.reject,
		"worker": m.worker, "serve": m.serve, "dev": m.dev, "gen": m.gen, "predict": m.predict,
		"report": m.report, "models": m.models, "rollout": m.rollout, "traffic": m.traffic,
		"monitor":  m.monitor,
		"features": m.featuresCmd,
		"validate": m.validate,
		"alerts":   m.alerts,
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(m.Stderr, "mlpipe: unknown command %q\n\n%s", args[0], usage)
		return exitUsage
	}
	err := cmd(ctx, args[1:])
	var ee *exitError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ee):
		fmt.Fprint(m.Stdout, ee.out)
		if ee.msg != "" {
			fmt.Fprintf(m.Stderr, "mlpipe %s: %s\n", args[0], ee.msg)
		}
		return ee.code
	default:
		fmt.Fprintf(m.Stderr, "mlpipe %s: %v\n", args[0], err)
		return exitFailure
	}
}

// exitError carries an exit code other than 1, and what to print: msg
// on standard error, out (a subcommand's help) on standard output.
type exitError struct {
	code int
	msg  string
	out  string
}

func (e *exitError) Error() string { return e.msg }

func usageErr(format string, args ...any) error {
	return &exitError{code: exitUsage, msg: fmt.Sprintf(format, args...)}
}
