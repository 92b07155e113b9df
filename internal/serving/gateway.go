package serving

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mlpipe/mlpipe/internal/registry"
)

// Gateway serves predictions from the models a registry alias points at.
type Gateway struct {
	reg     *registry.Registry
	load    Loader
	opts    Options
	table   atomic.Pointer[table]
	ready   atomic.Bool
	reload  sync.Mutex // one refresh at a time, so tables are built in order
	metrics *metrics
	handler http.Handler
}

// table is an immutable snapshot of what is served; it is replaced, never
// modified, so the request path reads it without locks.
type table struct {
	models map[string]*served
}

// served is one model's loaded version.
type served struct {
	version   registry.Version
	predictor Predictor
	stats     *versionStats
	loadedAt  time.Time
}

// New returns a gateway that serves nothing until the first Reload (or Run).
func New(reg *registry.Registry, load Loader, opts Options) *Gateway {
	g := &Gateway{reg: reg, load: load, opts: opts.withDefaults(), metrics: newMetrics()}
	g.table.Store(&table{models: map[string]*served{}})
	g.handler = g.routes()
	return g
}

// Handler is the gateway's HTTP API.
func (g *Gateway) Handler() http.Handler { return g.handler }

// Ready reports whether the first registry load has finished.
func (g *Gateway) Ready() bool { return g.ready.Load() }

// Run loads the registry, then refreshes every Options.RefreshInterval until
// ctx ends. Refresh errors are logged, not returned: a registry hiccup must not
// take down a gateway that is still serving the last good table.
func (g *Gateway) Run(ctx context.Context) error {
	t := time.NewTicker(g.opts.RefreshInterval)
	defer t.Stop()
	for {
		if err := g.Reload(ctx); err != nil && ctx.Err() == nil {
			g.opts.Logger.Error("refresh models from registry", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Reload reads the alias of every model in the registry, loads versions that
// changed, and swaps the routing table. A model whose alias or load fails keeps
// its current version; the errors are joined in the result.
func (g *Gateway) Reload(ctx context.Context) error {
	g.reload.Lock()
	defer g.reload.Unlock()

	names, err := g.reg.Models(ctx)
	if err != nil {
		return fmt.Errorf("reload: %w", err)
	}
	old := g.table.Load().models
	next := make(map[string]*served, len(names))
	var errs []error
	for _, name := range names {
		v, ok, err := g.reg.Alias(ctx, name, g.opts.Alias)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("reload %s: %w", name, err))
			if s := old[name]; s != nil {
				next[name] = s
			}
			continue
		case !ok:
			continue // not (or no longer) released under this alias
		}
		if s := old[name]; s != nil && s.version.Version == v.Version {
			// Same version: keep the loaded predictor, refresh metadata such as Approval.
			next[name] = &served{version: v, predictor: s.predictor, stats: s.stats, loadedAt: s.loadedAt}
			continue
		}
		p, err := g.loadVersion(ctx, v)
		if err != nil {
			errs = append(errs, fmt.Errorf("reload %s: load version %d: %w", name, v.Version, err))
			if s := old[name]; s != nil {
				next[name] = s
			}
			continue
		}
		next[name] = &served{version: v, predictor: p, stats: g.metrics.version(name, v.Version), loadedAt: time.Now().UTC()}
		from := 0
		if s := old[name]; s != nil {
			from = s.version.Version
		}
		g.opts.Logger.Info("serving model version", "model", name, "alias", g.opts.Alias, "version", v.Version, "previous", from)
	}
	g.table.Store(&table{models: next})
	g.ready.Store(true)
	g.metrics.reloads(len(errs) == 0)
	return errors.Join(errs...)
}

// loadVersion turns a loader panic into an error so one bad bundle cannot
// crash a gateway that serves other models.
func (g *Gateway) loadVersion(ctx context.Context, v registry.Version) (p Predictor, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("loader panicked: %v", r)
		}
	}()
	p, err = g.load(ctx, v)
	if err == nil && p == nil {
		err = errors.New("loader returned no predictor")
	}
	return p, err
}

func (g *Gateway) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/models/{target}", g.handlePredict)
	mux.HandleFunc("GET /v1/models", g.handleListModels)
	mux.HandleFunc("GET /v1/models/{name}", g.handleModel)
	mux.HandleFunc("POST /admin/reload", g.handleReload)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", g.handleReady)
	mux.HandleFunc("GET /metrics", g.handleMetrics)
	return withRequestID(mux)
}
