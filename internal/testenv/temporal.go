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
// loopback port.
type Temporal struct {
	HostPort string
	// Client stays usable across Restart: it reconnects.
	Client client.Client
	// CLI is the temporal binary, for tests that drive it as a user would.
	CLI string

	opts testsuite.DevServerOptions
	srv  *testsuite.DevServer
}

// StartTemporal starts a dev server with an in-memory store and the given
// keyword search attributes, and stops it when the test ends.
func StartTemporal(t testing.TB, keywordAttrs ...string) *Temporal {
	t.Helper()
	return StartTemporalWith(t, "", keywordAttrs...)
}

// StartTemporalWith is StartTemporal with the history kept in a SQLite
// file (empty: in memory), so Restart brings the same workflows back.
func StartTemporalWith(t testing.TB, dbFile string, keywordAttrs ...string) *Temporal {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a Temporal dev server: not under -short")
	}
	cli := Tool(t, "temporal", EnvTemporal)
	var attrs []temporal.SearchAttributeUpdate
	for _, name := range keywordAttrs {
		attrs = append(attrs, temporal.NewSearchAttributeKeyKeyword(name).ValueSet(""))
	}
	sa := temporal.NewSearchAttributes(attrs...)
	quiet := log.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	tp := &Temporal{CLI: cli, opts: testsuite.DevServerOptions{
		// Without ExistingPath the SDK would download a CLI.
		ExistingPath:     cli,
		ClientOptions:    &client.Options{Logger: quiet},
		LogLevel:         "error",
		SearchAttributes: sa,
		DBFilename:       dbFile,
		Stdout:           io.Discard,
		Stderr:           io.Discard,
	}}
	tp.start(t)
	tp.HostPort, tp.Client = tp.srv.FrontendHostPort(), tp.srv.Client()
	// Later starts bind the same port, so clients and workers find it.
	tp.opts.ClientOptions = &client.Options{Logger: quiet, HostPort: tp.HostPort}
	t.Cleanup(func() {
		if err := tp.srv.Stop(); err != nil {
			t.Logf("testenv: stop Temporal dev server: %v", err)
		}
	})
	return tp
}

func (tp *Temporal) start(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv, err := testsuite.StartDevServer(ctx, tp.opts)
	if err != nil {
		t.Fatalf("testenv: start Temporal dev server with %s: %v", tp.CLI, err)
	}
	tp.srv = srv
}

// Restart stops the server and starts it again on the same port and
// store, as an operator restarting it would.
func (tp *Temporal) Restart(t testing.TB) {
	t.Helper()
	if err := tp.srv.Stop(); err != nil {
		t.Logf("testenv: stop Temporal dev server: %v", err)
	}
	tp.start(t)
}
