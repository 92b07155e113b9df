package serving

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/routing"
)

// RoutingKey is where a model's routing is kept in the registry's artifact
// store. Every gateway over the store reads it on each refresh, so they
// converge on the last routing written.
func RoutingKey(model string) string { return "serving/routing/" + model + ".json" }

// readRouting returns a model's stored routing; none stored is production only.
func (g *Gateway) readRouting(ctx context.Context, model string) (routing.Routing, error) {
	store := g.reg.Store()
	data, err := artifact.GetBytes(ctx, store, RoutingKey(model))
	if errors.Is(err, artifact.ErrNotFound) {
		return routing.Routing{Model: model}, nil
	}
	if err != nil {
		return routing.Routing{}, fmt.Errorf("read routing: %w", err)
	}
	var rt routing.Routing
	if err := json.Unmarshal(data, &rt); err != nil {
		return routing.Routing{}, fmt.Errorf("routing %s is not valid JSON: %w; fix or delete it", store.URI(RoutingKey(model)), err)
	}
	if err := rt.Validate(); err != nil {
		return routing.Routing{}, fmt.Errorf("routing %s: %w; PUT a valid routing or delete it", store.URI(RoutingKey(model)), err)
	}
	if rt.Model != model {
		return routing.Routing{}, fmt.Errorf("routing %s names model %q, not %q; PUT a routing for %s", store.URI(RoutingKey(model)), rt.Model, model, model)
	}
	return rt, nil
}

// writeRouting stores a routing whole; Put replaces the object atomically,
// so a reader sees the old routing or the new one.
func (g *Gateway) writeRouting(ctx context.Context, rt routing.Routing) error {
	data, err := json.MarshalIndent(rt, "", "  ")
	if err != nil {
		return fmt.Errorf("encode routing: %w", err)
	}
	if _, err := artifact.PutBytes(ctx, g.reg.Store(), RoutingKey(rt.Model), data, "application/json"); err != nil {
		return fmt.Errorf("store routing of %s: %w", rt.Model, err)
	}
	return nil
}
