package promexport

import (
	"maps"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"
)

// TimerBuckets are the upper bounds, in seconds, of the histograms the
// SDK's timers record into: task latencies run from milliseconds (a
// workflow task) to minutes (a training activity's schedule-to-start on a
// busy GPU queue).
var TimerBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 900}

// TemporalMetrics implements the Temporal SDK's client.MetricsHandler over
// client_golang: counters, gauges and histograms (timers, in seconds) named
// as the SDK names them (temporal_workflow_completed,
// temporal_activity_schedule_to_start_latency, ...), labelled with the
// SDK's tags.
//
// The SDK tags one metric name with different tag sets (a poll counter
// with and without task_queue, say), which a client_golang Vec cannot
// hold: a Vec fixes its label names. So the values are kept here and
// collected as constant metrics, each family labelled with the union of
// the tag names it was used with (missing ones empty), which is what
// Prometheus requires of one family.
type TemporalMetrics struct {
	store *temporalStore
	tags  map[string]string
}

var _ client.MetricsHandler = (*TemporalMetrics)(nil)

// NewTemporalMetrics returns a handler and registers its collector.
func NewTemporalMetrics(reg prometheus.Registerer) (*TemporalMetrics, error) {
	s := &temporalStore{families: map[string]*family{}}
	if err := reg.Register(s); err != nil {
		return nil, err
	}
	return &TemporalMetrics{store: s, tags: map[string]string{}}, nil
}

// WithTags returns a handler whose metrics also carry tags; a tag already
// set is overwritten.
func (h *TemporalMetrics) WithTags(tags map[string]string) client.MetricsHandler {
	t := maps.Clone(h.tags)
	for k, v := range tags {
		t[SanitizeName(k)] = strings.ToValidUTF8(v, "\uFFFD")
	}
	return &TemporalMetrics{store: h.store, tags: t}
}

// Counter obtains a counter.
func (h *TemporalMetrics) Counter(name string) client.MetricsCounter {
	s := h.store.series(name, prometheus.CounterValue, h.tags)
	return counterFunc(func(d int64) {
		if d < 0 {
			return // a counter never goes down
		}
		s.mu.Lock()
		s.value += float64(d)
		s.mu.Unlock()
	})
}

// Gauge obtains a gauge.
func (h *TemporalMetrics) Gauge(name string) client.MetricsGauge {
	s := h.store.series(name, prometheus.GaugeValue, h.tags)
	return gaugeFunc(func(v float64) {
		s.mu.Lock()
		s.value = v
		s.mu.Unlock()
	})
}

// Timer obtains a timer, recorded as a histogram in seconds.
func (h *TemporalMetrics) Timer(name string) client.MetricsTimer {
	s := h.store.series(name, prometheus.UntypedValue, h.tags)
	return timerFunc(func(d time.Duration) {
		sec := d.Seconds()
		s.mu.Lock()
		defer s.mu.Unlock()
		s.count++
		s.value += sec
		for i, ub := range TimerBuckets {
			if sec <= ub {
				s.buckets[i]++
			}
		}
	})
}

type counterFunc func(int64)

func (f counterFunc) Inc(d int64) { f(d) }

type gaugeFunc func(float64)

func (f gaugeFunc) Update(v float64) { f(v) }

type timerFunc func(time.Duration)

func (f timerFunc) Record(d time.Duration) { f(d) }

// temporalStore holds every series the handler made.
type temporalStore struct {
	mu       sync.Mutex
	families map[string]*family
}

// family is one metric name: its kind (UntypedValue marks a histogram)
// and its series by tag set.
type family struct {
	name   string
	kind   prometheus.ValueType
	labels map[string]bool
	series map[string]*series
}

type series struct {
	tags map[string]string

	mu      sync.Mutex
	value   float64 // counter or gauge value; a histogram's sum
	count   uint64
	buckets []uint64 // cumulative counts at TimerBuckets
}

// series finds or makes the series of name and tags. A name used with two
// kinds (which the SDK does not do) keeps both, the later one suffixed
// with its kind, so neither is lost.
func (s *temporalStore) series(name string, kind prometheus.ValueType, tags map[string]string) *series {
	name = SanitizeName(name)
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.families[name]
	if f != nil && f.kind != kind {
		name += "_" + kindName(kind)
		f = s.families[name]
	}
	if f == nil {
		f = &family{name: name, kind: kind, labels: map[string]bool{}, series: map[string]*series{}}
		s.families[name] = f
	}
	key := seriesKey(tags)
	se := f.series[key]
	if se == nil {
		se = &series{tags: maps.Clone(tags)}
		if kind == prometheus.UntypedValue {
			se.buckets = make([]uint64, len(TimerBuckets))
		}
		f.series[key] = se
		for k := range tags {
			f.labels[k] = true
		}
	}
	return se
}

func kindName(k prometheus.ValueType) string {
	switch k {
	case prometheus.CounterValue:
		return "counter"
	case prometheus.GaugeValue:
		return "gauge"
	}
	return "timer"
}

func seriesKey(tags map[string]string) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		b.WriteString(k)
		b.WriteByte(0)
		b.WriteString(tags[k])
		b.WriteByte(0)
	}
	return b.String()
}

// Describe sends nothing: the families are known only once the SDK uses
// them.
func (s *temporalStore) Describe(chan<- *prometheus.Desc) {}

// Collect sends every series, each family labelled with the union of its
// tag names.
func (s *temporalStore) Collect(ch chan<- prometheus.Metric) {
	s.mu.Lock()
	type snap struct {
		f      *family
		labels []string
		series []*series
	}
	var snaps []snap
	for _, name := range slices.Sorted(maps.Keys(s.families)) {
		f := s.families[name]
		ss := make([]*series, 0, len(f.series))
		for _, k := range slices.Sorted(maps.Keys(f.series)) {
			ss = append(ss, f.series[k])
		}
		snaps = append(snaps, snap{f: f, labels: slices.Sorted(maps.Keys(f.labels)), series: ss})
	}
	s.mu.Unlock()

	for _, sn := range snaps {
		help := "Temporal SDK metric " + sn.f.name + "."
		if sn.f.kind == prometheus.UntypedValue {
			help = "Temporal SDK timer " + sn.f.name + ", in seconds."
		}
		d := prometheus.NewDesc(sn.f.name, help, sn.labels, nil)
		seen := map[string]bool{}
		for _, se := range sn.series {
			lv := make([]string, len(sn.labels))
			for i, l := range sn.labels {
				lv[i] = se.tags[l]
			}
			// A tag set that differs from another only by an empty tag
			// would repeat a series; the first one wins.
			k := strings.Join(lv, "\x00")
			if seen[k] {
				continue
			}
			seen[k] = true
			se.mu.Lock()
			var m prometheus.Metric
			var err error
			if sn.f.kind == prometheus.UntypedValue {
				buckets := make(map[float64]uint64, len(TimerBuckets))
				for i, ub := range TimerBuckets {
					buckets[ub] = se.buckets[i]
				}
				m, err = prometheus.NewConstHistogram(d, se.count, se.value, buckets, lv...)
			} else {
				v := se.value
				if math.IsNaN(v) {
					v = 0
				}
				m, err = prometheus.NewConstMetric(d, sn.f.kind, v, lv...)
			}
			se.mu.Unlock()
			if err != nil {
				m = prometheus.NewInvalidMetric(d, err)
			}
			ch <- m
		}
	}
}

// SanitizeName makes a metric or label name Prometheus accepts: letters,
// digits and _ (and : in metric names is left out), not starting with a
// digit.
func SanitizeName(name string) string {
	var b strings.Builder
	for i, r := range name {
		switch {
		case r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z'):
			b.WriteRune(r)
		case r >= '0' && r <= '9':
			if i == 0 {
				b.WriteByte('_')
			}
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return "_"
	}
	return b.String()
}
