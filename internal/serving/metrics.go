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
)

// latencyBuckets are the histogram's upper bounds in seconds.
var latencyBuckets = [...]float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}

// versionStats counts one model version's traffic. Every field is atomic, so
// the request path never takes a lock.
type versionStats struct {
	model   string
	version int
	codes   [600]atomic.Uint64 // by HTTP status; a few KiB per version buys lock-free counting
	rows    atomic.Uint64
	buckets [len(latencyBuckets) + 1]atomic.Uint64 // per bucket, not cumulative; the last is +Inf
	sumNs   atomic.Uint64
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
}

// metrics holds all counters. The mutex guards only creating a version's
// stats (at load time) and listing them (at scrape time).
type metrics struct {
	mu           sync.Mutex
	byVersion    map[statsKey]*versionStats
	unknownModel atomic.Uint64
	reloadOK     atomic.Uint64
	reloadErr    atomic.Uint64
}

func newMetrics() *metrics { return &metrics{byVersion: map[statsKey]*versionStats{}} }

// version returns the stats of a model version, creating them once; a version
// that is promoted, rolled back and promoted again keeps counting where it left off.
func (m *metrics) version(model string, version int) *versionStats {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := statsKey{model, version}
	s := m.byVersion[k]
	if s == nil {
		s = &versionStats{model: model, version: version}
		m.byVersion[k] = s
	}
	return s
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
		return out[i].version < out[j].version
	})
	return out
}

// handleMetrics writes the Prometheus text exposition format (version 0.0.4).
func (g *Gateway) handleMetrics(w http.ResponseWriter, r *http.Request) {
	var b strings.Builder
	stats := g.metrics.snapshot()

	b.WriteString("# HELP mlpipe_predict_requests_total Prediction requests by model version and HTTP status.\n")
	b.WriteString("# TYPE mlpipe_predict_requests_total counter\n")
	for _, s := range stats {
		for code := range s.codes {
			if n := s.codes[code].Load(); n > 0 || code == http.StatusOK {
				fmt.Fprintf(&b, "mlpipe_predict_requests_total{model=%s,version=\"%d\",code=\"%d\"} %d\n", quote(s.model), s.version, code, n)
			}
		}
	}

	b.WriteString("# HELP mlpipe_predict_rows_total Rows scored by model version.\n")
	b.WriteString("# TYPE mlpipe_predict_rows_total counter\n")
	for _, s := range stats {
		fmt.Fprintf(&b, "mlpipe_predict_rows_total{model=%s,version=\"%d\"} %d\n", quote(s.model), s.version, s.rows.Load())
	}

	b.WriteString("# HELP mlpipe_predict_latency_seconds Prediction request latency by model version.\n")
	b.WriteString("# TYPE mlpipe_predict_latency_seconds histogram\n")
	for _, s := range stats {
		labels := fmt.Sprintf("model=%s,version=\"%d\"", quote(s.model), s.version)
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

	b.WriteString("# HELP mlpipe_model_version Version currently served for each model.\n")
	b.WriteString("# TYPE mlpipe_model_version gauge\n")
	for _, info := range g.infos(g.table.Load()) {
		fmt.Fprintf(&b, "mlpipe_model_version{model=%s} %d\n", quote(info.Model), info.Version)
	}

	b.WriteString("# HELP mlpipe_predict_unknown_model_total Prediction requests for models that are not served.\n")
	b.WriteString("# TYPE mlpipe_predict_unknown_model_total counter\n")
	fmt.Fprintf(&b, "mlpipe_predict_unknown_model_total %d\n", g.metrics.unknownModel.Load())

	b.WriteString("# HELP mlpipe_gateway_reloads_total Registry refreshes by result.\n")
	b.WriteString("# TYPE mlpipe_gateway_reloads_total counter\n")
	fmt.Fprintf(&b, "mlpipe_gateway_reloads_total{result=\"ok\"} %d\n", g.metrics.reloadOK.Load())
	fmt.Fprintf(&b, "mlpipe_gateway_reloads_total{result=\"error\"} %d\n", g.metrics.reloadErr.Load())

	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	_, _ = w.Write([]byte(b.String())) // the scraper hung up; it will retry
}

// quote renders a label value with the escapes the text format requires.
func quote(v string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(v) + `"`
}
