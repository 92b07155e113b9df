package serving

import (
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mlpipe/mlpipe/internal/routing"
)

// Label sets of the gateway's families.
var (
	versionLabels = []string{"model", "version", "variant"}
	modelLabels   = []string{"model"}
)

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, labels, nil)
}

// The gateway's metric families. Their names, labels and meaning are a
// public interface: dashboards, alert rules and the monitor's
// infrastructure figures read them.
var (
	descRequests = desc("mlpipe_predict_requests_total", "Prediction requests by model version, variant and HTTP status.",
		append(versionLabels, "code")...)
	descRows    = desc("mlpipe_predict_rows_total", "Rows scored by model version and variant.", versionLabels...)
	descLatency = desc("mlpipe_predict_latency_seconds", "Prediction request latency by model version and variant.",
		versionLabels...)
	descCompared = desc("mlpipe_shadow_compared_total", "Rows the shadow scored and compared with production.",
		versionLabels...)
	descAgreed = desc("mlpipe_shadow_agreed_total", "Compared rows on which the shadow gave production's label.",
		versionLabels...)
	descShadowErrors = desc("mlpipe_shadow_errors_total", "Mirrored requests the shadow failed to score.", versionLabels...)
	descFeedback     = desc("mlpipe_feedback_total", "Feedback joined to a logged prediction.", versionLabels...)
	descCorrect      = desc("mlpipe_feedback_correct_total", "Joined feedback whose label the prediction got right.",
		versionLabels...)
	descVersion = desc("mlpipe_model_version", "Version currently served for each model.", modelLabels...)
	descWeight  = desc("mlpipe_routing_weight", "Percent of requests the canary answers.", modelLabels...)
	descMirror  = desc("mlpipe_routing_mirror", "Percent of requests copied to the shadow.", modelLabels...)
	descDropped = desc("mlpipe_shadow_dropped_total", "Mirrored requests dropped because the shadow queue was full.",
		modelLabels...)
	descUnknownFeedback = desc("mlpipe_feedback_unknown_total", "Feedback whose request ID and row were not (or no longer) "+
		"in this gateway's memory; the monitor joins it over the durable log.", modelLabels...)
	descUnknownModel = desc("mlpipe_predict_unknown_model_total", "Prediction requests for models that are not served.")
	descShed         = desc("mlpipe_predict_shed_total",
		"Prediction requests refused with 503 because the gateway held its limit of rows in flight.")
	descReloads = desc("mlpipe_gateway_reloads_total", "Registry refreshes by result.", "result")
)

// gatewayCollector reads the gateway's atomics at scrape time, so counting
// a request stays a few atomic adds.
type gatewayCollector struct{ g *Gateway }

func (c *gatewayCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descRequests, descRows, descLatency, descCompared, descAgreed, descShadowErrors,
		descFeedback, descCorrect, descVersion, descWeight, descMirror, descDropped, descUnknownFeedback,
		descUnknownModel, descShed, descReloads} {
		ch <- d
	}
	describeInferenceLog(ch)
}

func (c *gatewayCollector) Collect(ch chan<- prometheus.Metric) {
	g := c.g
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- constMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- constMetric(d, prometheus.GaugeValue, v, labels...)
	}
	for _, s := range g.metrics.snapshot() {
		labels := []string{s.model, strconv.Itoa(s.version), s.variant}
		if s.variant == routing.VariantShadow {
			// A shadow answers no request; it is compared instead.
			counter(descCompared, s.compared.Load(), labels...)
			counter(descAgreed, s.agreed.Load(), labels...)
			counter(descShadowErrors, s.shadowErrors.Load(), labels...)
		} else {
			for code := range s.codes {
				// 200 is always there, so a rate over it is defined from
				// the first scrape.
				if n := s.codes[code].Load(); n > 0 || code == http.StatusOK {
					counter(descRequests, n, append(labels, strconv.Itoa(code))...)
				}
			}
			counter(descRows, s.rows.Load(), labels...)
			ch <- s.latency(labels)
		}
		counter(descFeedback, s.feedbackN.Load(), labels...)
		counter(descCorrect, s.correct.Load(), labels...)
	}

	t := g.table.Load()
	for _, info := range g.infos(t) {
		gauge(descVersion, float64(info.Version), info.Model)
	}
	for name, s := range t.models {
		gauge(descWeight, s.effective(routing.ModeCanary), name)
		gauge(descMirror, s.effective(routing.ModeShadow), name)
	}
	for name, m := range g.metrics.models() {
		counter(descDropped, m.shadowDropped.Load(), name)
		counter(descUnknownFeedback, m.feedbackUnknown.Load(), name)
	}
	counter(descUnknownModel, g.metrics.unknownModel.Load())
	counter(descShed, g.metrics.shed.Load())
	counter(descReloads, g.metrics.reloadOK.Load(), "ok")
	counter(descReloads, g.metrics.reloadErr.Load(), "error")
	g.collectInferenceLog(ch)
}

// latency is the version's latency histogram. Its count is the +Inf
// bucket, so the two agree even while requests land.
func (s *versionStats) latency(labels []string) prometheus.Metric {
	buckets := make(map[float64]uint64, len(latencyBuckets))
	var cum uint64
	for i, le := range latencyBuckets {
		cum += s.buckets[i].Load()
		buckets[le] = cum
	}
	cum += s.buckets[len(latencyBuckets)].Load()
	m, err := prometheus.NewConstHistogram(descLatency, cum, float64(s.sumNs.Load())/1e9, buckets, labels...)
	if err != nil {
		return prometheus.NewInvalidMetric(descLatency, err)
	}
	return m
}

// constMetric is one sample; a label value the exposition cannot carry
// (not UTF-8) fails that series alone, which the handler logs, rather than
// panicking in the scrape.
func constMetric(d *prometheus.Desc, t prometheus.ValueType, v float64, labels ...string) prometheus.Metric {
	m, err := prometheus.NewConstMetric(d, t, v, labels...)
	if err != nil {
		return prometheus.NewInvalidMetric(d, err)
	}
	return m
}
