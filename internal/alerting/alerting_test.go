package alerting_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/alerting"
)

func driftRules() alerting.Config {
	return alerting.Config{
		Webhook:  "https://hooks.example.com/mlpipe",
		Cooldown: "24h",
		Alerts: []alerting.Rule{
			{Name: "ChurnDrift", Metric: "dataset_drift_share", Op: ">=", Threshold: 0.5, For: "30m", Action: "retrain",
				Labels: map[string]string{"team": "growth"}},
			{Name: "ChurnSchema", Metric: "schema_violations", Op: ">", Threshold: 0, Severity: "critical"},
			{Name: "ChurnSlow", Metric: "latency_p99_seconds", Op: ">", Threshold: 0.25, KeepFiringFor: "1h"},
			{Name: "ChurnF1", Metric: "estimated_f1", Op: "<", Threshold: 0.8},
		},
	}
}

func TestBadRulesAreRefusedNamingTheRule(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  alerting.Config
		want string
	}{
		{"unknown metric", alerting.Config{Alerts: []alerting.Rule{{Name: "A", Metric: "dataset_drift_shar", Op: ">", Threshold: 1}}},
			`monitoring.alerts[1] (A): unknown metric "dataset_drift_shar" (did you mean "dataset_drift_share"?)`},
		{"malformed for", alerting.Config{Alerts: []alerting.Rule{{Name: "A", Metric: "f1", Op: "<", For: "5 minutes"}}},
			`monitoring.alerts[1] (A): for: "5 minutes" is not a positive duration`},
		{"malformed keep_firing_for", alerting.Config{Alerts: []alerting.Rule{{Name: "A", Metric: "f1", Op: "<", KeepFiringFor: "-1h"}}},
			`keep_firing_for: "-1h" is not a positive duration`},
		{"webhook not http", alerting.Config{Webhook: "ftp://example.com/hook"},
			`monitoring.webhook "ftp://example.com/hook": must be an http:// or https:// URL`},
		{"bad op", alerting.Config{Alerts: []alerting.Rule{{Name: "A", Metric: "f1", Op: "=>"}}}, `op "=>" must be one of > >= < <=`},
		{"bad name", alerting.Config{Alerts: []alerting.Rule{{Name: "churn drift", Metric: "f1", Op: "<"}}}, `name must be letters, digits and _`},
		{"twice", alerting.Config{Alerts: []alerting.Rule{{Name: "A", Metric: "f1", Op: "<"}, {Name: "A", Metric: "f1", Op: "<"}}}, `the name is used twice`},
		{"bad action", alerting.Config{Alerts: []alerting.Rule{{Name: "A", Metric: "f1", Op: "<", Action: "page"}}}, `action "page": the only action is retrain`},
		{"reserved label", alerting.Config{Alerts: []alerting.Rule{{Name: "A", Metric: "f1", Op: "<", Labels: map[string]string{"model": "x"}}}}, `label "model" is set by mlpipe`},
		{"bad cooldown", alerting.Config{Cooldown: "a day"}, `monitoring.cooldown: "a day" is not a positive duration`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	require.NoError(t, driftRules().Validate())
}

// The rendered files are what Prometheus and Alertmanager accept: checked
// by their own tools, promtool and amtool (Debian's prometheus and
// prometheus-alertmanager packages).
func TestRenderedFilesPassPromtoolAndAmtool(t *testing.T) {
	promtool, amtool := needTool(t, "promtool"), needTool(t, "amtool")
	dir := t.TempDir()
	models := []alerting.Model{{Name: "churn", Config: driftRules()}, {Name: "fraud", Config: alerting.Config{
		Alerts: []alerting.Rule{{Name: "FraudDrift", Metric: "feature_drift", Op: ">", Threshold: 0, Action: "retrain"}}}}}
	rules, err := alerting.RuleFile(models, "")
	require.NoError(t, err)
	rulePath := filepath.Join(dir, "rules.yml")
	require.NoError(t, os.WriteFile(rulePath, rules, 0o644))
	out, err := exec.Command(promtool, "check", "rules", rulePath).CombinedOutput()
	require.NoError(t, err, "%s\n%s", out, rules)
	assert.Contains(t, string(out), "SUCCESS: 5 rules found")

	prom, err := alerting.PrometheusConfig(alerting.Targets{Gateways: []string{"127.0.0.1:8080", "127.0.0.1:8081"}, Workers: []string{"127.0.0.1:9101"}},
		[]string{rulePath}, "127.0.0.1:9093", "15s")
	require.NoError(t, err)
	promPath := filepath.Join(dir, "prometheus.yml")
	require.NoError(t, os.WriteFile(promPath, prom, 0o644))
	out, err = exec.Command(promtool, "check", "config", promPath).CombinedOutput()
	require.NoError(t, err, "%s\n%s", out, prom)

	am, err := alerting.AlertmanagerConfig(models, "http://127.0.0.1:9095/v1/alerts", alerting.Timing{})
	require.NoError(t, err)
	amPath := filepath.Join(dir, "alertmanager.yml")
	require.NoError(t, os.WriteFile(amPath, am, 0o644))
	out, err = exec.Command(amtool, "check-config", amPath).CombinedOutput()
	require.NoError(t, err, "%s\n%s", out, am)
	assert.Contains(t, string(out), "SUCCESS")

	// What a user reads in the rule file.
	s := string(rules)
	assert.Contains(t, s, `expr: max by (model) (mlpipe_monitor_drift_share{model="churn"}) >= 0.5`)
	assert.Contains(t, s, `expr: min by (model) (mlpipe_monitor_estimated_f1{model="churn"}) < 0.8`)
	assert.Contains(t, s, `expr: max by (model, feature) (mlpipe_monitor_feature_drift{model="fraud"}) > 0`)
	assert.Contains(t, s, "keep_firing_for: 15m", "a rule without keep_firing_for gets the default that stops flapping")
	assert.Contains(t, s, "keep_firing_for: 1h")
	assert.Contains(t, s, "cooldown: 24h")
	assert.Contains(t, s, "team: growth")
}

// needTool finds a Prometheus tool; `make deps` installs them.
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if testing.Short() {
			t.Skipf("%s is not installed (make deps installs it)", name)
		}
		t.Fatalf("%s is not installed: run `make deps` (Debian's prometheus and prometheus-alertmanager)", name)
	}
	return p
}

func TestRuleFileRefusesAnInvalidConfig(t *testing.T) {
	_, err := alerting.RuleFile([]alerting.Model{{Name: "churn", Config: alerting.Config{
		Alerts: []alerting.Rule{{Name: "A", Metric: "nope", Op: ">"}}}}}, "")
	require.Error(t, err)
	assert.True(t, strings.HasPrefix(err.Error(), "model churn: "), err.Error())
}
