package spec

import "github.com/mlpipe/mlpipe/internal/alerting"

// Monitoring is the spec's monitoring block: the alert rules on the
// monitor's figures, where notifications go, and the retraining loop's
// cooldown.
//
//	monitoring:
//	  cooldown: 24h
//	  webhook: https://hooks.example.com/mlpipe
//	  alerts:
//	    - {name: ChurnDrift, metric: dataset_drift_share, op: ">=", threshold: 0.5, for: 30m, action: retrain}
type Monitoring struct {
	Alerts         []alerting.Rule `json:"alerts,omitempty" yaml:"alerts"`
	Webhook        string          `json:"webhook,omitempty" yaml:"webhook"`
	Cooldown       string          `json:"cooldown,omitempty" yaml:"cooldown"`
	RepeatInterval string          `json:"repeat_interval,omitempty" yaml:"repeat_interval"`
}

// AlertConfig is the block as internal/alerting takes it.
func (m *Monitoring) AlertConfig() alerting.Config {
	if m == nil {
		return alerting.Config{}
	}
	return alerting.Config{Alerts: m.Alerts, Webhook: m.Webhook, Cooldown: m.Cooldown, RepeatInterval: m.RepeatInterval}
}
