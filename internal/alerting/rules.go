// Package alerting turns a spec's alert rules into what Prometheus and
// Alertmanager run: a rule file, a scrape configuration and a routing tree
// (grouping, inhibition, repeat interval, receivers). It also receives
// Alertmanager's webhook notifications and hands each alert to the model's
// retraining loop.
package alerting

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/mlpipe/mlpipe/internal/suggest"
)

// Metric is one figure a rule may watch: the name a spec writes, the
// Prometheus series the monitor or gateway exports, and what it means.
type Metric struct {
	Name   string
	Series string
	Help   string
	// Group is the seed's metric group: data_quality, drift,
	// performance, infrastructure or business. A drift alert is inhibited
	// while a data-quality alert fires for the same model.
	Group string
}

// Metrics is the catalogue a rule's metric must come from. Every series
// carries model, version and variant labels (feature or task_queue where
// stated).
var Metrics = []Metric{
	{"dataset_drift_share", "mlpipe_monitor_drift_share", "share of features that drifted in the last window", "drift"},
	{"feature_drift", "mlpipe_monitor_feature_drift", "1 for each feature (label feature) that drifted", "drift"},
	{"feature_psi", "mlpipe_monitor_feature_psi", "population stability index per feature", "drift"},
	{"prediction_drift", "mlpipe_monitor_prediction_drift", "1 when the prediction's distribution drifted", "drift"},
	{"schema_violations", "mlpipe_monitor_schema_violations", "rows with a missing, unknown or mistyped feature", "data_quality"},
	{"null_rate", "mlpipe_monitor_null_rate", "share of nulls per feature", "data_quality"},
	{"out_of_range_rate", "mlpipe_monitor_out_of_range_rate", "share of values outside the reference range per feature", "data_quality"},
	{"unseen_category_rate", "mlpipe_monitor_unseen_category_rate", "share of categories the reference never saw per feature", "data_quality"},
	{"accuracy", "mlpipe_monitor_accuracy", "accuracy on joined feedback", "performance"},
	{"f1", "mlpipe_monitor_f1", "F1 on joined feedback", "performance"},
	{"roc_auc", "mlpipe_monitor_roc_auc", "ROC AUC on joined feedback", "performance"},
	{"estimated_f1", "mlpipe_monitor_estimated_f1", "label-free F1 estimate (CBPE)", "performance"},
	{"estimated_accuracy", "mlpipe_monitor_estimated_accuracy", "label-free accuracy estimate (CBPE)", "performance"},
	{"latency_p99_seconds", "mlpipe_monitor_latency_p99_seconds", "99th percentile prediction latency", "performance"},
	{"error_rate", "mlpipe_monitor_error_rate", "share of predict requests that failed", "performance"},
	{"conversion_rate", "mlpipe_monitor_conversion_rate", "share of feedback with a positive outcome", "business"},
	{"value_per_prediction", "mlpipe_monitor_value_per_prediction", "business value per prediction", "business"},
	{"task_queue_backlog", "mlpipe_monitor_task_queue_backlog", "tasks waiting per task queue (label task_queue)", "infrastructure"},
}

// MetricByName finds a catalogue entry.
func MetricByName(name string) (Metric, bool) {
	i := slices.IndexFunc(Metrics, func(m Metric) bool { return m.Name == name })
	if i < 0 {
		return Metric{}, false
	}
	return Metrics[i], true
}

// MetricNames lists the catalogue's names, for messages.
func MetricNames() []string {
	out := make([]string, len(Metrics))
	for i, m := range Metrics {
		out[i] = m.Name
	}
	return out
}

// Rule is one alert rule as a spec writes it.
type Rule struct {
	Name      string  `json:"name" yaml:"name"`
	Metric    string  `json:"metric" yaml:"metric"`
	Op        string  `json:"op" yaml:"op"` // >, >=, <, <=
	Threshold float64 `json:"threshold" yaml:"threshold"`
	// For is how long the condition must hold before the alert fires;
	// KeepFiringFor how long it keeps firing after it stops holding
	// (which is what keeps a flapping figure from re-notifying).
	For           string            `json:"for,omitempty" yaml:"for"`
	KeepFiringFor string            `json:"keep_firing_for,omitempty" yaml:"keep_firing_for"`
	Severity      string            `json:"severity,omitempty" yaml:"severity"` // critical, warning (default), info
	Labels        map[string]string `json:"labels,omitempty" yaml:"labels"`
	// Action is retrain, or empty to only notify.
	Action string `json:"action,omitempty" yaml:"action"`
	// Feature narrows a per-feature metric to one feature.
	Feature string `json:"feature,omitempty" yaml:"feature"`
}

// Config is a spec's monitoring block: where alerts go and how often the
// loop may retrain.
type Config struct {
	Alerts []Rule `json:"alerts,omitempty" yaml:"alerts"`
	// Webhook, when set, also receives every notification in
	// Alertmanager's JSON format.
	Webhook string `json:"webhook,omitempty" yaml:"webhook"`
	// Cooldown follows each retraining (default 24h).
	Cooldown string `json:"cooldown,omitempty" yaml:"cooldown"`
	// RepeatInterval is how often a still-firing alert is re-sent
	// (default 4h, Alertmanager's).
	RepeatInterval string `json:"repeat_interval,omitempty" yaml:"repeat_interval"`
}

var (
	ruleNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	labelRE    = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	ops        = []string{">", ">=", "<", "<="}
	severities = []string{"critical", "warning", "info"}
	// reserved labels are set by mlpipe itself.
	reserved = []string{"alertname", "model", "severity", "action", "metric_group", "cooldown"}
)

// Validate refuses what Prometheus or Alertmanager would refuse, or would
// silently do wrong, naming the rule and what to fix.
func (c Config) Validate() error {
	var problems []string
	add := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }
	if c.Webhook != "" {
		if u, err := url.Parse(c.Webhook); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			add("monitoring.webhook %q: must be an http:// or https:// URL", c.Webhook)
		}
	}
	for _, d := range []struct{ key, v string }{{"cooldown", c.Cooldown}, {"repeat_interval", c.RepeatInterval}} {
		if d.v != "" {
			if _, err := parseDuration(d.v); err != nil {
				add("monitoring.%s: %v", d.key, err)
			}
		}
	}
	seen := map[string]bool{}
	for i, r := range c.Alerts {
		where := fmt.Sprintf("monitoring.alerts[%d]", i+1)
		if r.Name != "" {
			where += " (" + r.Name + ")"
		}
		switch {
		case r.Name == "":
			add("%s: name is required", where)
		case !ruleNameRE.MatchString(r.Name):
			add("%s: name must be letters, digits and _ (Prometheus' alertname), not starting with a digit", where)
		case seen[r.Name]:
			add("%s: the name is used twice", where)
		}
		seen[r.Name] = true
		if _, ok := MetricByName(r.Metric); !ok {
			add("%s: unknown metric %q%s; known are %s", where, r.Metric, suggestion(r.Metric), strings.Join(MetricNames(), ", "))
		}
		if !slices.Contains(ops, r.Op) {
			add("%s: op %q must be one of %s", where, r.Op, strings.Join(ops, " "))
		}
		for _, d := range []struct{ key, v string }{{"for", r.For}, {"keep_firing_for", r.KeepFiringFor}} {
			if d.v != "" {
				if _, err := parseDuration(d.v); err != nil {
					add("%s: %s: %v", where, d.key, err)
				}
			}
		}
		if r.Severity != "" && !slices.Contains(severities, r.Severity) {
			add("%s: severity %q must be one of %s", where, r.Severity, strings.Join(severities, ", "))
		}
		if r.Action != "" && r.Action != "retrain" {
			add("%s: action %q: the only action is retrain (or leave it out to only notify)", where, r.Action)
		}
		for k := range r.Labels {
			if !labelRE.MatchString(k) {
				add("%s: label %q must be letters, digits and _", where, k)
			} else if slices.Contains(reserved, k) {
				add("%s: label %q is set by mlpipe; choose another name", where, k)
			}
		}
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return fmt.Errorf("%s", strings.Join(problems, "\n"))
	}
	return nil
}

// parseDuration accepts Go durations and Prometheus' d and w units.
func parseDuration(s string) (time.Duration, error) {
	v := s
	mult := time.Duration(1)
	switch {
	case strings.HasSuffix(s, "d"):
		v, mult = strings.TrimSuffix(s, "d")+"h", 24
	case strings.HasSuffix(s, "w"):
		v, mult = strings.TrimSuffix(s, "w")+"h", 24*7
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q is not a positive duration such as 30s, 15m, 4h or 2d", s)
	}
	return d * mult, nil
}

// ParseDuration is parseDuration for callers that read a validated Config.
func ParseDuration(s string) (time.Duration, error) { return parseDuration(s) }

func suggestion(name string) string {
	if best := suggest.Closest(name, MetricNames()); best != "" {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	return ""
}
