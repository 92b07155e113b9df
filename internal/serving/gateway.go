package serving

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mlpipe/mlpipe/internal/inferlog"
	"github.com/mlpipe/mlpipe/internal/registry"
	"github.com/mlpipe/mlpipe/internal/routing"
)

// Gateway serves predictions from the models a registry alias points at.
type Gateway struct {
	reg     *registry.Registry
	load    Loader
	opts    Options
	table   atomic.Pointer[table]
	ready   atomic.Bool
	reload  sync.Mutex // one table change at a time, so tables are built in order
	metrics *metrics
	log     *predictionLog
	// ilog is the durable inference log; nil when off.
	ilog    *inferlog.Writer
	shadow  *shadowPool
	handler http.Handler
	// rows bounds the predict rows held at once; shadowRows bounds those
	// queued for the shadow.
	rows, shadowRows *rowBudget
}

// New returns a gateway that serves nothing until the first Reload (or Run).
func New(reg *registry.Registry, load Loader, opts Options) *Gateway {
	g := &Gateway{reg: reg, load: load, opts: opts.withDefaults(), metrics: newMetrics()}
	g.log = newPredictionLog(g.opts.PredictionLog)
	g.ilog = newInferenceLog(g.opts)
	g.rows, g.shadowRows = newRowBudget(g.opts.MaxRowsInFlight), newRowBudget(g.opts.MaxRowsInFlight)
	g.shadow = newShadowPool(g.opts.ShadowWorkers, g.opts.ShadowQueue, g.runShadow)
	g.table.Store(&table{models: map[string]*served{}})
	g.handler = g.routes()
	return g
}

// Handler is the gateway's HTTP API.
func (g *Gateway) Handler() http.Handler { return g.handler }

// Ready reports whether the first registry load has finished.
func (g *Gateway) Ready() bool { return g.ready.Load() }

// Close stops the shadow workers, whose queued mirrored requests are
// dropped, then writes what the inference log still holds. The gateway
// keeps answering, without mirroring or logging.
func (g *Gateway) Close() {
	g.shadow.close()
	g.closeInferenceLog()
}

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

// Reload reads the alias and the stored routing of every model in the
// registry, loads versions that changed, and swaps the table. A model whose
// alias or load fails keeps its current version; a candidate that fails to
// load leaves production answering everything. The errors are joined.
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
		s, err := g.refreshModel(ctx, name, old[name])
		if err != nil {
			errs = append(errs, err)
		}
		if s != nil {
			next[name] = s
		}
	}
	g.table.Store(&table{models: next})
	g.ready.Store(true)
	g.metrics.reloads(len(errs) == 0)
	return errors.Join(errs...)
}

// refreshModel builds one model's entry from the registry and the routing
// store; nil means the model is not served.
func (g *Gateway) refreshModel(ctx context.Context, name string, old *served) (*served, error) {
	v, ok, err := g.reg.Alias(ctx, name, g.opts.Alias)
	switch {
	case err != nil:
		return old, fmt.Errorf("reload %s: %w", name, err)
	case !ok:
		return nil, nil // not (or no longer) released under this alias
	}
	var errs []error
	rt, err := g.readRouting(ctx, name)
	if err != nil {
		errs = append(errs, fmt.Errorf("reload %s: %w", name, err))
		rt = routing.Routing{Model: name}
		if old != nil {
			rt = old.routing
		}
	}
	prod, err := g.loadedFor(ctx, old, v)
	if err != nil {
		errs = append(errs, fmt.Errorf("reload %s: load version %d: %w", name, v.Version, err))
		return old, errors.Join(errs...)
	}
	var cand *loaded
	if rt.Mode != routing.ModeNone {
		c, err := g.loadCandidate(ctx, old, name, rt.Candidate)
		if err != nil {
			errs = append(errs, fmt.Errorf("reload %s: %w; production answers everything until it loads", name, err))
		} else {
			cand = &c
		}
	}
	s := g.assemble(old, name, rt, prod, cand)
	g.logChange(old, s)
	return s, errors.Join(errs...)
}

// loadCandidate loads a candidate version with the gateway's Loader.
func (g *Gateway) loadCandidate(ctx context.Context, old *served, name string, version int) (loaded, error) {
	cv, err := g.reg.Get(ctx, name, version)
	if err != nil {
		return loaded{}, fmt.Errorf("candidate version %d: %w", version, err)
	}
	c, err := g.loadedFor(ctx, old, cv)
	if err != nil {
		return loaded{}, fmt.Errorf("load candidate version %d: %w", version, err)
	}
	return c, nil
}

func (g *Gateway) logChange(old, s *served) {
	from := 0
	if old != nil {
		from = old.production.version.Version
	}
	if from != s.production.version.Version {
		g.opts.Logger.Info("serving model version", "model", s.model, "alias", g.opts.Alias, "version", s.production.version.Version, "previous", from)
	}
	if old == nil || !sameRouting(old.routing, s.routing) {
		g.opts.Logger.Info("routing model", "model", s.model, "mode", s.routing.Mode, "candidate", s.routing.Candidate,
			"weight", s.routing.Weight, "mirror", s.routing.Mirror, "epoch", s.routing.Epoch, "reason", s.routing.Reason)
	}
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
	// POST .../{name}:predict and GET .../{name} share a path pattern; each
	// handler answers 405 for the other's paths.
	mux.HandleFunc("POST /v1/models/{target}", g.handlePredict)
	mux.HandleFunc("GET /v1/models/{target}", g.handleModel)
	mux.HandleFunc("/v1/models/{target}", func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.PathValue("target"), predictSuffix) {
			notAllowed(w, r, "", http.MethodPost)
			return
		}
		notAllowed(w, r, "", http.MethodGet)
	})
	handle(mux, "/v1/models/{name}/feedback", methods{http.MethodPost: g.handleFeedback})
	handle(mux, "/v1/models", methods{http.MethodGet: g.handleListModels})

	handle(mux, "/v2/models/{name}/infer", methods{http.MethodPost: g.handleInfer})
	handle(mux, "/v2/models/{name}", methods{http.MethodGet: g.handleModelMetadataV2})
	handle(mux, "/v2/health/ready", methods{http.MethodGet: g.handleReadyV2})
	handle(mux, "/v2/health/live", methods{http.MethodGet: func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]bool{"live": true})
	}})

	mux.Handle("/admin/", g.adminOnly(g.adminRoutes()))

	handle(mux, "/healthz", methods{http.MethodGet: func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, struct {
			Status       string              `json:"status"`
			InferenceLog *inferenceLogStatus `json:"inference_log,omitempty"`
		}{"ok", g.inferenceLogStatus()})
	}})
	handle(mux, "/readyz", methods{http.MethodGet: g.handleReady})
	handle(mux, "/metrics", methods{http.MethodGet: g.handleMetrics})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, http.StatusNotFound, fmt.Sprintf("no such endpoint: %s %s; the gateway serves POST /v1/models/<name>:predict, "+
			"POST /v2/models/<name>/infer, POST /v1/models/<name>/feedback, GET /v1/models, /healthz, /readyz, /metrics and /admin/", r.Method, r.URL.Path))
	})
	return withRequestID(mux)
}

func (g *Gateway) adminRoutes() http.Handler {
	mux := http.NewServeMux()
	handle(mux, "/admin/reload", methods{http.MethodPost: g.handleReload})
	handle(mux, "/admin/models/{name}/routing", methods{http.MethodGet: g.handleGetRouting, http.MethodPut: g.handlePutRouting})
	handle(mux, "/admin/models/{name}/stats", methods{http.MethodGet: g.handleStats})
	mux.HandleFunc("/admin/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, http.StatusNotFound, fmt.Sprintf("no such admin endpoint: %s %s", r.Method, r.URL.Path))
	})
	return mux
}
