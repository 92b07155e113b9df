package main

import (
	"context"

	"github.com/mlpipe/mlpipe/internal/config"
)

// serve runs the model gateway until interrupted.
func (m *Main) serve(ctx context.Context, args []string) error {
	s := config.FromEnv()
	fs := newFlags("serve")
	addr := fs.String("addr", s.GatewayAddr, "listen address")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	return runGateway(ctx, s, *addr, m.Logger, nil)
}
