package serving

import (
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mlpipe/mlpipe/internal/routing"
)

// latencyBuckets are the histogram's upper bounds in seconds.
var latencyBuckets = [...]float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}

// versionStats counts one model version's traffic in one role (production,
// canary or shadow) since the process started. Every field is atomic, so
// the request path never takes a lock.
type versionStats struct {
	model   string
	version int
	variant string
	codes   [600]atomic.Uint64 // by HTTP status; a few KiB per version buys lock-free counting
	rows    atomic.Uint64
	buckets [len(latencyBuckets) + 1]atomic.Uint64 // per bucket, not cumulative; the last is +Inf
	sumNs   atomic.Uint64
	// Feedback joined to this version's predictions, and how much was right.
	feedbackN, correct atomic.Uint64
	// Shadow only: rows compared with production, agreed, and failed runs.
	compared, agreed, shadowErrors atomic.Uint64
}

func (s *versionStats) feedback(correct bool) {
	s.feedbackN.Add(1)
	if correct {
		s.correct.Add(1)
	}
}

// modelCounters are a model's counters that belong to no version.
type modelCounters struct {
	shadowDropped   atomic.Uint64
	feedbackUnknown atomic.Uint64
}

func (s *versionStats) observe(code, rows int, d time.Duration) {
	if code >= 0 && code < len(s.codes) {
		s.codes[code].Add(1)
	}
	s.rows.Add(uint64(rows))
	sec := d.Seconds()
	i := sort.SearchFloat64s(latencyBuckets[:], sec) // first bound >= sec, i.e. the le bucket
	s.buckets[i].Add(1)
	s.sumNs.Add(uint64(d.Nanoseconds()))
}

type statsKey struct {
	model   string
	version int
	variant string
}

// metrics holds all counters. The mutex guards only creating a version's
// stats (at load time) and listing them (at scrape time); a scrape reads
// the atomics through the gateway's collector, so the request path never
// touches client_golang.
type metrics struct {
	// once builds handler, the /metrics endpoint over the gateway's own
	// registry, at the first scrape.
	once         sync.Once
	handler      http.Handler
	mu           sync.Mutex
	byVersion    map[statsKey]*versionStats
	byModel      map[string]*modelCounters
	unknownModel atomic.Uint64
	reloadOK     atomic.Uint64
	reloadErr    atomic.Uint64
	// shed counts requests refused because the gateway held its limit of
	// rows in flight.
	shed atomic.Uint64
}

func newMetrics() *metrics {
	return &metrics{byVersion: map[statsKey]*versionStats{}, byModel: map[string]*modelCounters{}}
}

// version returns the stats of a model version in a role, creating them
// once; a version that is promoted, rolled back and promoted again keeps
// counting where it left off.
func (m *metrics) version(model string, version int, variant string) *versionStats {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := statsKey{model, version, variant}
	s := m.byVersion[k]
	if s == nil {
		s = &versionStats{model: model, version: version, variant: variant}
		m.byVersion[k] = s
	}
	return s
}

// model returns a model's own counters, creating them once.
func (m *metrics) model(name string) *modelCounters {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.byModel[name]
	if c == nil {
		c = &modelCounters{}
		m.byModel[name] = c
	}
	return c
}

func (m *metrics) reloads(ok bool) {
	if ok {
		m.reloadOK.Add(1)
	} else {
		m.reloadErr.Add(1)
	}
}

func (m *metrics) snapshot() []*versionStats {
	m.mu.Lock()
	out := make([]*versionStats, 0, len(m.byVersion))
	for _, s := range m.byVersion {
		out = append(out, s)
	}
	m.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].model != out[j].model {
			return out[i].model < out[j].model
		}
		if out[i].version != out[j].version {
			return out[i].version < out[j].version
		}
		return out[i].variant < out[j].variant
	})
	return out
}

func (m *metrics) models() map[string]*modelCounters {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]*modelCounters, len(m.byModel))
	for k, v := range m.byModel {
		out[k] = v
	}
	return out
}

// handleMetrics serves the gateway's registry in Prometheus's exposition
// formats (text 0.0.4 unless the scraper asks for another). Counters here
// are cumulative over the process; the per-epoch view is
// GET /admin/models/{name}/stats.
func (g *Gateway) handleMetrics(w http.ResponseWriter, r *http.Request) {
	g.metrics.once.Do(func() { g.metrics.handler = newMetricsHandler(g) })
	g.metrics.handler.ServeHTTP(w, r)
}

// effective is the canary weight or shadow mirror actually applied: zero
// unless the routing is in that mode and its candidate is loaded.
func (s *served) effective(mode string) float64 {
	if s.candidate == nil || s.routing.Mode != mode {
		return 0
	}
	if mode == routing.ModeCanary {
		return s.routing.Weight
	}
	return s.routing.Mirror
}
