package main

import (
	"context"

	"github.com/mlpipe/mlpipe/internal/config"
	"github.com/mlpipe/mlpipe/internal/serving"
)

// serve runs the model gateway until interrupted.
func (m *Main) serve(ctx context.Context, args []string) error {
	s := config.FromEnv()
	fs := newFlags("serve")
	addr := fs.String("addr", s.GatewayAddr, "listen address")
	maxRows := fs.Int("max-rows", 10_000, "rows one predict request may carry; more is answered 413")
	inFlight := fs.Int("max-rows-in-flight", 100_000, "rows the gateway holds across requests at once (it bounds its memory); a request over it is answered 503 with Retry-After")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *maxRows <= 0 || *inFlight < *maxRows {
		return usageErr("--max-rows must be positive and --max-rows-in-flight at least --max-rows (got %d and %d)", *maxRows, *inFlight)
	}
	return runGateway(ctx, s, *addr, m.Logger, nil, func(o *serving.Options) {
		o.MaxRowsPerRequest, o.MaxRowsInFlight = *maxRows, *inFlight
	})
}
