package serving

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
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
// stats (at load time) and listing them (at scrape time).
type metrics struct {
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

// handleMetrics writes the Prometheus text exposition format (version 0.0.4).
// Counters here are cumulative over the process; the per-epoch view is
// GET /admin/models/{name}/stats.
func (g *Gateway) handleMetrics(w http.ResponseWriter, r *http.Request) {
	var b strings.Builder
	var answered, shadows []*versionStats // shadows answer no request
	all := g.metrics.snapshot()
	for _, s := range all {
		if s.variant == routing.VariantShadow {
			shadows = append(shadows, s)
		} else {
			answered = append(answered, s)
		}
	}

	b.WriteString("# HELP mlpipe_predict_requests_total Prediction requests by model version, variant and HTTP status.\n")
	b.WriteString("# TYPE mlpipe_predict_requests_total counter\n")
	for _, s := range answered {
		for code := range s.codes {
			if n := s.codes[code].Load(); n > 0 || code == http.StatusOK {
				fmt.Fprintf(&b, "mlpipe_predict_requests_total{%s,code=\"%d\"} %d\n", s.labels(), code, n)
			}
		}
	}

	b.WriteString("# HELP mlpipe_predict_rows_total Rows scored by model version and variant.\n")
	b.WriteString("# TYPE mlpipe_predict_rows_total counter\n")
	for _, s := range answered {
		fmt.Fprintf(&b, "mlpipe_predict_rows_total{%s} %d\n", s.labels(), s.rows.Load())
	}

	b.WriteString("# HELP mlpipe_predict_latency_seconds Prediction request latency by model version and variant.\n")
	b.WriteString("# TYPE mlpipe_predict_latency_seconds histogram\n")
	for _, s := range answered {
		labels := s.labels()
		// _count is the +Inf bucket, so the two agree even while requests land.
		var cum uint64
		for i, le := range latencyBuckets {
			cum += s.buckets[i].Load()
			fmt.Fprintf(&b, "mlpipe_predict_latency_seconds_bucket{%s,le=\"%s\"} %d\n", labels, strconv.FormatFloat(le, 'g', -1, 64), cum)
		}
		cum += s.buckets[len(latencyBuckets)].Load()
		fmt.Fprintf(&b, "mlpipe_predict_latency_seconds_bucket{%s,le=\"+Inf\"} %d\n", labels, cum)
		fmt.Fprintf(&b, "mlpipe_predict_latency_seconds_sum{%s} %s\n", labels, strconv.FormatFloat(float64(s.sumNs.Load())/1e9, 'g', -1, 64))
		fmt.Fprintf(&b, "mlpipe_predict_latency_seconds_count{%s} %d\n", labels, cum)
	}

	counter(&b, "mlpipe_shadow_compared_total", "Rows the shadow scored and compared with production.", shadows,
		func(s *versionStats) uint64 { return s.compared.Load() })
	counter(&b, "mlpipe_shadow_agreed_total", "Compared rows on which the shadow gave production's label.", shadows,
		func(s *versionStats) uint64 { return s.agreed.Load() })
	counter(&b, "mlpipe_shadow_errors_total", "Mirrored requests the shadow failed to score.", shadows,
		func(s *versionStats) uint64 { return s.shadowErrors.Load() })
	counter(&b, "mlpipe_feedback_total", "Feedback joined to a logged prediction.", all,
		func(s *versionStats) uint64 { return s.feedbackN.Load() })
	counter(&b, "mlpipe_feedback_correct_total", "Joined feedback whose label the prediction got right.", all,
		func(s *versionStats) uint64 { return s.correct.Load() })

	t := g.table.Load()
	b.WriteString("# HELP mlpipe_model_version Version currently served for each model.\n")
	b.WriteString("# TYPE mlpipe_model_version gauge\n")
	for _, info := range g.infos(t) {
		fmt.Fprintf(&b, "mlpipe_model_version{model=%s} %d\n", quote(info.Model), info.Version)
	}
	names := make([]string, 0, len(t.models))
	for name := range t.models {
		names = append(names, name)
	}
	sort.Strings(names)
	b.WriteString("# HELP mlpipe_routing_weight Percent of requests the canary answers.\n")
	b.WriteString("# TYPE mlpipe_routing_weight gauge\n")
	for _, name := range names {
		fmt.Fprintf(&b, "mlpipe_routing_weight{model=%s} %s\n", quote(name), strconv.FormatFloat(t.models[name].effective(routing.ModeCanary), 'g', -1, 64))
	}
	b.WriteString("# HELP mlpipe_routing_mirror Percent of requests copied to the shadow.\n")
	b.WriteString("# TYPE mlpipe_routing_mirror gauge\n")
	for _, name := range names {
		fmt.Fprintf(&b, "mlpipe_routing_mirror{model=%s} %s\n", quote(name), strconv.FormatFloat(t.models[name].effective(routing.ModeShadow), 'g', -1, 64))
	}

	byModel := g.metrics.models()
	names = names[:0]
	for name := range byModel {
		names = append(names, name)
	}
	sort.Strings(names)
	b.WriteString("# HELP mlpipe_shadow_dropped_total Mirrored requests dropped because the shadow queue was full.\n")
	b.WriteString("# TYPE mlpipe_shadow_dropped_total counter\n")
	for _, name := range names {
		fmt.Fprintf(&b, "mlpipe_shadow_dropped_total{model=%s} %d\n", quote(name), byModel[name].shadowDropped.Load())
	}
	b.WriteString("# HELP mlpipe_feedback_unknown_total Feedback whose request ID and row were not (or no longer) in this gateway's memory; the monitor joins it over the durable log.\n")
	b.WriteString("# TYPE mlpipe_feedback_unknown_total counter\n")
	for _, name := range names {
		fmt.Fprintf(&b, "mlpipe_feedback_unknown_total{model=%s} %d\n", quote(name), byModel[name].feedbackUnknown.Load())
	}

	b.WriteString("# HELP mlpipe_predict_unknown_model_total Prediction requests for models that are not served.\n")
	b.WriteString("# TYPE mlpipe_predict_unknown_model_total counter\n")
	fmt.Fprintf(&b, "mlpipe_predict_unknown_model_total %d\n", g.metrics.unknownModel.Load())

	b.WriteString("# HELP mlpipe_predict_shed_total Prediction requests refused with 503 because the gateway held its limit of rows in flight.\n")
	b.WriteString("# TYPE mlpipe_predict_shed_total counter\n")
	fmt.Fprintf(&b, "mlpipe_predict_shed_total %d\n", g.metrics.shed.Load())

	g.writeInferenceLogMetrics(&b)

	b.WriteString("# HELP mlpipe_gateway_reloads_total Registry refreshes by result.\n")
	b.WriteString("# TYPE mlpipe_gateway_reloads_total counter\n")
	fmt.Fprintf(&b, "mlpipe_gateway_reloads_total{result=\"ok\"} %d\n", g.metrics.reloadOK.Load())
	fmt.Fprintf(&b, "mlpipe_gateway_reloads_total{result=\"error\"} %d\n", g.metrics.reloadErr.Load())

	writeProcessMetrics(&b)

	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	_, _ = w.Write([]byte(b.String())) // the scraper hung up; it will retry
}

func (s *versionStats) labels() string {
	return fmt.Sprintf("model=%s,version=\"%d\",variant=%s", quote(s.model), s.version, quote(s.variant))
}

// counter writes one counter family over stats.
func counter(b *strings.Builder, name, help string, stats []*versionStats, value func(*versionStats) uint64) {
	fmt.Fprintf(b, "# HELP %s %s\n# TYPE %s counter\n", name, help, name)
	for _, s := range stats {
		fmt.Fprintf(b, "%s{%s} %d\n", name, s.labels(), value(s))
	}
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

// quote renders a label value with the escapes the text format requires.
func quote(v string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(v) + `"`
}
