package testenv

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
)

// EnvTemporal overrides where the Temporal CLI is found.
const EnvTemporal = "MLPIPE_TEMPORAL"

// Temporal is a real Temporal dev server (the CLI's start-dev) on a free
// loopback port, with an in-memory store.
type Temporal struct {
	HostPort string
	Client   client.Client
	// CLI is the temporal binary, for tests that drive it as a user would.
	CLI string
}

// StartTemporal starts a dev server with the given keyword search
// attributes registered and stops it when the test ends.
func StartTemporal(t testing.TB, keywordAttrs ...string) Temporal {
	t.Helper()
	cli := Tool(t, "temporal", EnvTemporal)
	var attrs []temporal.SearchAttributeUpdate
	for _, name := range keywordAttrs {
		attrs = append(attrs, temporal.NewSearchAttributeKeyKeyword(name).ValueSet(""))
	}
	sa := temporal.NewSearchAttributes(attrs...)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	quiet := log.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	srv, err := testsuite.StartDevServer(ctx, testsuite.DevServerOptions{
		// Without ExistingPath the SDK would download a CLI.
		ExistingPath:     cli,
		ClientOptions:    &client.Options{Logger: quiet},
		LogLevel:         "error",
		SearchAttributes: sa,
		Stdout:           io.Discard,
		Stderr:           io.Discard,
	})
	if err != nil {
		t.Fatalf("testenv: start Temporal dev server with %s: %v", cli, err)
	}
	t.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			t.Logf("testenv: stop Temporal dev server: %v", err)
		}
	})
	return Temporal{HostPort: srv.FrontendHostPort(), Client: srv.Client(), CLI: cli}
}
