package main

import (
	"context"
	"time"

	"github.com/mlpipe/mlpipe/internal/config"
	"github.com/mlpipe/mlpipe/internal/inferlog"
	"github.com/mlpipe/mlpipe/internal/serving"
)

// Bounds of the inference log's flags: beyond them a typo would either
// write a file per request or hold more rows than a crash should lose.
const (
	minLogFlushInterval = 10 * time.Millisecond
	maxLogFlushInterval = time.Hour
	maxLogFlushRows     = 1_000_000
	minLogRetention     = time.Hour
)

// serve runs the model gateway until interrupted.
func (m *Main) serve(ctx context.Context, args []string) error {
	s := config.FromEnv()
	fs := newFlags("serve")
	addr := fs.String("addr", s.GatewayAddr, "listen address")
	maxRows := fs.Int("max-rows", 10_000, "rows one predict request may carry; more is answered 413")
	inFlight := fs.Int("max-rows-in-flight", 100_000, "rows the gateway holds across requests at once (it bounds its memory); a request over it is answered 503 with Retry-After")
	logOn := fs.Bool("inference-log", true, "append every prediction and feedback to the artifact store (inference/ and feedback/, Parquet) for the monitor")
	flushEvery := fs.Duration("log-flush-interval", inferlog.DefaultFlushInterval, "write the inference log's buffered rows this often (10ms to 1h); a crash loses at most this much")
	flushRows := fs.Int("log-flush-rows", inferlog.DefaultFlushRows, "or as soon as this many rows are buffered (1 to 1,000,000)")
	retention := fs.Duration("log-retention", inferlog.DefaultRetention, "delete inference and feedback log partitions older than this, hourly (at least 1h; 0 keeps them forever)")
	replica := fs.String("replica", "", "this gateway's name in the inference log's file names and records (default: host name and process ID)")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *maxRows <= 0 || *inFlight < *maxRows {
		return usageErr("--max-rows must be positive and --max-rows-in-flight at least --max-rows (got %d and %d)", *maxRows, *inFlight)
	}
	if *flushEvery < minLogFlushInterval || *flushEvery > maxLogFlushInterval {
		return usageErr("--log-flush-interval %s is out of range: use 10ms to 1h (default 1s)", *flushEvery)
	}
	if *flushRows < 1 || *flushRows > maxLogFlushRows {
		return usageErr("--log-flush-rows %d is out of range: use 1 to 1000000 (default 10000)", *flushRows)
	}
	if *retention != 0 && *retention < minLogRetention {
		return usageErr("--log-retention %s is out of range: use at least 1h, or 0 to keep the log forever (default 720h)", *retention)
	}
	if *retention == 0 {
		*retention = -1 // the writer's "keep everything"
	}
	return runGateway(ctx, s, *addr, m.Logger, nil, func(o *serving.Options) {
		o.MaxRowsPerRequest, o.MaxRowsInFlight = *maxRows, *inFlight
		if !*logOn {
			o.InferenceLog.Store = nil
			return
		}
		o.InferenceLog.FlushInterval, o.InferenceLog.FlushRows = *flushEvery, *flushRows
		o.InferenceLog.Retention, o.InferenceLog.Replica = *retention, *replica
	})
}
