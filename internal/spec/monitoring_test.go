package spec_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/spec"
)

// A spec's alert rules are checked with the rest of the spec, before
// anything starts: a rule on an unknown metric, a malformed duration and a
// webhook that is not http(s) are each named.
func TestSpecAlertRulesAreCheckedBeforeAnythingStarts(t *testing.T) {
	b, err := os.ReadFile("../../dev/examples/churn/pipeline.yaml")
	require.NoError(t, err)
	doc := withoutBlock(string(b), "monitoring") + `
monitoring:
  webhook: "mailto:ops@example.com"
  alerts:
    - {name: ChurnDrift, metric: drift_share, op: ">=", threshold: 0.5, action: retrain}
    - {name: ChurnSlow, metric: latency_p99_seconds, op: ">", threshold: 0.2, for: "ten minutes"}
`
	dir := t.TempDir()
	// The spec's relative paths (data, params) resolve against its folder.
	hb, err := os.ReadFile("../../dev/examples/churn/hyperparameters.yaml")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "hyperparameters.yaml"), hb, 0o644))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "data"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "data", "churn.csv"), []byte("age,churned\n30,yes\n"), 0o644))
	path := filepath.Join(dir, "pipeline.yaml")
	require.NoError(t, os.WriteFile(path, []byte(doc), 0o644))
	_, err = spec.Load(path)
	require.Error(t, err)
	msg := err.Error()
	assert.Contains(t, msg, `monitoring.alerts[1] (ChurnDrift): unknown metric "drift_share"`)
	assert.Contains(t, msg, `monitoring.alerts[2] (ChurnSlow): for: "ten minutes" is not a positive duration`)
	assert.Contains(t, msg, `monitoring.webhook "mailto:ops@example.com": must be an http:// or https:// URL`)

	good := strings.Replace(doc, `"mailto:ops@example.com"`, "https://hooks.example.com/x", 1)
	good = strings.Replace(good, "drift_share", "dataset_drift_share", 1)
	good = strings.Replace(good, `"ten minutes"`, "10m", 1)
	require.NoError(t, os.WriteFile(path, []byte(good), 0o644))
	p, err := spec.Load(path)
	require.NoError(t, err)
	require.Len(t, p.Monitoring.Alerts, 2)
	assert.Equal(t, "retrain", p.Monitoring.Alerts[0].Action)
}

// trigger is set by the retraining loop on the JSON input only; a YAML
// spec that writes it is refused.
func TestATriggerCannotBeWrittenInYAML(t *testing.T) {
	_, err := spec.Parse([]byte("name: x\ntrigger: {alert: A}\n"), "x.yaml")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "trigger")
}

// withoutBlock drops a top-level block of a YAML document.
func withoutBlock(doc, key string) string {
	var out []string
	skip := false
	for _, line := range strings.Split(doc, "\n") {
		if strings.HasPrefix(line, key+":") {
			skip = true
			continue
		}
		if skip && line != "" && line[0] != ' ' && line[0] != '#' {
			skip = false
		}
		if !skip {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}
