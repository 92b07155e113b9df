package alerting

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// DefaultKeepFiringFor is used by a rule that does not say: an alert keeps
// firing for a quarter of an hour after its condition last held, so a
// figure that flaps around its threshold notifies once, not every flap.
const DefaultKeepFiringFor = "15m"

// DefaultRepeatInterval is Alertmanager's own default.
const DefaultRepeatInterval = "4h"

// DefaultCooldown follows each retraining.
const DefaultCooldown = "24h"

// Model is one model's alerting: its name and its spec's monitoring block.
type Model struct {
	Name   string
	Config Config
}

type promRuleFile struct {
	Groups []promGroup `yaml:"groups"`
}

type promGroup struct {
	Name     string     `yaml:"name"`
	Interval string     `yaml:"interval,omitempty"`
	Rules    []promRule `yaml:"rules"`
}

type promRule struct {
	Alert         string            `yaml:"alert"`
	Expr          string            `yaml:"expr"`
	For           string            `yaml:"for,omitempty"`
	KeepFiringFor string            `yaml:"keep_firing_for,omitempty"`
	Labels        map[string]string `yaml:"labels"`
	Annotations   map[string]string `yaml:"annotations"`
}

// RuleFile renders the models' rules as one Prometheus rule file. The
// expression takes the largest (or, for a lower bound, the smallest)
// value any scrape target reports for the model, so two gateways or two
// workers exporting the same figure make one alert.
func RuleFile(models []Model, evalInterval string) ([]byte, error) {
	var f promRuleFile
	for _, m := range models {
		if err := m.Config.Validate(); err != nil {
			return nil, fmt.Errorf("model %s: %w", m.Name, err)
		}
		g := promGroup{Name: "mlpipe-" + m.Name, Interval: evalInterval}
		for _, r := range m.Config.Alerts {
			met, _ := MetricByName(r.Metric)
			sel := fmt.Sprintf(`model=%q`, m.Name)
			if r.Feature != "" {
				sel += fmt.Sprintf(`,feature=%q`, r.Feature)
			}
			agg := "max"
			if strings.HasPrefix(r.Op, "<") {
				agg = "min"
			}
			by := "model"
			if r.Feature == "" && (strings.Contains(met.Help, "per feature") || met.Name == "feature_drift") {
				by = "model, feature"
			}
			keep := r.KeepFiringFor
			if keep == "" {
				keep = DefaultKeepFiringFor
			}
			sev := r.Severity
			if sev == "" {
				sev = "warning"
			}
			labels := map[string]string{"model": m.Name, "severity": sev, "metric_group": met.Group}
			if r.Action != "" {
				labels["action"] = r.Action
				cd := m.Config.Cooldown
				if cd == "" {
					cd = DefaultCooldown
				}
				labels["cooldown"] = cd
			}
			for k, v := range r.Labels {
				labels[k] = v
			}
			g.Rules = append(g.Rules, promRule{
				Alert:         r.Name,
				Expr:          fmt.Sprintf("%s by (%s) (%s{%s}) %s %s", agg, by, met.Series, sel, r.Op, strconv.FormatFloat(r.Threshold, 'g', -1, 64)),
				For:           r.For,
				KeepFiringFor: keep,
				Labels:        labels,
				Annotations: map[string]string{
					"summary": fmt.Sprintf("%s of %s is {{ $value }} (%s %s)", r.Metric, m.Name, r.Op, strconv.FormatFloat(r.Threshold, 'g', -1, 64)),
					"metric":  met.Series,
				},
			})
		}
		f.Groups = append(f.Groups, g)
	}
	return yaml.Marshal(f)
}

// Targets are the endpoints Prometheus scrapes, by job.
type Targets struct {
	Gateways []string // host:port of each gateway replica
	Workers  []string // host:port of each worker's metrics endpoint
}

// PrometheusConfig renders prometheus.yml: the scrape jobs, the rule
// files and the Alertmanager to send to.
func PrometheusConfig(t Targets, ruleFiles []string, alertmanager, interval string) ([]byte, error) {
	type staticConfig struct {
		Targets []string `yaml:"targets"`
	}
	type job struct {
		Name          string         `yaml:"job_name"`
		StaticConfigs []staticConfig `yaml:"static_configs"`
	}
	type amConfig struct {
		StaticConfigs []staticConfig `yaml:"static_configs"`
	}
	cfg := struct {
		Global struct {
			ScrapeInterval     string `yaml:"scrape_interval"`
			EvaluationInterval string `yaml:"evaluation_interval"`
		} `yaml:"global"`
		RuleFiles []string `yaml:"rule_files"`
		Alerting  struct {
			Alertmanagers []amConfig `yaml:"alertmanagers"`
		} `yaml:"alerting"`
		ScrapeConfigs []job `yaml:"scrape_configs"`
	}{RuleFiles: ruleFiles}
	cfg.Global.ScrapeInterval, cfg.Global.EvaluationInterval = interval, interval
	if alertmanager != "" {
		cfg.Alerting.Alertmanagers = []amConfig{{StaticConfigs: []staticConfig{{Targets: []string{alertmanager}}}}}
	}
	if len(t.Gateways) > 0 {
		cfg.ScrapeConfigs = append(cfg.ScrapeConfigs, job{Name: "mlpipe-gateway", StaticConfigs: []staticConfig{{Targets: t.Gateways}}})
	}
	if len(t.Workers) > 0 {
		cfg.ScrapeConfigs = append(cfg.ScrapeConfigs, job{Name: "mlpipe-worker", StaticConfigs: []staticConfig{{Targets: t.Workers}}})
	}
	return yaml.Marshal(cfg)
}

// Timing is Alertmanager's grouping timing. Zero values take
// Alertmanager's defaults.
type Timing struct {
	GroupWait      string
	GroupInterval  string
	RepeatInterval string
}

// AlertmanagerConfig renders alertmanager.yml. Every alert goes to mlpipe's
// receiver (which logs it, shows it in the model's status and starts the
// retraining loop for action retrain), and to the model's own webhook when
// its spec names one. Alerts are grouped by name and model; a drift alert
// is inhibited while a data-quality alert fires for the same model (drift
// measured on broken data says nothing about the world).
func AlertmanagerConfig(models []Model, receiverURL string, t Timing) ([]byte, error) {
	type webhook struct {
		URL          string `yaml:"url"`
		SendResolved bool   `yaml:"send_resolved"`
	}
	type receiver struct {
		Name           string    `yaml:"name"`
		WebhookConfigs []webhook `yaml:"webhook_configs,omitempty"`
	}
	type route struct {
		Receiver       string   `yaml:"receiver"`
		GroupBy        []string `yaml:"group_by,omitempty"`
		GroupWait      string   `yaml:"group_wait,omitempty"`
		GroupInterval  string   `yaml:"group_interval,omitempty"`
		RepeatInterval string   `yaml:"repeat_interval,omitempty"`
		Matchers       []string `yaml:"matchers,omitempty"`
		Continue       bool     `yaml:"continue,omitempty"`
		Routes         []route  `yaml:"routes,omitempty"`
	}
	type inhibit struct {
		SourceMatchers []string `yaml:"source_matchers"`
		TargetMatchers []string `yaml:"target_matchers"`
		Equal          []string `yaml:"equal"`
	}
	repeat := t.RepeatInterval
	if repeat == "" {
		repeat = DefaultRepeatInterval
	}
	root := route{Receiver: "mlpipe", GroupBy: []string{"alertname", "model"},
		GroupWait: t.GroupWait, GroupInterval: t.GroupInterval, RepeatInterval: repeat}
	receivers := []receiver{{Name: "mlpipe", WebhookConfigs: []webhook{{URL: receiverURL, SendResolved: true}}}}
	names := make([]string, 0, len(models))
	for _, m := range models {
		if err := m.Config.Validate(); err != nil {
			return nil, fmt.Errorf("model %s: %w", m.Name, err)
		}
		names = append(names, m.Name)
	}
	slices.Sort(names)
	for _, name := range names {
		m := models[slices.IndexFunc(models, func(m Model) bool { return m.Name == name })]
		r := route{Receiver: "mlpipe", Matchers: []string{fmt.Sprintf("model=%q", m.Name)}}
		if m.Config.RepeatInterval != "" {
			r.RepeatInterval = m.Config.RepeatInterval
		}
		if m.Config.Webhook != "" {
			rcv := "webhook-" + m.Name
			receivers = append(receivers, receiver{Name: rcv, WebhookConfigs: []webhook{{URL: m.Config.Webhook, SendResolved: true}}})
			// The user's webhook first, then on to mlpipe's receiver.
			root.Routes = append(root.Routes, route{Receiver: rcv, Matchers: r.Matchers, RepeatInterval: r.RepeatInterval, Continue: true})
		}
		root.Routes = append(root.Routes, r)
	}
	cfg := struct {
		Route        route      `yaml:"route"`
		Receivers    []receiver `yaml:"receivers"`
		InhibitRules []inhibit  `yaml:"inhibit_rules"`
	}{
		Route:     root,
		Receivers: receivers,
		InhibitRules: []inhibit{{
			SourceMatchers: []string{`metric_group="data_quality"`},
			TargetMatchers: []string{`metric_group="drift"`},
			Equal:          []string{"model"},
		}},
	}
	return yaml.Marshal(cfg)
}
