package serving

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/mlpipe/mlpipe/internal/registry"
	"github.com/mlpipe/mlpipe/internal/routing"
)

// modelInfo describes what the gateway serves for one model.
type modelInfo struct {
	Model    string           `json:"model"`
	Version  int              `json:"version"`
	Alias    string           `json:"alias"`
	LoadedAt time.Time        `json:"loaded_at"`
	Metadata registry.Version `json:"metadata"`
	Routing  routing.Routing  `json:"routing"`
	// Candidate is the loaded candidate version, 0 when none.
	Candidate int `json:"candidate,omitempty"`
}

func (g *Gateway) info(s *served) modelInfo {
	p := s.production
	i := modelInfo{Model: s.model, Version: p.version.Version, Alias: g.opts.Alias, LoadedAt: p.loadedAt, Metadata: p.version, Routing: s.routing}
	if s.candidate != nil {
		i.Candidate = s.candidate.version.Version
	}
	return i
}

func (g *Gateway) notServed(w http.ResponseWriter, r *http.Request, name string) {
	writeError(w, r, http.StatusNotFound, fmt.Sprintf("model %q is not served: it is not in the registry or has no %s version", name, g.opts.Alias))
}

// handleModel serves GET /v1/models/{name}. The path also matches
// /v1/models/{name}:predict, which takes only POST.
func (g *Gateway) handleModel(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("target")
	if strings.HasSuffix(name, predictSuffix) {
		notAllowed(w, r, "", http.MethodPost)
		return
	}
	s := g.table.Load().models[name]
	if s == nil {
		g.notServed(w, r, name)
		return
	}
	writeJSON(w, http.StatusOK, g.info(s))
}

func (g *Gateway) handleListModels(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"models": g.infos(g.table.Load())})
}

func (g *Gateway) infos(t *table) []modelInfo {
	out := make([]modelInfo, 0, len(t.models))
	for _, s := range t.models {
		out = append(out, g.info(s))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Model < out[j].Model })
	return out
}

// adminOnly requires the admin bearer token. Without a configured token the
// admin API is off rather than open.
func (g *Gateway) adminOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if g.opts.AdminToken == "" {
			writeError(w, r, http.StatusForbidden, "admin API disabled: set MLPIPE_ADMIN_TOKEN")
			return
		}
		// RFC 6750 (after RFC 7235) makes the scheme name case-insensitive.
		scheme, got, _ := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
		if !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(g.opts.AdminToken)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="mlpipe admin"`)
			writeError(w, r, http.StatusUnauthorized, "admin API: send the admin token as \"Authorization: Bearer <token>\" (the gateway's MLPIPE_ADMIN_TOKEN)")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// handleReload refreshes now; a partial failure answers 500 but the models
// that did load are already being served.
func (g *Gateway) handleReload(w http.ResponseWriter, r *http.Request) {
	err := g.Reload(r.Context())
	models := g.infos(g.table.Load())
	if err != nil {
		g.opts.Logger.Error("reload requested over HTTP", "request_id", requestID(r), "err", err)
		writeJSON(w, http.StatusInternalServerError, map[string]any{"error": err.Error(), "request_id": requestID(r), "models": models})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"models": models})
}

func (g *Gateway) handleReady(w http.ResponseWriter, r *http.Request) {
	if !g.ready.Load() {
		writeError(w, r, http.StatusServiceUnavailable, "not ready: the first registry load has not finished")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// handleGetRouting answers the routing in force (production only when none
// was set).
func (g *Gateway) handleGetRouting(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	s := g.table.Load().models[name]
	if s == nil {
		g.notServed(w, r, name)
		return
	}
	writeJSON(w, http.StatusOK, s.routing)
}

// handleStats answers the per-variant counters of the current epoch.
func (g *Gateway) handleStats(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	s := g.table.Load().models[name]
	if s == nil {
		g.notServed(w, r, name)
		return
	}
	writeJSON(w, http.StatusOK, s.stats())
}

func (s *served) stats() routing.Stats {
	st := routing.Stats{Model: s.model, Routing: s.routing, Since: s.since}
	for _, v := range []*variant{s.production, s.candidate} {
		if v != nil {
			st.Variants = append(st.Variants, v.epoch.snapshot(v.name, v.version.Version))
		}
	}
	return st
}

// routingError is a refused routing change and its status.
type routingError struct {
	code int
	msg  string
}

// handlePutRouting validates, stores and applies a routing. The gateway
// assigns Epoch and UpdatedAt and answers the routing as stored.
func (g *Gateway) handlePutRouting(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	var rt routing.Routing
	if code, msg := decodeBody(w, r, 1<<20, &rt, `{"candidate": 2, "mode": "canary", "weight": 5, "sticky_key": "customer_id", "reason": "..."}`); code != 0 {
		writeError(w, r, code, msg)
		return
	}
	stored, rerr := g.setRouting(r, name, rt)
	if rerr != nil {
		writeError(w, r, rerr.code, rerr.msg)
		return
	}
	writeJSON(w, http.StatusOK, stored)
}

// setRouting checks rt against the registry, loads its candidate, stores it
// and swaps the table, holding the reload lock so a refresh cannot
// interleave. Nothing is stored unless the candidate loads.
func (g *Gateway) setRouting(r *http.Request, name string, rt routing.Routing) (routing.Routing, *routingError) {
	ctx := r.Context()
	if rt.Model == "" {
		rt.Model = name
	}
	if rt.Model != name {
		return rt, &routingError{http.StatusBadRequest, fmt.Sprintf("routing names model %q but the URL names %q; send the same model or leave \"model\" out", rt.Model, name)}
	}
	if err := rt.Validate(); err != nil {
		return rt, &routingError{http.StatusBadRequest, err.Error()}
	}
	g.reload.Lock()
	defer g.reload.Unlock()
	t := g.table.Load()
	old := t.models[name]
	if old == nil {
		return rt, &routingError{http.StatusNotFound, fmt.Sprintf("model %q is not served: it is not in the registry or has no %s version", name, g.opts.Alias)}
	}
	var cand *loaded
	if rt.Mode != routing.ModeNone {
		if rt.Candidate == old.production.version.Version {
			return rt, &routingError{http.StatusBadRequest, fmt.Sprintf("candidate %d is already the %s version of %s; name another version", rt.Candidate, g.opts.Alias, name)}
		}
		c, err := g.loadCandidate(ctx, old, name, rt.Candidate)
		switch {
		case errors.Is(err, registry.ErrNotFound):
			return rt, &routingError{http.StatusBadRequest, fmt.Sprintf("candidate %d: model %s has no version %d in the registry; register it first or name an existing version", rt.Candidate, name, rt.Candidate)}
		case err != nil:
			return rt, &routingError{http.StatusBadRequest, fmt.Sprintf("model %s: %v", name, err)}
		}
		cand = &c
	}
	// The epoch follows the stored one, not this gateway's, so gateways
	// sharing a store count on from whoever wrote last.
	prev, err := g.readRouting(ctx, name)
	if err != nil {
		prev = old.routing
	}
	rt.Epoch = max(prev.Epoch, old.routing.Epoch) + 1
	rt.UpdatedAt = time.Now().UTC()
	if err := g.writeRouting(ctx, rt); err != nil {
		return rt, &routingError{http.StatusInternalServerError, fmt.Sprintf("routing not changed: %v", err)}
	}
	op := old.production
	s := g.assemble(old, name, rt, loaded{version: op.version, predictor: op.predictor, loadedAt: op.loadedAt, schema: op.schema}, cand)
	next := make(map[string]*served, len(t.models))
	for k, v := range t.models {
		next[k] = v
	}
	next[name] = s
	g.table.Store(&table{models: next})
	g.logChange(old, s)
	return rt, nil
}
