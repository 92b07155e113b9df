package serving

import (
	"context"
	"time"

	"github.com/mlpipe/mlpipe/internal/registry"
	"github.com/mlpipe/mlpipe/internal/routing"
)

// table is an immutable snapshot of what is served; it is replaced, never
// modified, so the request path reads it without locks.
type table struct {
	models map[string]*served
}

// served is one model's routing and the versions it routes between. Like
// the table it is never modified after it is published.
type served struct {
	model string
	// routing is as stored; with no candidate loaded, production answers
	// everything whatever it says.
	routing routing.Routing
	// since is when the current epoch's counters started.
	since      time.Time
	production *variant
	// candidate is nil without one; its name is canary or shadow.
	candidate *variant
	counters  *modelCounters
	// known are the row keys a strict request may send: every input a
	// loaded version reads, and the routing's sticky field.
	known map[string]bool
}

// variant is one loaded version in one role.
type variant struct {
	name      string
	version   registry.Version
	predictor Predictor
	loadedAt  time.Time
	// schema is what the predictor reads; nil when it does not say.
	schema *inputSchema
	*scoring
}

// scoring is what a variant's logged predictions need when feedback comes:
// the counters, not the predictor, so the log never keeps an old model alive.
type scoring struct {
	number int // the version
	// classes holds the negative and positive class when the predictor says.
	classes *[2]string
	// classList holds a multi-class predictor's classes, in model order;
	// nil for a binary one.
	classList []string
	// epoch counts since the routing epoch began; total since the process did.
	epoch *variantCounters
	total *versionStats
}

// positive says whether a prediction is of the positive class.
func (s *scoring) positive(p Prediction) bool {
	if s.classList != nil {
		return false // no class is "the positive one"; rows are counted per class
	}
	if s.classes != nil {
		return p.Label == s.classes[1]
	}
	return p.Probability > 0.5
}

// loaded is a version with its predictor, before it is given a role.
type loaded struct {
	version   registry.Version
	predictor Predictor
	loadedAt  time.Time
	schema    *inputSchema
}

// loadedFor returns the predictor of version v, reusing one that old already
// holds in any role, so that promoting the canary or resending a routing
// does not load a bundle twice.
func (g *Gateway) loadedFor(ctx context.Context, old *served, v registry.Version) (loaded, error) {
	if old != nil {
		for _, o := range []*variant{old.production, old.candidate} {
			if o != nil && o.version.Version == v.Version {
				return loaded{version: v, predictor: o.predictor, loadedAt: o.loadedAt, schema: o.schema}, nil
			}
		}
	}
	p, err := g.loadVersion(ctx, v)
	if err != nil {
		return loaded{}, err
	}
	return loaded{version: v, predictor: p, loadedAt: time.Now().UTC(), schema: newInputSchema(p)}, nil
}

// assemble builds a model's entry. The epoch's counters carry over from old
// only when routing and both versions are unchanged; anything else starts a
// new epoch, so stats never mix two traffic splits.
func (g *Gateway) assemble(old *served, name string, rt routing.Routing, prod loaded, cand *loaded) *served {
	candName := ""
	if cand != nil {
		candName = routing.VariantCanary
		if rt.Mode == routing.ModeShadow {
			candName = routing.VariantShadow
		}
	}
	same := old != nil && sameRouting(old.routing, rt) && old.production.version.Version == prod.version.Version
	if same {
		switch {
		case cand == nil:
			same = old.candidate == nil
		default:
			same = old.candidate != nil && old.candidate.name == candName && old.candidate.version.Version == cand.version.Version
		}
	}
	s := &served{model: name, routing: rt, since: time.Now().UTC(), counters: g.metrics.model(name)}
	prodEpoch, candEpoch := newVariantCounters(), newVariantCounters()
	if same {
		s.since = old.since
		prodEpoch = old.production.epoch
		if old.candidate != nil {
			candEpoch = old.candidate.epoch
		}
	}
	s.production = g.newVariant(name, routing.VariantProduction, prod, prodEpoch)
	if cand != nil {
		s.candidate = g.newVariant(name, candName, *cand, candEpoch)
	}
	s.known = knownKeys(rt.StickyKey, s.production, s.candidate)
	return s
}

func (g *Gateway) newVariant(model, name string, l loaded, epoch *variantCounters) *variant {
	sc := &scoring{number: l.version.Version, epoch: epoch, total: g.metrics.version(model, l.version.Version, name)}
	if cl, ok := l.predictor.(ClassLister); ok {
		if names := cl.ClassList(); len(names) >= 3 {
			sc.classList = append([]string(nil), names...)
			epoch.countClasses(sc.classList)
		}
	}
	if cl, ok := l.predictor.(ClassLabeler); ok && sc.classList == nil {
		c := cl.ClassLabels()
		sc.classes = &c
	}
	return &variant{name: name, version: l.version, predictor: l.predictor, loadedAt: l.loadedAt, schema: l.schema, scoring: sc}
}

// sameRouting compares what decides traffic and the epoch; UpdatedAt is
// compared as an instant because JSON drops the monotonic clock.
func sameRouting(a, b routing.Routing) bool {
	return a.Model == b.Model && a.Candidate == b.Candidate && a.Mode == b.Mode &&
		a.Weight == b.Weight && a.Mirror == b.Mirror && a.StickyKey == b.StickyKey &&
		a.Epoch == b.Epoch && a.UpdatedAt.Equal(b.UpdatedAt) && a.Reason == b.Reason
}
