package serving

import (
	"fmt"
	"net/http"
	"sort"
	"time"

	"github.com/mlpipe/mlpipe/internal/registry"
)

// modelInfo describes what the gateway serves for one model.
type modelInfo struct {
	Model    string           `json:"model"`
	Version  int              `json:"version"`
	Alias    string           `json:"alias"`
	LoadedAt time.Time        `json:"loaded_at"`
	Metadata registry.Version `json:"metadata"`
}

func (g *Gateway) info(s *served) modelInfo {
	return modelInfo{Model: s.version.Name, Version: s.version.Version, Alias: g.opts.Alias, LoadedAt: s.loadedAt, Metadata: s.version}
}

func (g *Gateway) handleModel(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	s := g.table.Load().models[name]
	if s == nil {
		writeError(w, r, http.StatusNotFound, fmt.Sprintf("model %q is not served: it is not in the registry or has no %s version", name, g.opts.Alias))
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
